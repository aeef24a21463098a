/* trigger: the trigger matcher (see trigger.h). */
#include "trigger.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vocab.h"

struct triggers {
    const struct schedule *s;
    bool *fired;
    unsigned *traces_seen; /* per line: matching trace points so far */
    unsigned status_seen[MIG_STATUS_COUNT];
    bool migrate_sent;
    struct trigger_fire *out;
    size_t nout;
};

struct triggers *triggers_new(const struct schedule *s)
{
    struct triggers *m = calloc(1, sizeof *m);
    size_t n = s->nlines ? s->nlines : 1;
    if (!m || !(m->fired = calloc(n, sizeof *m->fired)) || !(m->traces_seen = calloc(n, sizeof *m->traces_seen)) ||
        !(m->out = calloc(n, sizeof *m->out))) {
        triggers_free(m);
        return NULL;
    }
    m->s = s;
    return m;
}

void triggers_free(struct triggers *m)
{
    if (!m)
        return;
    free(m->fired);
    free(m->traces_seen);
    free(m->out);
    free(m);
}

static void fire(struct triggers *m, size_t i, uint64_t delay_us)
{
    if (m->fired[i])
        return;
    m->fired[i] = true;
    m->out[m->nout++] = (struct trigger_fire){i, delay_us};
}

/* Whether this observation is the moment line `tr` waits for; counts what it must count on the way. */
static bool matches(struct triggers *m, size_t i, const struct sched_trigger *tr, const struct obs *o,
                    unsigned status_seen)
{
    switch (tr->kind) {
    case TRIG_AT:
        return o->kind == OBS_MIGRATE_SENT;
    case TRIG_AFTER:
        if (o->kind != OBS_CHAN_BYTES)
            return false;
        return tr->chan == CHAN_ANY ? o->all_bytes >= tr->bytes : tr->chan == o->chan && o->chan_bytes >= tr->bytes;
    case TRIG_STATUS:
        return o->kind == OBS_EVENT && o->status >= 0 && tr->status == (enum mig_status)o->status &&
               tr->nth == status_seen;
    case TRIG_TRACE:
        /* counted even after the line fired, so #N means the Nth hit of the trial */
        return o->kind == OBS_TRACE && vocab_trace_same(tr->trace_event, o->name) && ++m->traces_seen[i] == tr->nth;
    case TRIG_NONE:
        break;
    }
    return false;
}

bool triggers_wait_status(const struct triggers *m, int status)
{
    if (status < 0 || status >= MIG_STATUS_COUNT)
        return false;
    for (size_t i = 0; i < m->s->nlines; i++) {
        const struct sched_trigger *tr = &m->s->lines[i].trig;
        if (!m->fired[i] && tr->kind == TRIG_STATUS && tr->status == (enum mig_status)status &&
            tr->nth > m->status_seen[status])
            return true;
    }
    return false;
}

const struct trigger_fire *triggers_offer(struct triggers *m, const struct obs *o, size_t *n)
{
    m->nout = 0;
    unsigned status_seen = 0;
    if (o->kind == OBS_MIGRATE_SENT) {
        if (m->migrate_sent) {
            *n = 0;
            return m->out;
        }
        m->migrate_sent = true;
    }
    if (o->kind == OBS_EVENT && o->status >= 0 && o->status < MIG_STATUS_COUNT)
        status_seen = ++m->status_seen[o->status];
    for (size_t i = 0; i < m->s->nlines; i++) {
        const struct sched_trigger *tr = &m->s->lines[i].trig;
        if (matches(m, i, tr, o, status_seen))
            fire(m, i, tr->kind == TRIG_AFTER ? 0 : tr->delay_us);
    }
    *n = m->nout;
    return m->out;
}

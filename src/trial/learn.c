/* learn: what a target knows, asked once before any trial: its QAPI schema (`query-qmp-schema`) and
 * version (`query-version`), read into a vocab_target that trial_check holds schedules against and
 * trials use to tell a status trigger that cannot fire on this build from one that did not. A target
 * that does not answer (a QMP peer without introspection) is taken to know every name, and so is a `qmp:`
 * target: it is any VMM, whose connections this tool does not own, so none is spent on asking. */
#include <stdio.h>
#include <string.h>

#include "mono.h"
#include "qmp.h"
#include "target_impl.h"

#define LEARN_DEADLINE_US (10ull * 1000000ull)

struct learn {
    struct event_base *base;
    struct qmp *q;
    struct target *t;
    struct vocab_target *vt;
    int pending;  /* replies still awaited */
    bool ended;   /* the connection ended (or never came up) */
    bool died;    /* the target process ended (its message is in `error`) */
    char error[300];
};

static void reply_in(struct learn *l)
{
    if (--l->pending == 0)
        event_base_loopbreak(l->base);
}

static void on_schema(void *arg, const struct qmp_reply *r)
{
    struct learn *l = arg;
    if (r->lost)
        return;
    struct err e = {{0}};
    /* a schema that says nothing of migration is no vocabulary: every name stays allowed */
    if (!r->timed_out && !r->error_class && vocab_target_from_schema(l->vt, r->ret, &e) < 0)
        vocab_target_free(l->vt);
    reply_in(l);
}

static void on_version(void *arg, const struct qmp_reply *r)
{
    struct learn *l = arg;
    if (r->lost)
        return;
    if (!r->timed_out && !r->error_class)
        vocab_target_set_version(l->vt, r->ret);
    reply_in(l);
}

/* query-migrate-capabilities' [{"capability", "state"}] as migrate-set-capabilities' arguments. */
static void on_caps(void *arg, const struct qmp_reply *r)
{
    struct learn *l = arg;
    if (r->lost)
        return;
    if (!r->timed_out && !r->error_class && json_object_is_type(r->ret, json_type_array)) {
        l->t->fresh_caps = json_object_new_object();
        json_object_object_add(l->t->fresh_caps, "capabilities", json_object_get(r->ret));
    }
    reply_in(l);
}

/* query-migrate-parameters' object, as migrate-set-parameters takes it (a list-valued member it may not
 * take back, such as block-bitmap-mapping, is left out). */
static void on_params(void *arg, const struct qmp_reply *r)
{
    struct learn *l = arg;
    if (r->lost)
        return;
    if (!r->timed_out && !r->error_class && json_object_is_type(r->ret, json_type_object)) {
        json_object *p = json_object_new_object();
        json_object_object_foreach(r->ret, key, val) {
            if (!json_object_is_type(val, json_type_array))
                json_object_object_add(p, key, json_object_get(val));
        }
        l->t->fresh_params = p;
    }
    reply_in(l);
}

static void on_ready(void *arg, json_object *greeting)
{
    (void)greeting;
    struct learn *l = arg;
    bool reuses = l->t->ops->reused != NULL, ask = !l->t->vocab_adopted;
    l->pending = (reuses ? 2 : 0) + (ask ? 2 : 0);
    if (l->pending == 0) {
        event_base_loopbreak(l->base);
        return;
    }
    if ((ask && (!qmp_send(l->q, "query-qmp-schema", NULL, 0, on_schema, l) ||
                 !qmp_send(l->q, "query-version", NULL, 0, on_version, l))) ||
        (reuses && (!qmp_send(l->q, "query-migrate-capabilities", NULL, 0, on_caps, l) ||
                    !qmp_send(l->q, "query-migrate-parameters", NULL, 0, on_params, l)))) {
        snprintf(l->error, sizeof l->error, "could not ask the target over QMP");
        l->ended = true;
        event_base_loopbreak(l->base);
    }
}

/* A target that dies before it answered could not be started: say what it said, as a trial would. */
static void on_died(void *arg, int signo, const char *message)
{
    struct learn *l = arg;
    snprintf(l->error, sizeof l->error, "the target ended before its QMP monitor was ready: %s",
             message ? message : signo > 0 ? "killed by a signal" : "it exited");
    l->died = true;
    l->ended = true;
    event_base_loopbreak(l->base);
}

static void on_closed(void *arg, enum qmp_close_reason why, const char *detail)
{
    struct learn *l = arg;
    if (l->died)
        return;
    snprintf(l->error, sizeof l->error, "the target's QMP connection ended (%s)%s%s", qmp_close_reason_name(why),
             detail ? ": " : "", detail ? detail : "");
    l->ended = true;
    event_base_loopbreak(l->base);
}

int target_learn(struct target *t, struct event_base *base, struct err *e)
{
    if (t->learned)
        return 0;
    if (t->ops->no_learn) {
        t->learned = true; /* nothing learned: every name is allowed */
        return 0;
    }
    struct learn l = {.base = base, .t = t, .vt = &t->vocab, .pending = -1};
    struct qmp_hooks qh = {.ready = on_ready, .closed = on_closed, .arg = &l};
    l.q = qmp_new(base, &qh, NULL);
    if (!l.q)
        return err_set(e, "out of memory");
    struct target_hooks th = {.died = on_died, .arg = &l};
    int rc = target_begin(t, base, &th, l.q, e);
    uint64_t start = mono_now_us();
    while (rc == 0 && !l.ended && l.pending != 0 && mono_now_us() - start < LEARN_DEADLINE_US) {
        struct timeval tv = mono_tv(LEARN_DEADLINE_US - (mono_now_us() - start));
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    /* its socket may close a little before the target says how it died (as in a trial's grace) */
    for (uint64_t t0 = mono_now_us(); rc == 0 && l.ended && !l.died && target_caps(t).death &&
                                      mono_now_us() - t0 < 2000000;) {
        struct timeval tv = mono_tv(100000);
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    if (rc == 0 && l.pending != 0)
        rc = err_set(e, "%s", l.error[0] ? l.error : "the target did not answer query-qmp-schema within 10s");
    qmp_free(l.q);
    /* asking changed nothing in the target: a QEMU stays up for the first trial */
    target_end(t, rc == 0);
    if (rc == 0) {
        t->learned = true;
        /* the fuzzers' trace points this target has, for a mutator that keeps to them */
        t->vocab.traces_known = t->vocab.known && target_caps(t).trace;
        for (int i = 0; t->vocab.traces_known && i < TRACE_COUNT; i++)
            if (target_has_trace(t, vocab_trace_names()[i]))
                t->vocab.traces |= 1ull << i;
    }
    return rc;
}

int target_adopt_vocab(struct target *t, json_object *j, struct err *e)
{
    struct vocab_target vt = {0};
    if (vocab_target_from_json(&vt, j, e) < 0)
        return -1;
    if (!vt.known) {
        vocab_target_free(&vt);
        return err_set(e, "it names no vocabulary");
    }
    vocab_target_free(&t->vocab);
    t->vocab = vt;
    t->vocab_adopted = true; /* target_learn asks only what a reused VMM is set back to */
    return 0;
}

const struct vocab_target *target_vocab(const struct target *t)
{
    return t->learned ? &t->vocab : NULL;
}

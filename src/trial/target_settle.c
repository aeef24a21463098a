/* target_settle: "has the target settled?" asked over QMP, as every QEMU (real or simulated) answers it:
 * `query-migrate` says whether a migration is still running; once none is, `query-yank` still lists the
 * `migration` instance until the cleanup bottom half has unregistered it, which is the moment a race
 * like the yank assertion is decided. A target without `query-yank` is judged by the status alone. */
#include <stdio.h>
#include <string.h>

#include "qmp.h"
#include "target_impl.h"
#include "vocab.h"

/* A reply came: nothing is in flight any more; false when the trial ended or no longer wants the answer. */
static bool answer_wanted(struct target_settle_check *c, const struct qmp_reply *r)
{
    if (r->lost)
        return false;
    c->in_flight = NULL;
    return !c->wanted || c->wanted(c->arg);
}

static void on_yank(void *arg, const struct qmp_reply *r)
{
    struct target_settle_check *c = arg;
    if (!answer_wanted(c, r))
        return;
    if (!r->timed_out && !r->error_class && vocab_yank_lists_migration(r->ret))
        c->done(c->arg, TARGET_NOT_SETTLED, "status settled, cleanup pending (query-yank lists the migration)");
    else
        c->done(c->arg, TARGET_SETTLED, r->timed_out || r->error_class ? "query-yank unanswered: judged by status"
                                                                       : "no migration running, cleanup finished");
}

static void on_status(void *arg, const struct qmp_reply *r)
{
    struct target_settle_check *c = arg;
    if (!answer_wanted(c, r))
        return;
    if (r->timed_out || r->error_class) {
        c->done(c->arg, TARGET_NOT_SETTLED, "query-migrate failed");
        return;
    }
    json_object_put(c->migrate);
    c->migrate = json_object_get(r->ret);
    json_object *st = NULL;
    const char *status = "none";
    if (json_object_object_get_ex(r->ret, "status", &st) && json_object_is_type(st, json_type_string))
        status = json_object_get_string(st);
    int s = vocab_status_parse(status, strlen(status));
    if (s >= 0 && vocab_status_is_running((enum mig_status)s)) {
        char state[96];
        snprintf(state, sizeof state, "migration %s", status);
        c->done(c->arg, TARGET_NOT_SETTLED, state);
        return;
    }
    c->in_flight = "query-yank";
    if (!qmp_send(c->q, "query-yank", NULL, 0, on_yank, c))
        c->in_flight = NULL;
}

int target_settle_qmp(struct target *t, struct target_settle_check *c)
{
    (void)t;
    c->in_flight = "query-migrate";
    if (!qmp_send(c->q, "query-migrate", NULL, 0, on_status, c)) {
        c->in_flight = NULL;
        return -1;
    }
    return 0;
}

/* A schedule against what its target knows, as a user meets it: a capability, parameter or command the
 * target lacks is refused at its FILE:LINE:COL with the target's version; a status or trace trigger only
 * when asked (the mutator asks; a user's `on failing` runs on builds without it); a target that said
 * nothing takes every name. The target's vocabulary survives the trip through JSON to AFL++'s mutator. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schedule_vocab.h"

static struct schedule *parse(const char *text)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

/* Like Debian's 7.2: no mapped-ram, no `failing`, no migration_cleanup spelling of the fuzzers' traces. */
static void qemu72(struct vocab_target *vt)
{
    memset(vt, 0, sizeof *vt);
    vt->known = true;
    snprintf(vt->version, sizeof vt->version, "7.2.22");
    for (int i = 0; i < MIG_STATUS_COUNT; i++)
        if (i != MIG_FAILING)
            vt->statuses |= 1ull << i;
    for (int i = 0; i < CAP_COUNT; i++)
        if (i != CAP_MAPPED_RAM)
            vt->caps |= 1ull << i;
    for (int i = 0; i < PARAM_COUNT; i++)
        vt->params |= 1ull << i;
    static const char *const cmds[] = {"migrate", "migrate-set-capabilities", "migrate_cancel", "query-migrate"};
    vt->commands = calloc(4, sizeof *vt->commands);
    for (int i = 0; i < 4; i++)
        vt->commands[vt->ncommands++] = strdup(cmds[i]);
    vt->traces_known = true;
    vt->traces = ((1ull << TRACE_COUNT) - 1) & ~(1ull << TRACE_MULTIFD_SEND_ERROR);
}

static int check(const char *text, const struct vocab_target *vt, unsigned flags, char *msg, size_t n)
{
    struct schedule *s = parse(text);
    struct err e = {{0}};
    int rc = s ? schedule_check_vocab(s, vt, "qemu", flags, &e) : -2;
    snprintf(msg, n, "%s", e.msg);
    schedule_free(s);
    return rc;
}

int main(void)
{
    struct vocab_target vt;
    qemu72(&vt);
    char msg[512];
    CHECK_INT(check("caps events=on multifd=on\nmigrate\non failed: caps multifd=off\n", &vt, ~0u, msg, sizeof msg), 0);
    CHECK_INT(check("caps events=on\nmigrate\non failed: caps mapped-ram=on\n", &vt, 0, msg, sizeof msg), -1);
    CHECK_STR(msg, "t.sched:3:17: capability 'mapped-ram' does not exist in qemu (QEMU 7.2.22)");
    /* a status trigger: allowed to a user, refused when asked for */
    CHECK_INT(check("migrate\non failing: cancel\n", &vt, 0, msg, sizeof msg), 0);
    CHECK_INT(check("migrate\non failing: cancel\n", &vt, SCHEDULE_VOCAB_STATUSES, msg, sizeof msg), -1);
    CHECK_STR(msg, "t.sched:2:1: status 'failing' is never reported by qemu (QEMU 7.2.22)");
    CHECK_INT(check("migrate\non trace multifd_send_error: cancel\n", &vt, 0, msg, sizeof msg), 0);
    CHECK_INT(check("migrate\non trace multifd_send_error: cancel\n", &vt, SCHEDULE_VOCAB_TRACES, msg, sizeof msg), -1);
    CHECK(strstr(msg, "trace point 'multifd_send_error' does not exist") != NULL);
    /* a command this target lacks */
    CHECK_INT(check("migrate\non failed: qmp {\"execute\": \"migrate-pause\"}\n", &vt, 0, msg, sizeof msg), -1);
    CHECK(strstr(msg, "command 'migrate-pause' does not exist in qemu (QEMU 7.2.22)") != NULL);

    /* through JSON and back: the same answers */
    json_object *j = vocab_target_to_json(&vt);
    struct vocab_target back;
    struct err e = {{0}};
    CHECK_MSG(vocab_target_from_json(&back, j, &e) == 0, "%s", e.msg);
    json_object_put(j);
    CHECK(back.known && back.traces_known);
    CHECK_STR(back.version, "7.2.22");
    CHECK_INT(back.statuses, vt.statuses);
    CHECK_INT(back.caps, vt.caps);
    CHECK_INT(back.params, vt.params);
    CHECK_INT(back.traces, vt.traces);
    CHECK_INT(back.ncommands, 4);
    CHECK(vocab_target_has_command(&back, "migrate_cancel") && !vocab_target_has_command(&back, "migrate-pause"));
    vocab_target_free(&back);

    /* a target that said nothing takes everything, and so does its JSON */
    struct vocab_target none = {0};
    CHECK_INT(check("caps mapped-ram=on\nmigrate\non failing: cancel\n", &none, ~0u, msg, sizeof msg), 0);
    j = vocab_target_to_json(&none);
    CHECK_INT(vocab_target_from_json(&back, j, &e), 0);
    CHECK(!back.known);
    json_object_put(j);
    j = json_object_new_array();
    CHECK_INT(vocab_target_from_json(&back, j, &e), -1);
    json_object_put(j);
    vocab_target_free(&vt);
    return check_exit();
}

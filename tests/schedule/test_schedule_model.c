/* What the rest of qmprace asks of a schedule: the exact QMP command each action sends, which features
 * it needs from its target, equality, loading from files, and building one in code within the limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "schedule.h"

static struct schedule *parse(const char *text)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

static const char *json(json_object *o)
{
    return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "(none)";
}

/* The command name and the plain JSON of its arguments, for action `i` of line 0. */
static void check_qmp(const struct schedule *s, size_t i, const char *name, const char *args)
{
    json_object *a = (json_object *)1;
    const char *got = schedule_action_qmp(&s->lines[0].acts[i], "tcp:127.0.0.1:4444", &a);
    if (name)
        CHECK_STR(got, name);
    else
        CHECK(got == NULL);
    CHECK_STR(json(a), args);
    json_object_put(a);
}

static void test_action_qmp(void)
{
    struct schedule *s = parse("caps events=on multifd=off; params multifd-channels=2 max-bandwidth=8MiB "
                               "tls-creds=\"\" block-incremental=on multifd-compression=zlib; migrate; cancel; "
                               "query; qmp {\"execute\":\"stop\",\"id\":\"x\"}; reset all; stall main; "
                               "freeze main 1ms; wait 1ms\n");
    if (!s)
        return;
    check_qmp(s, 0, "migrate-set-capabilities",
              "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
              "{\"capability\":\"multifd\",\"state\":false}]}");
    check_qmp(s, 1, "migrate-set-parameters",
              "{\"multifd-channels\":2,\"max-bandwidth\":8388608,\"tls-creds\":\"\",\"block-incremental\":true,"
              "\"multifd-compression\":\"zlib\"}");
    check_qmp(s, 2, "migrate", "{\"uri\":\"tcp:127.0.0.1:4444\"}");
    check_qmp(s, 3, "migrate_cancel", "(none)");
    check_qmp(s, 4, "query-migrate", "(none)");
    check_qmp(s, 5, "qmp", "{\"execute\":\"stop\",\"id\":\"x\"}");
    for (size_t i = 6; i < 10; i++)
        check_qmp(s, i, NULL, "(none)");
    /* The qmp command is a copy: adding an id (as the QMP client does) leaves the schedule as it was. */
    json_object *cmd = NULL;
    schedule_action_qmp(&s->lines[0].acts[5], NULL, &cmd);
    json_object_object_add(cmd, "id", json_object_new_int(99));
    json_object_put(cmd);
    CHECK_STR(json(s->lines[0].acts[5].u.qmp), "{\"execute\":\"stop\",\"id\":\"x\"}");
    /* Without a place for the arguments nothing leaks (LeakSanitizer checks). */
    CHECK_STR(schedule_action_qmp(&s->lines[0].acts[0], NULL, NULL), "migrate-set-capabilities");
    schedule_free(s);
}

static void test_uses(void)
{
    struct schedule *s = parse("migrate\n"
                               "after 1MiB on any: reset all\n"
                               "on trace savevm_state_cleanup: query;  freeze live_migration 1ms\n"
                               "on failed: freeze main 2ms\n");
    if (!s)
        return;
    int line = 0, col = 0;
    CHECK(schedule_uses_action(s, ACT_FREEZE, &line, &col));
    CHECK_INT(line, 3);
    CHECK_INT(col, 40);
    CHECK(schedule_uses_action(s, ACT_RESET, NULL, NULL));
    CHECK(!schedule_uses_action(s, ACT_STALL, &line, &col));
    CHECK(schedule_uses_trace(s, &line));
    CHECK_INT(line, 3);
    schedule_free(s);
    s = parse("migrate\non failed: query\n");
    if (s)
        CHECK(!schedule_uses_trace(s, NULL));
    schedule_free(s);
    CHECK_STR(schedule_action_name(ACT_FREEZE), "freeze");
    CHECK_STR(schedule_action_name(ACT_KIND_COUNT), "?");
}

static void test_equal(void)
{
    struct schedule *a = parse("on failed #1 +0ms: caps multifd=false # same\n");
    struct schedule *b = parse("\n\non failed:caps   multifd=off\n");
    struct schedule *c = parse("on failed: caps multifd=on\n");
    if (a && b && c) {
        CHECK(schedule_equal(a, b));
        CHECK(!schedule_equal(a, c));
    }
    schedule_free(a);
    schedule_free(b);
    schedule_free(c);
}

static void test_load(void)
{
    char dir[96];
    if (!check_mkdtemp(dir, sizeof dir))
        return;
    char path[256];
    snprintf(path, sizeof path, "%s/x.sched", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("caps multifd=on\nmigrate\non failed: caps multifd=of\n", f);
        fclose(f);
    }
    struct err e = {{0}};
    struct schedule *s = schedule_load(path, &e);
    CHECK(s == NULL);
    char want[512];
    snprintf(want, sizeof want, "%s:3:25: 'multifd' takes on or off, got 'of'", path);
    CHECK_STR(e.msg, want);

    f = fopen(path, "w");
    if (f) {
        fputs("caps multifd=on\nmigrate\n", f);
        fclose(f);
    }
    s = schedule_load(path, &e);
    CHECK(s && s->nlines == 2);
    if (s)
        CHECK_STR(s->name, path);
    schedule_free(s);

    /* Unreadable things say what and why, in the "FILE: reason" form. */
    snprintf(path, sizeof path, "%s/missing.sched", dir);
    CHECK(schedule_load(path, &e) == NULL);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    CHECK_STR(e.msg, want);
    CHECK(schedule_load(dir, &e) == NULL);
    snprintf(want, sizeof want, "%s: Is a directory", dir);
    CHECK_STR(e.msg, want);

    snprintf(path, sizeof path, "%s/x.sched", dir);
    unlink(path);
    rmdir(dir);
}

static void test_builder_limits(void)
{
    struct schedule *s = schedule_new(NULL);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_STR(s->name, "<schedule>");
    struct sched_line *l = NULL;
    for (int i = 0; i < SCHED_MAX_LINES; i++)
        l = schedule_add_line(s);
    CHECK(l != NULL);
    CHECK(schedule_add_line(s) == NULL);
    CHECK_INT(s->nlines, SCHED_MAX_LINES);
    CHECK_INT(l->trig.nth, 1);
    struct sched_action *a = NULL;
    for (int i = 0; i < SCHED_MAX_ACTIONS; i++)
        a = schedule_add_action(l, ACT_CAPS);
    CHECK(schedule_add_action(l, ACT_CAPS) == NULL);
    for (int i = 0; i < SCHED_MAX_ITEMS; i++)
        CHECK(schedule_add_cap(a, CAP_MULTIFD, true) == 0);
    CHECK(schedule_add_cap(a, CAP_MULTIFD, true) != 0);
    /* A param on a caps action is refused, and its value is not leaked. */
    CHECK(schedule_add_param(a, PARAM_MULTIFD_CHANNELS, json_object_new_int(2)) != 0);
    l = &s->lines[0];
    a = schedule_add_action(l, ACT_PARAMS);
    CHECK(schedule_add_param(a, PARAM_MULTIFD_CHANNELS, json_object_new_int(2)) == 0);
    CHECK(schedule_add_param(a, PARAM_MULTIFD_CHANNELS, NULL) != 0);
    char *t = schedule_print(s);
    CHECK(t && strncmp(t, "params multifd-channels=2\n", 26) == 0);
    free(t);
    schedule_free(s);
    schedule_free(NULL);
}

int main(void)
{
    test_action_qmp();
    test_uses();
    test_equal();
    test_load();
    test_builder_limits();
    return check_exit();
}

/* A trial's result sent whole to another process (explore's workers) and read back: the verdict, the
 * signature, the duration, the misses and every timeline entry (time, kind, code, argument, text) come back
 * equal, so what the parent adds up and shows is what the worker saw; what is not a whole result is
 * refused. Real trials on the simulated QEMU 7.2: a crash and a trial with a line that never fired. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "repeat.h"
#include "session.h"
#include "trial_session.h"

static void same(const struct trial_result *a, const struct trial_result *b)
{
    CHECK(a->verdict == b->verdict);
    CHECK(a->signo == b->signo);
    CHECK_MSG(strcmp(a->signature, b->signature) == 0, "'%s' vs '%s'", a->signature, b->signature);
    CHECK(a->duration_us == b->duration_us);
    CHECK(a->nmisses == b->nmisses);
    for (unsigned i = 0; i < a->nmisses && i < TRIAL_MAX_MISSES; i++) {
        CHECK(strcmp(a->misses[i].what, b->misses[i].what) == 0);
        CHECK(a->misses[i].expected == b->misses[i].expected);
    }
    CHECK(timeline_t0(a->timeline) == timeline_t0(b->timeline));
    CHECK(timeline_dropped(a->timeline) == timeline_dropped(b->timeline));
    CHECK_MSG(timeline_count(a->timeline) == timeline_count(b->timeline), "%zu entries vs %zu",
              timeline_count(a->timeline), timeline_count(b->timeline));
    size_t bad = 0;
    for (size_t i = 0; i < timeline_count(a->timeline) && i < timeline_count(b->timeline); i++) {
        const struct tl_entry *x = timeline_get(a->timeline, i), *y = timeline_get(b->timeline, i);
        bad += x->t_us != y->t_us || x->kind != y->kind || x->code != y->code || x->arg != y->arg ||
               strcmp(x->text, y->text) != 0;
    }
    CHECK_MSG(bad == 0, "%zu timeline entries differ", bad);
}

/* Through the text a pipe carries, as explore's workers send it. */
static void round_trip(const struct trial_result *r, struct repeat *sum)
{
    json_object *o = trial_result_to_wire(r);
    json_object *back = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    struct trial_result t;
    struct err e = {{0}};
    CHECK_MSG(back && trial_result_from_wire(back, &t, &e) == 0, "%s", e.msg);
    if (back && t.timeline) {
        same(r, &t);
        repeat_add(sum, &t);
    }
    json_object_put(o);
    json_object_put(back);
}

int main(void)
{
    struct err e = {{0}};
    struct session *s = test_trial_session("sim:qemu-7.2", "2s");
    if (!s)
        return check_exit();
    struct trial_result crash = test_trial_run(s, "caps events=on multifd=on\nmigrate\nafter 1MiB on any: freeze live_migration 30ms; "
                                         "reset all\non failed +1ms: caps multifd=off\n");
    struct trial_result missed = test_trial_run(s, "migrate\non failing: query\n");
    CHECK_MSG(crash.verdict == VERDICT_CRASH, "the seed race did not crash: %s", crash.signature);
    CHECK(missed.verdict == VERDICT_PASS);
    CHECK_MSG(missed.nmisses > 0, "the line on `failing` did not show as a miss");
    struct repeat sum;
    repeat_init(&sum);
    round_trip(&crash, &sum);
    round_trip(&missed, &sum);
    verdict_stats_sort(&sum.stats);
    /* added up as repeat_run adds its own: one crash with its signature, the crash shown */
    CHECK(sum.stats.trials == 2 && sum.stats.crashes == 1);
    CHECK(sum.stats.nsigs == 1 && strcmp(sum.stats.sigs[0].key, crash.signature) == 0);
    CHECK(sum.shown.verdict == VERDICT_CRASH && sum.shown_trial == 1);

    /* what is not a whole result is refused, with nothing kept */
    struct trial_result t;
    json_object *bad = json_tokener_parse("{\"verdict\":1,\"signature\":\"x\"}");
    CHECK(trial_result_from_wire(bad, &t, &e) < 0 && t.timeline == NULL);
    CHECK_MSG(strstr(e.msg, "not whole") != NULL, "%s", e.msg);
    json_object_put(bad);
    bad = json_tokener_parse("{\"verdict\":9,\"signature\":\"\",\"duration_us\":1,\"nmisses\":0,\"misses\":[],"
                             "\"timeline\":{\"t0\":1,\"dropped\":0,\"e\":[]}}");
    CHECK(trial_result_from_wire(bad, &t, &e) < 0);
    json_object_put(bad);
    bad = json_tokener_parse("{\"verdict\":0,\"signature\":\"\",\"duration_us\":1,\"nmisses\":0,\"misses\":[],"
                             "\"timeline\":{\"t0\":1,\"dropped\":0,\"e\":[[1,99,0,0,\"x\"]]}}");
    CHECK(trial_result_from_wire(bad, &t, &e) < 0 && t.timeline == NULL);
    json_object_put(bad);

    repeat_clear(&sum);
    trial_result_clear(&crash);
    trial_result_clear(&missed);
    session_free(s);
    return check_exit();
}

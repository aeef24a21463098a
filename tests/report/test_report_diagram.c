/* The sequence diagram as a person reads it: the shaded window starts at the first `failed` and ends at
 * the cleanup (or at the death, when the cleanup never came); no failure, no window; a lane per actor
 * the timeline names; text from the target cannot break out of the SVG. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diagram.h"
#include "vocab.h"

#define T0 1000000

static char *draw(const struct timeline *tl, struct diagram_info *info)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK(diagram_svg(f, tl, info) == 0);
    fclose(f);
    return text;
}

/* libvirt's race: reset, FAILED, the caps change, the cleanup, the death. */
static struct timeline *race(bool with_cleanup)
{
    struct timeline *tl = timeline_new(T0, 0);
    timeline_add_coded(tl, T0 + 10, TL_NOTE, -1, 0, "trial of t.sched");                          /* not drawn */
    timeline_add_coded(tl, T0 + 20, TL_QMP_OUT, 0, 0, "migrate {\"uri\":\"tcp:127.0.0.1:1\"}"); /* row 0 */
    timeline_add_coded(tl, T0 + 30, TL_CHANNEL, -1, 0, "channel #0 connected");                 /* row 1 */
    timeline_add_coded(tl, T0 + 31, TL_CHANNEL, -1, 0, "channel #0 is main");                   /* row 2 */
    timeline_add_coded(tl, T0 + 40, TL_FAULT, 6, 1, "reset all [main 8B]");                     /* row 3 */
    timeline_add_coded(tl, T0 + 50, TL_TRACE, TRACE_MIGRATE_SET_STATE, MIG_FAILED,
                       "multifdsend_0: migrate_set_state new state failed");                      /* row 4 */
    timeline_add_coded(tl, T0 + 60, TL_EVENT, MIG_FAILED, 0, "MIGRATION {\"status\":\"failed\"}"); /* row 5 */
    timeline_add_coded(tl, T0 + 70, TL_QMP_OUT, 0, 5, "migrate-set-capabilities {}");             /* row 6 */
    timeline_add_coded(tl, T0 + 80, TL_QMP_IN, 0, TL_ACCEPTED, "migrate-set-capabilities -> {}"); /* row 7 */
    timeline_add_coded(tl, T0 + 85, TL_THREAD, 1, 1, "live_migration held");                     /* row 8 */
    timeline_add_coded(tl, T0 + 86, TL_NOTE, -1, 0, "settling");                                 /* not drawn */
    if (with_cleanup)
        timeline_add_coded(tl, T0 + 90, TL_TRACE, TRACE_SAVEVM_STATE_CLEANUP, -1,
                           "main: savevm_state_cleanup ");                                        /* row 9 */
    timeline_add_coded(tl, T0 + 95, TL_OUTPUT, -1, 0, "qemu: </svg><script>alert(1)</script> & \x01");
    timeline_add_coded(tl, T0 + 99, TL_DEATH, 6, 0, "the target died by SIGABRT");
    return tl;
}

static void test_window(void)
{
    struct timeline *tl = race(true);
    struct diagram_info info;
    char *svg = draw(tl, &info);
    CHECK(info.window.found);
    CHECK_INT(info.window.from_row, 4); /* the first failed: the status set, before the event */
    CHECK_INT(info.window.to_row, 9);   /* the cleanup */
    CHECK_STR(info.window.until, "cleanup");
    CHECK_INT(info.window.to_us - info.window.from_us, 40);
    CHECK_INT(info.rows, 12);
    /* client, main, live_migration, multifdsend_0, channel #0 */
    CHECK_INT(info.lanes, 5);
    CHECK(svg && strstr(svg, "data-from-row=\"4\" data-to-row=\"9\""));
    CHECK(svg && strstr(svg, ">channel #0 main<"));
    CHECK(svg && strstr(svg, "&lt;/svg&gt;&lt;script&gt;") && !strstr(svg, "<script"));
    free(svg);
    timeline_free(tl);

    tl = race(false);
    svg = draw(tl, &info);
    CHECK_STR(info.window.until, "death");
    CHECK_INT(info.window.to_row, 10);
    free(svg);
    timeline_free(tl);
}

static void test_no_failure(void)
{
    struct timeline *tl = timeline_new(T0, 0);
    timeline_add_coded(tl, T0 + 20, TL_QMP_OUT, 0, 0, "migrate {}");
    timeline_add_coded(tl, T0 + 60, TL_EVENT, MIG_COMPLETED, 0, "MIGRATION {\"status\":\"completed\"}");
    struct diagram_info info;
    char *svg = draw(tl, &info);
    CHECK(!info.window.found);
    CHECK(svg && !strstr(svg, "race-window") && strstr(svg, "MIGRATION completed"));
    free(svg);
    timeline_free(tl);
}

/* A death after `completed`, with no failure: the window runs from the last status to the death, so a
 * crash that did not come through a failure still shows where to look. */
static void test_death_after_completed(void)
{
    struct timeline *tl = timeline_new(T0, 0);
    timeline_add_coded(tl, T0 + 20, TL_QMP_OUT, 0, 0, "migrate {}");                                /* row 0 */
    timeline_add_coded(tl, T0 + 40, TL_EVENT, MIG_ACTIVE, 0, "MIGRATION {\"status\":\"active\"}");   /* row 1 */
    timeline_add_coded(tl, T0 + 60, TL_EVENT, MIG_COMPLETED, 0, "MIGRATION {\"status\":\"completed\"}"); /* row 2 */
    timeline_add_coded(tl, T0 + 70, TL_QMP_OUT, 0, 5, "migrate-set-capabilities {}");                /* row 3 */
    timeline_add_coded(tl, T0 + 80, TL_QMP_IN, 0, TL_ACCEPTED, "migrate-set-capabilities -> {}");    /* row 4 */
    timeline_add_coded(tl, T0 + 99, TL_DEATH, 6, 0, "the target died by SIGABRT");
    struct diagram_info info;
    char *svg = draw(tl, &info);
    CHECK(info.window.found);
    CHECK_STR(info.window.status, "completed");
    CHECK_STR(info.window.until, "death");
    CHECK_INT(info.window.from_row, 2);
    CHECK(svg && strstr(svg, "id=\"race-window\"") && strstr(svg, "window: completed to death, 39 us"));
    free(svg);
    timeline_free(tl);
}

/* A long timeline is cut at DIAGRAM_MAX_ROWS rows, and the diagram says how much more there was. */
static void test_long(void)
{
    struct timeline *tl = timeline_new(T0, 0);
    for (int i = 0; i < DIAGRAM_MAX_ROWS + 5; i++)
        timeline_add_coded(tl, T0 + (uint64_t)i, TL_TRACE, -1, -1, "main: tick %d", i);
    struct diagram_info info;
    char *svg = draw(tl, &info);
    CHECK_INT(info.rows, DIAGRAM_MAX_ROWS);
    CHECK(svg && strstr(svg, "... 5 more entries"));
    free(svg);
    timeline_free(tl);
}

int main(void)
{
    test_window();
    test_no_failure();
    test_death_after_completed();
    test_long();
    return check_exit();
}

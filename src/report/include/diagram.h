/* diagram: a trial's timeline as an SVG sequence diagram, for people. A lane per actor (qmprace's QMP
 * client, the target's main loop, the migration thread, each multifd thread and any other thread the
 * target named, each proxied migration channel), time going down one row per entry (the microseconds on
 * the left), arrows for QMP commands, replies and events, marks for faults, holds (a bar while a thread
 * is held), trace points, stderr lines and the death, and the race window shaded: timeline_window's,
 * the one the fuzzing feedback rewards: from the first `failed` or `failing` (the status set, or the
 * event when the target has no trace points) to the cleanup (savevm_state_cleanup), or to the death
 * when the cleanup never came. A death with no failure before it gets a window too: from the last
 * status the target reported to the death. Self-contained SVG: no script,
 * no external reference; full texts in <title> tooltips. */
#ifndef QMPRACE_DIAGRAM_H
#define QMPRACE_DIAGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "timeline.h"

#define DIAGRAM_MAX_ROWS 600 /* a longer timeline is cut, and the diagram says so */

struct diagram_window {
    bool found;               /* a `failed` was seen, or a death after some status */
    size_t from_row, to_row;  /* rows (0-based, drawn) the shading spans, both included */
    uint64_t from_us, to_us;  /* their times in the trial */
    const char *until;        /* what ended it: "cleanup", "death", "end of the timeline" */
    const char *status;       /* what opened it: "failed", "failing" on a QEMU with the fix, or the
                               * last status before a death that no failure preceded */
};

struct diagram_info {
    size_t rows, lanes;
    struct diagram_window window;
};

/* Writes one <svg> element for `tl` to `f`; `info` (may be NULL) says what was drawn. -1 when memory
 * runs out (nothing useful was written). */
int diagram_svg(FILE *f, const struct timeline *tl, struct diagram_info *info);

/* Writes `s` as HTML/SVG text (& < > " ' as entities, bytes that are not UTF-8 as \xNN), at most `max`
 * bytes of it (0: all) with "..." when cut. */
void diagram_text(FILE *f, const char *s, size_t max);

#endif

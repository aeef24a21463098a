/* explore_sweep: the cell sweep of explore_run, shared by the sweep in this process (explore.c) and the
 * one spread over worker processes (explore_jobs.c), so both run each window's cells the same way. */
#ifndef QMPRACE_EXPLORE_SWEEP_H
#define QMPRACE_EXPLORE_SWEEP_H

#include <json-c/json.h>

#include "explore.h"

struct explore_sweep {
    struct session *ses;
    const struct explore_options *o;
    const struct explore_hooks *h;
    struct explore_result *r;
    uint64_t start_us, limit_us; /* the sweep's start (mono clock) and its whole time */
    size_t done, total;          /* cells run, and cells that will run (a window not opened leaves) */
    json_object *wire;           /* a worker's: the trials of the cell being run, whole */
    /* After cell `i` ran (c->ran; c->not_opened when its window turned out not to open). */
    void (*cell_done)(struct explore_sweep *sw, size_t i);
    void *arg;
};

/* Runs the cells of the window whose first cell is `i`, in order: the first decides whether the window
 * opens (c->not_opened: the rest are not run) and whether it hangs by itself (the rest run once each).
 * 0: the window is done; 1: interrupted or out of time (r->interrupted, r->out_of_time); -1: the target
 * failed or cannot run the window (r->usage; e says why). */
int explore_sweep_window(struct explore_sweep *sw, size_t i, struct err *e);
/* How many cells window `i`'s first cell and those after it of the same window make (the plan keeps a
 * window's cells together). */
size_t explore_window_cells(const struct explore_result *r, size_t i);
/* cell_done as the sweep in this process does it: counts the cell and calls the progress hook. */
void explore_sweep_progress(struct explore_sweep *sw, size_t i);
/* The sweep spread over o->jobs worker processes, one target each (explore_jobs.c). Same returns as a
 * sweep here: 0 (r->interrupted, r->out_of_time say how it ended), -1 with e. */
int explore_sweep_jobs(struct explore_sweep *sw, struct err *e);

#endif

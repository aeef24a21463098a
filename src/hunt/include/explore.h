/* explore: the systematic sweep beside the random one. For each window it knows how to open on a target
 * (a failure by a reset of all channels, of one multifd channel, of the main channel; a failure in setup;
 * a migrate_cancel; the completion), it sends each command of the target's vocabulary inside that window
 * (every capability on and off, every parameter changed, migrate, migrate_cancel, the query commands,
 * stop and cont...) N times, and adds up the matrix: window x command -> trials, crashes, refusals, hangs,
 * trials that did not run as written, signatures. Each crashing cell gets a minimized reproducer, as a
 * hunt writes them. Every cell is a schedule run through trial_run like any other. */
#ifndef QMPRACE_EXPLORE_H
#define QMPRACE_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "repeat.h"
#include "session.h"
#include "triage.h"
#include "verdict.h"

/* A window: its name ("failed: reset all") and the schedule that opens it, with "@" where the command
 * goes (a reaction line may hold it more than once: on `failing` and on `failed`). */
struct explore_window {
    const char *name;
    char *text;
    unsigned statuses; /* bit per enum mig_status: where its command is meant to land */
};
/* A window that could not be opened on a target, and why ("this target never reports `colo`", "its
 * reaction never fired in 3 trials"). */
struct explore_unopened {
    const char *name;
    char reason[200];
};
/* The windows of a target (explore_plan.c: built from its statuses and capabilities), and those it cannot
 * open. */
struct explore_windows {
    struct explore_window *w;
    size_t n;
    struct explore_unopened *u;
    size_t nu;
};
/* Every route into a window qmprace knows, by index (NULL past the last): for --help. */
const char *explore_route_name(size_t i);
/* The windows of the target that knows `vt` (NULL: one that said nothing), migrating into a destination
 * VMM or not. -1: out of memory. */
int explore_windows_plan(const struct vocab_target *vt, bool dest_vmm, struct explore_windows *out);
void explore_windows_free(struct explore_windows *w);
/* A window's text (or any text with "@" where the command goes) with `command` in its place; malloc'd,
 * its length in `len` (may be NULL). NULL: out of memory. */
char *explore_window_text(const char *text, const char *command, size_t *len);

/* The commands of the vocabulary `vt` knows (every name when NULL or unknown), as schedule actions
 * ("caps multifd=off", "params multifd-channels=1", "cancel", "qmp {\"execute\":\"stop\"}"). The caller
 * frees each and the array. */
size_t explore_commands(const struct vocab_target *vt, char ***out);

struct explore_cell {
    const struct explore_window *window;
    char *command;
    struct repeat rep; /* its trials (rep.stats), and the one worth showing */
    unsigned refused;  /* trials in which the target refused the command */
    unsigned opened;   /* trials in which the command was sent (its reaction fired) */
    unsigned landed;   /* trials in which it was sent while the migration was in the window's status (by
                        * QEMU's own migrate_set_state where it reports it, else by the events) */
    int sent_in;       /* the status it was last sent in outside the window; -1: never */
    bool window_hangs; /* its window hung by itself on this target (whatever the command) */
    bool ran;          /* its trials ran (a sweep out of time or interrupted leaves some not run) */
    bool not_opened;   /* the first cell of a window whose reaction never fired: the window is not opened */
    char *reproducer;  /* a crashing cell's reproducer file, once written */
};

struct explore_options {
    unsigned repeat;        /* trials per cell (0: 3) */
    const char *windows;    /* comma-separated parts of window names to keep (NULL: all) */
    const char *commands;   /* comma-separated parts of commands to keep (NULL: all) */
    uint64_t time_us;       /* the whole sweep, minimization included (0: 10 minutes) */
    const char *out;        /* where reproducers go (NULL: none written) */
    bool minimize;
    unsigned jobs;          /* worker processes for the cells, one target each (0 or 1: the sweep runs here) */
};

struct explore_hooks {
    /* After each cell: `done` of `total` cells. */
    void (*progress)(void *arg, size_t done, size_t total, const struct explore_cell *cell);
    triage_progress_fn say; /* minimization's messages */
    void *arg;
};

struct explore_result {
    struct explore_windows windows; /* the cells' windows, and those not opened (with why) */
    struct explore_cell *cells;
    size_t ncells;   /* planned */
    size_t done;     /* run */
    bool out_of_time, interrupted;
    unsigned hanging_windows; /* windows that hung by themselves (their cells ran once each) */
    bool usage; /* explore_run failed for its input (no cell matched, a window the target cannot run), not
                 * for the target */
};

/* -1 when the target failed (e says why; the cells run so far are kept) or nothing matched the
 * filters (a usage error: e says which). */
int explore_run(struct session *s, const struct explore_options *o, const struct explore_hooks *h,
                struct explore_result *r, struct err *e);
void explore_result_free(struct explore_result *r);

/* The matrix as the text table and the HTML page show it: the windows of the planned cells in order (at
 * most `max`; returns how many), whether cell `i` is the first of its command (a row), and the cell that
 * ran for a window and a command (NULL: none ran). */
size_t explore_columns(const struct explore_result *r, const struct explore_window **cols, size_t max);
bool explore_row_starts(const struct explore_result *r, size_t i);
const struct explore_cell *explore_cell_at(const struct explore_result *r, const struct explore_window *w,
                                           const char *command);

/* Over the cells run of window `w`: trials whose command was sent, of those how many landed in the
 * window's status, and a status where one was sent outside it (-1: none). */
struct explore_landing {
    unsigned sent, landed;
    int outside;
};
void explore_window_landing(const struct explore_result *r, const struct explore_window *w,
                            struct explore_landing *out);

/* {"window","command","trials","crashes","refused","hangs","unexercised","landed","signatures":[...],
 *  "reproducer"} */
json_object *explore_cell_json(const struct explore_cell *c);

#endif

/* explore: the window x command sweep (see explore.h). */
#include "explore.h"
#include "explore_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "report.h"
#include "target.h"

#define DEFAULT_REPEAT 3
#define DEFAULT_TIME_US (10ull * 60 * 1000000)
/* A crashing cell's minimization: candidates and time, so a sweep with many crashing cells stays bounded. */
#define MIN_CANDIDATES 10
#define MIN_TIME_US (12ull * 1000000)
/* A trial in a held window takes tens of milliseconds: a hang costs this, not the trial's 10 s default. */

/* True when `list` (comma-separated parts; NULL: everything) has a part that is in `text`. */
static bool wanted(const char *list, const char *text)
{
    if (!list || !*list)
        return true;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        char part[128];
        snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), p);
        if (n && strstr(text, part))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* The window's schedule with the command in its place. */
static struct schedule *cell_schedule(const struct explore_cell *c, struct err *e)
{
    char *name = NULL;
    size_t len = 0;
    char *text = explore_window_text(c->window->text, c->command, &len);
    struct schedule *s = NULL;
    if (text && asprintf(&name, "explore [%s] x [%s]", c->window->name, c->command) > 0)
        s = schedule_parse(text, len, name, e);
    free(text);
    free(name);
    return s;
}

/* What a cell owns. */
static void cell_free(struct explore_cell *c)
{
    free(c->command);
    free(c->reproducer);
    repeat_clear(&c->rep);
}

struct trial_watch {
    struct explore_cell *cell;
    const struct schedule *s;
    uint64_t reactions; /* bit N: line N of the window's text holds the command */
    json_object *wire;  /* a worker's: every trial, whole, for the parent to add up (NULL: none kept) */
};

/* The lines of a window's text that hold the command ("@"), as bits by line number. */
static uint64_t reaction_lines(const char *text)
{
    uint64_t bits = 0;
    int line = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '@' && line < 64)
            bits |= 1ull << line;
        else if (*p == '\n')
            line++;
    }
    return bits;
}

/* Whether the reaction (a line holding the command) was sent in this trial, in which status, and whether
 * it was refused. The status is QEMU's own (its migrate_set_state trace points, with QEMU's timestamps)
 * where the target reports them, else the last MIGRATION event received. */
static void watch(void *arg, const struct trial_result *t)
{
    struct trial_watch *w = arg;
    int pending = -1; /* the action kind of a reaction awaiting its reply */
    bool refused = false, sent = false, landed = false;
    bool traced = false;
    for (size_t i = 0; i < timeline_count(t->timeline) && !traced; i++) {
        const struct tl_entry *en = timeline_get(t->timeline, i);
        traced = en->kind == TL_TRACE && timeline_entry_status(en) >= 0;
    }
    int status = MIG_NONE;
    for (size_t i = 0; i < timeline_count(t->timeline); i++) {
        const struct tl_entry *en = timeline_get(t->timeline, i);
        if (timeline_entry_status(en) >= 0 && (en->kind == TL_TRACE) == traced)
            status = timeline_entry_status(en);
        if (en->kind == TL_QMP_OUT && en->arg >= 0 && (size_t)en->arg < w->s->nlines &&
            (w->reactions >> (w->s->lines[en->arg].line & 63) & 1)) {
            pending = en->code;
            sent = true;
            if (w->cell->window->statuses >> status & 1)
                landed = true;
            else
                w->cell->sent_in = status;
        } else if (en->kind == TL_QMP_IN && pending >= 0 && en->code == pending) {
            refused |= en->arg == TL_REFUSED;
            pending = -1;
        }
    }
    if (refused)
        w->cell->refused++;
    if (sent)
        w->cell->opened++;
    if (landed)
        w->cell->landed++;
    if (w->wire)
        json_object_array_add(w->wire, trial_result_to_wire(t));
}

static int plan(const struct explore_options *o, const struct vocab_target *vt, bool dest_vmm,
                struct explore_result *r, struct err *e)
{
    if (explore_windows_plan(vt, dest_vmm, &r->windows) < 0)
        return err_set(e, "out of memory");
    size_t keep = 0; /* the windows not opened, among those asked for */
    for (size_t i = 0; i < r->windows.nu; i++)
        if (wanted(o->windows, r->windows.u[i].name))
            r->windows.u[keep++] = r->windows.u[i];
    r->windows.nu = keep;
    size_t nw = r->windows.n;
    const struct explore_window *w = r->windows.w;
    char **cmds = NULL;
    size_t nc = explore_commands(vt, &cmds);
    if (!nc)
        return err_set(e, "out of memory");
    r->cells = calloc(nw * nc, sizeof *r->cells);
    for (size_t i = 0; r->cells && i < nw; i++)
        for (size_t k = 0; k < nc; k++)
            if (wanted(o->windows, w[i].name) && wanted(o->commands, cmds[k])) {
                struct explore_cell *c = &r->cells[r->ncells++];
                c->window = &w[i];
                c->command = strdup(cmds[k]);
                c->sent_in = -1;
                repeat_init(&c->rep);
            }
    for (size_t k = 0; k < nc; k++)
        free(cmds[k]);
    free(cmds);
    if (!r->cells)
        return err_set(e, "out of memory");
    if (!r->ncells)
        return err_set(e, "no window matches '%s' with a command matching '%s'", o->windows ? o->windows : "",
                       o->commands ? o->commands : "");
    return 0;
}

static unsigned repeat_of(const struct explore_options *o)
{
    return o->repeat ? o->repeat : DEFAULT_REPEAT;
}

/* Runs one cell's trials (each kept whole in `wire` when not NULL). 0, 1 when interrupted, -1 when the
 * target failed, SESSION_REFUSED when the target cannot run the window (e says why). */
static int run_cell(struct session *ses, struct explore_cell *c, unsigned trials, json_object *wire, struct err *e)
{
    struct schedule *s = cell_schedule(c, e);
    if (!s)
        return SESSION_REFUSED;
    struct trial_watch w = {c, s, reaction_lines(c->window->text), wire};
    int rc = 0;
    for (unsigned k = 0; k < trials && rc == 0 && !c->rep.interrupted; k++) {
        rc = repeat_run_each(ses, s, 1, &c->rep, watch, &w, e);
        /* A cell whose first trial refused the command, and saw nothing else, is clear: QEMU's check
         * refused it in the window (the same check every time), so the trial was the window alone, as
         * the query cell runs it. Its other trials are not run. */
        const struct verdict_stats *st = &c->rep.stats;
        if (rc == 0 && k == 0 && st->trials == 1 && c->refused == 1 && !st->crashes && !st->violations &&
            !st->hangs && !st->unexercised)
            break;
    }
    schedule_free(s);
    return rc < 0 ? rc : c->rep.interrupted ? 1 : 0;
}

/* The findings already minimized in this sweep, by signature. */
struct minimized {
    char **sigs;
    size_t n;
};

static bool minimized_has(const struct minimized *m, const char *sig)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->sigs[i], sig) == 0)
            return true;
    return false;
}

static void minimized_add(struct minimized *m, const char *sig)
{
    char **v = realloc(m->sigs, (m->n + 1) * sizeof *v);
    if (!v)
        return; /* then it is minimized again: slower, not wrong */
    m->sigs = v;
    if ((v[m->n] = strdup(sig)))
        m->n++;
}

static void minimized_free(struct minimized *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->sigs[i]);
    free(m->sigs);
}

/* A crashing cell's reproducer: its schedule replayed for a rate of its own, minimized, written as a hunt
 * writes them. A finding already minimized from another cell (the same signature: a setting QEMU never
 * keeps violates in every window) is written as the cell's schedule, unminimized: one minimization per
 * finding, not per cell. */
static int reproduce(struct session *ses, struct explore_cell *c, const struct explore_options *o,
                     const struct explore_hooks *h, uint64_t left_us, struct minimized *done, bool *interrupted,
                     struct err *e)
{
    struct triage t = {.origin = "explore"};
    struct triage_case tc = {.first_found_s = -1}; /* not from an AFL++ input */
    repeat_init(&tc.rate);
    tc.sched = cell_schedule(c, e);
    /* A reproducer written as it is carries the cell's own trials (its rate, the trial shown); one to
     * be minimized gets a replay of its own to measure the minimized one against. */
    const char *cell_sig = repeat_top_signature(&c->rep);
    bool borrowed = !o->minimize || (cell_sig && minimized_has(done, cell_sig));
    int rc = !tc.sched ? -1 : borrowed ? 0 : repeat_run(ses, tc.sched, repeat_of(o), &tc.rate, NULL, NULL, e);
    if (borrowed)
        tc.rate = c->rep;
    const char *sig = rc == 0 ? repeat_top_signature(&tc.rate) : NULL;
    if (rc == 0 && sig) {
        tc.signature = strdup(sig);
        tc.phase = tc.rate.shown.verdict != VERDICT_PASS ? triage_phase(tc.rate.shown.timeline) : "none";
        tc.inputs = 1;
        if (asprintf(&tc.source, "explore cell [%s] x [%s]", c->window->name, c->command) < 0)
            tc.source = NULL;
        /* named for its cell: "failed-reset-all--caps-multifd-off" */
        char name[176], w[64], cmd[96];
        triage_slug(c->window->name, w, sizeof w);
        triage_slug(c->command, cmd, sizeof cmd);
        snprintf(name, sizeof name, "%s--%s", w, cmd);
        tc.name = name;
        t.cases = &tc;
        t.n = 1;
        bool minimize = !borrowed && !minimized_has(done, sig);
        struct triage_options to = {.trials = repeat_of(o), .minimize = minimize,
                                    .min = {.trials = repeat_of(o), .max_candidates = MIN_CANDIDATES,
                                            .max_time_us = left_us < MIN_TIME_US ? left_us : MIN_TIME_US}};
        if (minimize) {
            rc = triage_minimize_case(ses, &tc, &to, h ? h->say : NULL, h ? h->arg : NULL, interrupted, e);
            minimized_add(done, tc.signature);
        }
        if (rc == 0 && o->out && triage_write(&t, o->out, session_profile(ses), e) == 0 && tc.file)
            c->reproducer = strdup(tc.file);
        else if (rc == 0 && o->out)
            rc = -1;
    }
    free(tc.signature);
    free(tc.source);
    free(tc.file);
    schedule_free(tc.sched);
    if (borrowed) /* given back to its cell */
        c->rep = tc.rate;
    else
        repeat_clear(&tc.rate);
    return rc;
}

int explore_sweep_window(struct explore_sweep *sw, size_t i, struct err *e)
{
    struct explore_result *r = sw->r;
    const struct explore_window *w = r->cells[i].window;
    bool hangs = false;
    for (size_t k = i; k < r->ncells && r->cells[k].window == w; k++) {
        if (mono_now_us() - sw->start_us > sw->limit_us) {
            r->out_of_time = true;
            return 1;
        }
        struct explore_cell *c = &r->cells[k];
        /* A window whose first cell hung every time hangs by itself on this target (QEMU 7.2 never cleans
         * up a multifd migration that failed in setup): its other cells run once each, so it says that
         * at the cost of one deadline per command, not N. */
        int rc = run_cell(sw->ses, c, hangs ? 1 : repeat_of(sw->o), sw->wire, e);
        if (rc < 0) {
            r->usage = rc == SESSION_REFUSED;
            return -1;
        }
        c->ran = true;
        verdict_stats_sort(&c->rep.stats);
        const struct verdict_stats *st = &c->rep.stats;
        /* A window whose reaction never fired in its first cell's trials was not opened on this target
         * (the status never came): it is listed with the reason, its other cells are not run. */
        c->not_opened = rc == 0 && k == i && st->trials && !c->opened && !c->rep.interrupted;
        hangs |= rc == 0 && k == i && st->trials && st->hangs == st->trials;
        c->window_hangs = hangs;
        if (sw->cell_done)
            sw->cell_done(sw, k);
        if (rc == 1) {
            r->interrupted = true;
            return 1;
        }
        if (c->not_opened)
            return 0;
    }
    return 0;
}

size_t explore_window_cells(const struct explore_result *r, size_t i)
{
    size_t k = i;
    while (k < r->ncells && r->cells[k].window == r->cells[i].window)
        k++;
    return k - i;
}

void explore_sweep_progress(struct explore_sweep *sw, size_t i)
{
    const struct explore_cell *c = &sw->r->cells[i];
    if (c->not_opened) /* its window's cells leave the plan */
        sw->total -= explore_window_cells(sw->r, i);
    else
        sw->done++;
    if (sw->h && sw->h->progress && !c->not_opened)
        sw->h->progress(sw->h->arg, sw->done, sw->total, c);
}

/* After the sweep: the windows not opened join the unopened ones (their cells are dropped), the cells run
 * come first in plan order (r->done of them), and the windows that hung by themselves are counted. */
static int sweep_finish(struct explore_result *r, struct err *e)
{
    size_t keep = 0, ran = 0;
    for (size_t i = 0; i < r->ncells;) {
        size_t n = explore_window_cells(r, i);
        const struct explore_cell *first = &r->cells[i];
        if (first->not_opened) {
            struct explore_unopened *u = realloc(r->windows.u, (r->windows.nu + 1) * sizeof *u);
            if (!u)
                return err_set(e, "out of memory");
            r->windows.u = u;
            u = &u[r->windows.nu++];
            u->name = first->window->name;
            snprintf(u->reason, sizeof u->reason, "its reaction never fired in %u trial%s (with `%s`)",
                     first->rep.stats.trials, first->rep.stats.trials == 1 ? "" : "s", first->command);
            for (size_t k = i; k < i + n; k++)
                cell_free(&r->cells[k]);
        } else {
            r->hanging_windows += first->ran && first->window_hangs;
            for (size_t k = i; k < i + n; k++)
                r->cells[keep++] = r->cells[k];
        }
        i += n;
    }
    r->ncells = keep;
    /* the cells run first (a stable partition: a parallel sweep out of time leaves gaps) */
    struct explore_cell *v = malloc((keep ? keep : 1) * sizeof *v);
    if (!v)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < keep; i++)
        if (r->cells[i].ran)
            v[ran++] = r->cells[i];
    for (size_t i = 0, k = ran; i < keep; i++)
        if (!r->cells[i].ran)
            v[k++] = r->cells[i];
    memcpy(r->cells, v, keep * sizeof *v);
    free(v);
    r->done = ran;
    return 0;
}

/* The sweep in this process, window after window. */
static int sweep_here(struct explore_sweep *sw, struct err *e)
{
    struct explore_result *r = sw->r;
    for (size_t i = 0; i < r->ncells; i += explore_window_cells(r, i)) {
        int rc = explore_sweep_window(sw, i, e);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    return 0;
}

int explore_run(struct session *ses, const struct explore_options *o, const struct explore_hooks *h,
                struct explore_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    const struct vocab_target *vt = target_vocab(session_target(ses));
    if (!vt)
        return err_set(e, "explore_run: the session has not asked its target what it knows (SESSION_TRIALS)");
    if (plan(o, vt, session_profile(ses)->dest_vmm, r, e) < 0) {
        r->usage = true;
        return -1;
    }
    uint64_t start = mono_now_us(), limit = o->time_us ? o->time_us : DEFAULT_TIME_US;
    struct explore_sweep sw = {.ses = ses, .o = o, .h = h, .r = r, .start_us = start, .limit_us = limit,
                               .total = r->ncells, .cell_done = explore_sweep_progress};
    int rc = o->jobs > 1 ? explore_sweep_jobs(&sw, e) : sweep_here(&sw, e);
    if (sweep_finish(r, e) < 0 || rc < 0)
        return -1;
    struct minimized done = {0};
    for (size_t i = 0; i < r->done && !r->interrupted; i++) {
        struct explore_cell *c = &r->cells[i];
        uint64_t used = mono_now_us() - start;
        /* a finding, or a hang of its own (not one of a window that hangs whatever the command) */
        bool hung = c->rep.stats.hangs && !c->window_hangs;
        if (!(c->rep.stats.crashes + c->rep.stats.violations) && !hung)
            continue;
        if (!o->out)
            continue;
        if (used > limit) {
            r->out_of_time = true;
            break;
        }
        if (reproduce(ses, c, o, h, limit - used, &done, &r->interrupted, e) < 0) {
            minimized_free(&done);
            return -1;
        }
    }
    minimized_free(&done);
    return 0;
}

size_t explore_columns(const struct explore_result *r, const struct explore_window **cols, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        size_t k = 0;
        while (k < n && cols[k] != r->cells[i].window)
            k++;
        if (k == n && n < max)
            cols[n++] = r->cells[i].window;
    }
    return n;
}

bool explore_row_starts(const struct explore_result *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(r->cells[j].command, r->cells[i].command) == 0)
            return false;
    return true;
}

const struct explore_cell *explore_cell_at(const struct explore_result *r, const struct explore_window *w,
                                           const char *command)
{
    for (size_t j = 0; j < r->done; j++)
        if (r->cells[j].window == w && strcmp(r->cells[j].command, command) == 0)
            return &r->cells[j];
    return NULL;
}

void explore_result_free(struct explore_result *r)
{
    for (size_t i = 0; i < r->ncells; i++)
        cell_free(&r->cells[i]);
    free(r->cells);
    explore_windows_free(&r->windows);
    memset(r, 0, sizeof *r);
}

void explore_window_landing(const struct explore_result *r, const struct explore_window *w,
                            struct explore_landing *out)
{
    memset(out, 0, sizeof *out);
    out->outside = -1;
    for (size_t i = 0; i < r->done; i++)
        if (r->cells[i].window == w) {
            out->sent += r->cells[i].opened;
            out->landed += r->cells[i].landed;
            if (r->cells[i].sent_in >= 0)
                out->outside = r->cells[i].sent_in;
        }
}

json_object *explore_cell_json(const struct explore_cell *c)
{
    const struct verdict_stats *s = &c->rep.stats;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "window", json_object_new_string(c->window->name));
    json_object_object_add(o, "command", json_object_new_string(c->command));
    json_object_object_add(o, "trials", json_object_new_int64(s->trials));
    json_object_object_add(o, "crashes", json_object_new_int64(s->crashes));
    json_object_object_add(o, "refused", json_object_new_int64(c->refused));
    json_object_object_add(o, "hangs", json_object_new_int64(s->hangs));
    json_object_object_add(o, "violations", json_object_new_int64(s->violations));
    json_object_object_add(o, "unexercised", json_object_new_int64(s->unexercised));
    json_object_object_add(o, "landed", json_object_new_int64(c->landed));
    json_object_object_add(o, "signatures", report_counts_json(s->sigs, s->nsigs, "signature"));
    json_object_object_add(o, "reproducer", c->reproducer ? json_object_new_string(c->reproducer) : NULL);
    return o;
}

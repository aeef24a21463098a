/* diagram: a timeline as an SVG sequence diagram (see diagram.h). Two passes: the first finds the lanes
 * (threads and channels the timeline names) and the window, the second draws a row per entry. */
#include "diagram.h"

#include <stdlib.h>
#include <string.h>

#include "ci_report.h"
#include "vocab.h"

#define LANE_W 170
#define LEFT 84   /* the time column */
#define TOP 56    /* the lane headers */
#define ROW_H 20
#define MAX_LANES 24
#define LABEL_MAX 34 /* bytes of a label; the tooltip has all of it */

enum { LANE_CLIENT, LANE_MAIN, LANE_FIRST_FREE }; /* qmprace's QMP client; the target's main loop */

struct lanes {
    char names[MAX_LANES][64];
    int chan_no[MAX_LANES]; /* the proxy's channel number for a channel lane, else -1 */
    size_t n;
    size_t nthreads; /* lanes before the first channel lane */
};

void diagram_text(FILE *f, const char *s, size_t max)
{
    size_t len = strlen(s);
    bool cut = max && len > max;
    if (cut) {
        len = max;
        while (len && ((unsigned char)s[len] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
            len--;
    }
    char *copy = strndup(s, len);
    char *esc = copy ? ci_xml_escape(copy) : NULL;
    fputs(esc ? esc : "", f);
    if (cut)
        fputs("...", f);
    free(esc);
    free(copy);
}

/* "multifdsend_0: multifd_send_error channel 0" -> "multifdsend_0" (the thread of a trace entry). */
static void diagram_thread_of(const char *text, char *out, size_t n)
{
    size_t k = strcspn(text, ": ");
    if (text[k] != ':')
        k = 0;
    snprintf(out, n, "%.*s", (int)k, text);
    if (!out[0])
        snprintf(out, n, "?");
}

/* The migration thread first after main, then multifd threads in order, then the rest, as they come. */
static int diagram_thread_rank(const char *name)
{
    if (strcmp(name, "live_migration") == 0 || strcmp(name, "mig/src/main") == 0)
        return 0;
    if (strncmp(name, "multifdsend_", 12) == 0 || strncmp(name, "mig/src/send_", 13) == 0)
        return 1;
    return 2;
}

static size_t diagram_lane(struct lanes *l, const char *name, int chan_no)
{
    for (size_t i = 0; i < l->n; i++)
        if (chan_no >= 0 ? l->chan_no[i] == chan_no : (l->chan_no[i] < 0 && strcmp(l->names[i], name) == 0))
            return i;
    if (l->n == MAX_LANES)
        return chan_no >= 0 ? l->n - 1 : LANE_MAIN; /* crowded: the last lane takes the rest */
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    l->chan_no[l->n] = chan_no;
    return l->n++;
}

/* "channel #3 ..." -> 3, else -1. */
static int diagram_chan_no(const char *text)
{
    int no = -1;
    if (sscanf(text, "channel #%d", &no) != 1)
        return -1;
    return no;
}

static bool diagram_is_failed(const struct tl_entry *e)
{
    int s = timeline_entry_status(e);
    return s == MIG_FAILED || s == MIG_FAILING;
}

static bool diagram_is_cleanup(const struct tl_entry *e)
{
    return e->kind == TL_TRACE && (e->code == TRACE_SAVEVM_STATE_CLEANUP || e->code == TRACE_MIGRATE_FD_CLEANUP);
}

/* Whether an entry gets a row: engine notes and the stacks of idle threads do not (they are in the text
 * timeline). */
static bool diagram_drawn(const struct tl_entry *e)
{
    return e->kind != TL_NOTE && !(e->kind == TL_STACK && !e->code);
}

/* "multifdsend_0 (tid 12) blocked in ..." -> "multifdsend_0": the thread of a stack entry. */
static void diagram_stack_thread(const char *text, char *out, size_t n)
{
    const char *tid = strstr(text, " (tid ");
    snprintf(out, n, "%.*s", tid ? (int)(tid - text) : (int)strcspn(text, " "), text);
}

/* Lanes: client, main, then threads (migration thread, multifd threads, others), then channels. */
static void diagram_lanes(const struct timeline *tl, struct lanes *l)
{
    memset(l, 0, sizeof *l);
    diagram_lane(l, "qmprace (QMP client)", -1);
    diagram_lane(l, "main", -1);
    for (int rank = 0; rank < 3; rank++)
        for (size_t i = 0; i < timeline_count(tl); i++) {
            const struct tl_entry *e = timeline_get(tl, i);
            char name[48];
            if (e->kind == TL_TRACE)
                diagram_thread_of(e->text, name, sizeof name);
            else if (e->kind == TL_THREAD)
                snprintf(name, sizeof name, "%.*s", (int)strcspn(e->text, " "), e->text);
            else if (e->kind == TL_STACK && e->code) /* a blocked thread gets a lane to end on */
                diagram_stack_thread(e->text, name, sizeof name);
            else
                continue;
            if (strcmp(name, "main") != 0 && diagram_thread_rank(name) == rank)
                diagram_lane(l, name, -1);
        }
    l->nthreads = l->n;
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        int no = e->kind == TL_CHANNEL ? diagram_chan_no(e->text) : -1;
        if (no < 0)
            continue;
        char name[48];
        snprintf(name, sizeof name, "channel #%d", no);
        size_t k = diagram_lane(l, name, no);
        char role[32];
        if (sscanf(e->text, "channel #%*d is %31s", role) == 1) /* identified: "channel #1 multifd0" */
            snprintf(l->names[k], sizeof l->names[0], "channel #%d %s", no, role);
    }
}

static int lane_x(size_t lane)
{
    return LEFT + (int)lane * LANE_W + LANE_W / 2;
}

static int row_y(size_t row)
{
    return TOP + (int)row * ROW_H + ROW_H / 2;
}

/* A mark on a lane with its label, the whole text as tooltip. */
static void diagram_mark(FILE *f, size_t lane, size_t row, const char *cls, const char *label, const char *full)
{
    int x = lane_x(lane), y = row_y(row);
    fprintf(f, "<g class=\"%s\"><title>", cls);
    diagram_text(f, full, 0);
    fprintf(f, "</title><circle cx=\"%d\" cy=\"%d\" r=\"4\"/><text x=\"%d\" y=\"%d\">", x, y, x + 7, y + 4);
    diagram_text(f, label, LABEL_MAX);
    fputs("</text></g>\n", f);
}

static void diagram_arrow(FILE *f, size_t from, size_t to, size_t row, const char *cls, const char *label,
                          const char *full)
{
    int x1 = lane_x(from), x2 = lane_x(to), y = row_y(row);
    int tip = x2 > x1 ? x2 - 5 : x2 + 5;
    fprintf(f, "<g class=\"%s\"><title>", cls);
    diagram_text(f, full, 0);
    fprintf(f, "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x1, y, tip, y);
    fprintf(f, "<path d=\"M%d %d L%d %d L%d %d Z\"/>", x2, y, tip, y - 4, tip, y + 4);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (x1 + x2) / 2, y - 3);
    diagram_text(f, label, (size_t)abs(x2 - x1) / 6);
    fputs("</text></g>\n", f);
}

/* A death with no failure before it (a crash after `completed`, say) still had a window: from the last
 * migration status the target reported to the death. Drawing it keeps every crash's page pointing at
 * where to look, not only the crashes that came through a failure. */
static void diagram_death_window(const struct timeline *tl, struct tl_window *w)
{
    size_t n = timeline_count(tl), last = n;
    for (size_t i = 0; i < n; i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (timeline_entry_status(e) >= 0)
            last = i;
        else if (e->kind == TL_DEATH && last < n) {
            w->open = true;
            w->from = last;
            w->to = i;
            w->until = TL_WINDOW_DEATH;
            return;
        }
    }
}

/* The window (timeline_window: the one the fuzzing feedback rewards) in drawn rows, within `nrows`. */
static void diagram_window(const struct timeline *tl, struct diagram_window *w, size_t nrows)
{
    memset(w, 0, sizeof *w);
    struct tl_window tw;
    timeline_window(tl, &tw);
    if (!tw.open)
        diagram_death_window(tl, &tw);
    size_t row = 0, from = 0, to = 0;
    for (size_t i = 0; i <= tw.to && i < timeline_count(tl); i++) {
        bool drawn = diagram_drawn(timeline_get(tl, i));
        if (i == tw.from)
            from = row;
        if (drawn)
            to = row;
        row += drawn;
    }
    if (!tw.open || from >= nrows)
        return;
    w->found = true;
    w->from_row = from;
    w->to_row = to < nrows ? to : nrows - 1;
    w->from_us = timeline_get(tl, tw.from)->t_us;
    w->to_us = timeline_get(tl, tw.to)->t_us;
    w->until = tw.until == TL_WINDOW_CLEANUP ? "cleanup" : tw.until == TL_WINDOW_DEATH ? "death" : "end of the timeline";
    w->status = vocab_status_name(timeline_get(tl, tw.from)->kind == TL_EVENT ? timeline_get(tl, tw.from)->code
                                                                             : timeline_get(tl, tw.from)->arg);
}

/* The label of a QMP reply: what follows "COMMAND -> ". */
static const char *diagram_after_arrow(const char *text)
{
    const char *p = strstr(text, " -> ");
    return p ? p + 4 : text;
}

static void diagram_row(FILE *f, struct lanes *l, const struct tl_entry *e, size_t row, bool held[MAX_LANES],
                        size_t held_from[MAX_LANES])
{
    char name[64], label[160];
    switch (e->kind) {
    case TL_QMP_OUT:
        snprintf(label, sizeof label, "%.*s", (int)strcspn(e->text, " "), e->text);
        diagram_arrow(f, LANE_CLIENT, LANE_MAIN, row, "qmp", label, e->text);
        break;
    case TL_QMP_IN:
        diagram_arrow(f, LANE_MAIN, LANE_CLIENT, row, e->arg == TL_REFUSED ? "reply refused" : "reply",
                      diagram_after_arrow(e->text), e->text);
        break;
    case TL_EVENT:
        if (e->code >= 0 && strncmp(e->text, "MIGRATION ", 10) == 0)
            snprintf(label, sizeof label, "MIGRATION %s", vocab_status_name(e->code));
        else
            snprintf(label, sizeof label, "%.*s", (int)strcspn(e->text, " "), e->text);
        diagram_arrow(f, LANE_MAIN, LANE_CLIENT, row, e->code == MIG_FAILED ? "event failed" : "event", label,
                      e->text);
        break;
    case TL_STEP:
        diagram_mark(f, LANE_CLIENT, row, "step", e->text, e->text);
        break;
    case TL_FAULT: {
        /* from the proxy (qmprace) to the farthest channel lane */
        size_t last = l->n > l->nthreads ? l->n - 1 : LANE_MAIN;
        diagram_arrow(f, LANE_CLIENT, last, row, "fault", e->text, e->text);
        break;
    }
    case TL_CHANNEL: {
        int no = diagram_chan_no(e->text);
        snprintf(name, sizeof name, "channel #%d", no);
        size_t k = no >= 0 ? diagram_lane(l, name, no) : LANE_CLIENT;
        const char *what = strchr(e->text + 9, ' ');
        diagram_mark(f, k, row, strstr(e->text, "ended") ? "chan ended" : "chan", what ? what + 1 : e->text, e->text);
        break;
    }
    case TL_TRACE: {
        diagram_thread_of(e->text, name, sizeof name);
        size_t k = diagram_lane(l, name, -1);
        const char *what = strchr(e->text, ':');
        bool failed = diagram_is_failed(e);
        diagram_mark(f, k, row, failed ? "trace failed" : diagram_is_cleanup(e) ? "trace cleanup" : "trace",
                     what ? what + 2 : e->text, e->text);
        break;
    }
    case TL_THREAD: {
        snprintf(name, sizeof name, "%.*s", (int)strcspn(e->text, " "), e->text);
        size_t k = diagram_lane(l, name, -1);
        if (e->arg) {
            held[k] = true;
            held_from[k] = row;
        } else if (held[k]) {
            held[k] = false;
            fprintf(f, "<rect class=\"hold\" x=\"%d\" y=\"%d\" width=\"8\" height=\"%d\"/>\n", lane_x(k) - 4,
                    row_y(held_from[k]), row_y(row) - row_y(held_from[k]));
        }
        diagram_mark(f, k, row, "hold-mark", e->arg ? "held" : "released", e->text);
        break;
    }
    case TL_OUTPUT:
        diagram_mark(f, LANE_MAIN, row, strstr(e->text, "Assertion") ? "stderr fatal" : "stderr", e->text, e->text);
        break;
    case TL_DEATH:
        fprintf(f, "<g class=\"death\"><title>");
        diagram_text(f, e->text, 0);
        fprintf(f, "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/><text x=\"%d\" y=\"%d\">", lane_x(LANE_MAIN),
                row_y(row), lane_x(l->nthreads - 1) + LANE_W / 3, row_y(row), lane_x(LANE_MAIN) + 7, row_y(row) - 3);
        diagram_text(f, e->text, 90);
        fputs("</text></g>\n", f);
        break;
    case TL_VERDICT:
        diagram_mark(f, LANE_CLIENT, row, "verdict", e->text, e->text);
        break;
    case TL_STACK: { /* a hung trial: where each thread that is not idle waits, at its lane's end */
        if (!e->code)
            break;
        diagram_stack_thread(e->text, name, sizeof name);
        const char *where = strstr(e->text, "blocked in ");
        char stack_label[96];
        snprintf(stack_label, sizeof stack_label, "%.*s", where ? (int)strcspn(where, ":") : 7,
                 where ? where : "blocked");
        diagram_mark(f, diagram_lane(l, name, -1), row, "stack", stack_label, e->text);
        break;
    }
    default:
        break;
    }
}

static const char diagram_style[] =
    "<style>"
    "text{font:11px sans-serif;fill:#222}.lane-name{font-weight:bold}"
    ".lifeline{stroke:#9aa5b1;stroke-width:1.5}.lane-head{fill:#e8eef5;stroke:#9aa5b1}"
    ".time{fill:#666;font:10px monospace}"
    ".window{fill:#ffd6d6;stroke:#d33;stroke-dasharray:4 3}.window-label{fill:#b00;font-weight:bold}"
    ".qmp line,.qmp path{stroke:#1f5fbf;fill:#1f5fbf}.reply line,.reply path{stroke:#2e8b57;fill:#2e8b57}"
    ".refused line,.refused path{stroke:#c60;fill:#c60}"
    ".event line{stroke:#7a4fbf;stroke-dasharray:5 3}.event path{fill:#7a4fbf}"
    ".failed line{stroke:#d00}.failed path{fill:#d00}"
    ".fault line{stroke:#d00;stroke-width:2;stroke-dasharray:2 2}.fault path{fill:#d00}.fault text{fill:#d00}"
    ".step circle{fill:#1f5fbf}.verdict circle{fill:#000}.verdict text{font-weight:bold}"
    ".trace circle{fill:#555}.trace.failed circle,.trace.cleanup circle{fill:#d00}"
    ".chan circle{fill:#999}.chan.ended circle{fill:#d00}"
    ".stack circle{fill:#b36b00}.stack text{fill:#b36b00;font-weight:bold}"
    ".hold{fill:#f0a000;opacity:.6}.hold-mark circle{fill:#f0a000}"
    ".stderr circle{fill:#999}.stderr.fatal circle{fill:#d00}.stderr.fatal text{fill:#b00}"
    ".death line{stroke:#d00;stroke-width:3}.death text{fill:#d00;font-weight:bold}"
    "</style>\n";

int diagram_svg(FILE *f, const struct timeline *tl, struct diagram_info *info)
{
    struct lanes *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    diagram_lanes(tl, l);
    size_t rows = 0, total = 0;
    for (size_t i = 0; i < timeline_count(tl); i++)
        total += diagram_drawn(timeline_get(tl, i));
    rows = total < DIAGRAM_MAX_ROWS ? total : DIAGRAM_MAX_ROWS;
    struct diagram_window w;
    diagram_window(tl, &w, rows);
    int width = LEFT + (int)l->n * LANE_W + 20, height = TOP + (int)rows * ROW_H + 30;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"diagram\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"sequence diagram of the trial\">\n",
            width, height, width, height);
    fputs(diagram_style, f);
    if (w.found) {
        int y1 = row_y(w.from_row) - ROW_H / 2, y2 = row_y(w.to_row) + ROW_H / 2;
        fprintf(f, "<g id=\"race-window\"><title>the race window: from the first %s (%llu us) to the %s (%llu us)"
                   "</title><rect class=\"window\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" data-from-row=\"%zu\" "
                   "data-to-row=\"%zu\"/>",
                w.status, (unsigned long long)w.from_us, w.until, (unsigned long long)w.to_us, LEFT - 4, y1,
                (int)l->n * LANE_W + 8, y2 - y1, w.from_row, w.to_row);
        fprintf(f, "<text class=\"window-label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">window: %s to %s, "
                   "%llu us</text></g>\n",
                LEFT + (int)l->n * LANE_W - 4, y1 + 12, w.status, w.until, (unsigned long long)(w.to_us - w.from_us));
    }
    for (size_t k = 0; k < l->n; k++) {
        int x = lane_x(k);
        fprintf(f, "<line class=\"lifeline\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x, TOP - 8, x,
                TOP + (int)rows * ROW_H);
        fprintf(f, "<rect class=\"lane-head\" x=\"%d\" y=\"8\" width=\"%d\" height=\"36\" rx=\"4\"/>", x - LANE_W / 2 + 6,
                LANE_W - 12);
        fprintf(f, "<text class=\"lane-name\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", x);
        diagram_text(f, l->names[k], 26);
        fprintf(f, "</text><text x=\"%d\" y=\"38\" text-anchor=\"middle\">%s</text>\n", x,
                k == LANE_CLIENT ? "and its fault proxy" : k < l->nthreads ? "target thread" : "migration channel");
    }
    bool held[MAX_LANES] = {0};
    size_t held_from[MAX_LANES] = {0};
    size_t row = 0;
    for (size_t i = 0; i < timeline_count(tl) && row < rows; i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (!diagram_drawn(e))
            continue;
        fprintf(f, "<text class=\"time\" x=\"4\" y=\"%d\">%llu us</text>", row_y(row) + 4, (unsigned long long)e->t_us);
        diagram_row(f, l, e, row, held, held_from);
        row++;
    }
    for (size_t k = 0; k < l->n; k++) /* still held at the end */
        if (held[k])
            fprintf(f, "<rect class=\"hold\" x=\"%d\" y=\"%d\" width=\"8\" height=\"%d\"/>\n", lane_x(k) - 4,
                    row_y(held_from[k]), row_y(rows) - row_y(held_from[k]));
    if (total > rows)
        fprintf(f, "<text x=\"%d\" y=\"%d\">... %zu more entries: see the text timeline</text>\n", LEFT,
                TOP + (int)rows * ROW_H + 18, total - rows);
    fputs("</svg>\n", f);
    if (info) {
        info->rows = rows;
        info->lanes = l->n;
        info->window = w;
    }
    free(l);
    return 0;
}

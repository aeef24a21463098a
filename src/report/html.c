/* html: the self-contained report pages (see html_report.h). Every text that came from outside (schedule
 * files, signatures, target output) goes through diagram_text, which escapes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "ci_internal.h"
#include "compare.h"
#include "wholefile.h"
#include "diagram.h"
#include "html_report.h"

static const char html_style[] =
    "<style>"
    "body{font:14px/1.45 sans-serif;margin:24px;color:#222;max-width:1800px}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}h3{font-size:15px}"
    "table.kv td{padding:2px 12px 2px 0;vertical-align:top}table.kv td:first-child{color:#666}"
    "pre{background:#f6f8fa;padding:10px;overflow-x:auto;border:1px solid #e1e4e8}"
    ".rate{font-size:16px;font-weight:bold}.crash{color:#b00}.pass{color:#2e7d32}"
    "table.sigs td{padding:2px 10px 2px 0}.diagram-box{overflow-x:auto;border:1px solid #ddd;margin:8px 0}"
    "table.matrix{border-collapse:collapse}table.matrix td,table.matrix th{border:1px solid #ccc;padding:3px 6px;"
    "font-size:12px}table.matrix th{background:#eef}td.c-crash{background:#f4a3a3}td.c-some{background:#fbd3c4}"
    "td.c-refused{background:#d6e4f0}td.c-pass{background:#d7f0d7}td.c-hang{background:#ffe0a0}"
    "td.c-miss{background:#eee}td.c-none{background:#fff}"
    "td.k-closed{background:#b9e3b9}td.k-open{background:#f4a3a3}td.k-new{background:#d9b8ef}td.k-same{background:#fff}"
    "</style>\n";

/* A target's rows of the page's table: its spec under `label`, and its VMM's version when known. */
static void html_target_rows(FILE *f, const char *label, const struct html_target *t)
{
    fprintf(f, "<tr><td>%s</td><td><code>", label);
    diagram_text(f, t->spec, 0);
    fputs("</code></td></tr>\n", f);
    if (t->version && *t->version) {
        fputs("<tr><td>VMM version</td><td>", f);
        diagram_text(f, t->version, 0);
        fputs("</td></tr>\n", f);
    }
}

/* Opens the page in memory (*text, once the stream is closed): head, title, and the target and profile
 * table. NULL when memory runs out. */
static FILE *html_begin(char **text, size_t *len, const char *title, const struct html_target *t,
                        const struct trial_profile *p)
{
    *text = NULL;
    FILE *f = open_memstream(text, len);
    if (!f)
        return NULL;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    diagram_text(f, title, 0);
    fputs("</title>\n", f);
    fputs(html_style, f);
    fputs("</head><body>\n<h1>", f);
    diagram_text(f, title, 0);
    fputs("</h1>\n<table class=\"kv\">\n", f);
    html_target_rows(f, "target", t);
    struct utsname u;
    if (uname(&u) == 0) {
        char host[400];
        snprintf(host, sizeof host, "%s (%s %s, %s)", u.nodename, u.sysname, u.release, u.machine);
        fputs("<tr><td>host</td><td>", f);
        diagram_text(f, host, 0);
        fputs("</td></tr>\n", f);
    }
    char *prof = profile_print(p);
    fputs("<tr><td>trial profile</td><td><code>", f);
    diagram_text(f, prof ? prof : "", 0);
    fputs("</code></td></tr>\n", f);
    free(prof);
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
    fprintf(f, "<tr><td>written</td><td>%s by qmprace ", when);
    diagram_text(f, t->qmprace ? t->qmprace : "", 0);
    fputs("</td></tr>\n</table>\n", f);
    return f;
}

static void html_end(FILE *f)
{
    fputs("</body></html>\n", f);
}

/* A file's text in a <pre> (at most 64 KiB of it), or a note that it cannot be read. */
static void html_file(FILE *f, const char *path)
{
    bool cut = false;
    char *buf = path ? ci_read_file(path, 65536, &cut) : NULL;
    if (!buf) {
        fputs("<p>(the file cannot be read)</p>\n", f);
        return;
    }
    fputs("<pre>", f);
    diagram_text(f, buf, 0);
    fputs("</pre>\n", f);
    if (cut)
        fputs("<p>(cut at 64 KiB)</p>\n", f);
    free(buf);
}

/* The rate with its interval, hangs, trials not run as written, and the signatures. */
static void html_stats(FILE *f, const struct verdict_stats *s, const char *rate_of)
{
    double lo, hi;
    verdict_wilson(s->crashes, s->trials, &lo, &hi);
    fprintf(f, "<p class=\"rate %s\">%s%u/%u crashed (%.1f%%, 95%% CI %.1f-%.1f%%)</p>\n",
            s->crashes ? "crash" : "pass", rate_of ? rate_of : "", s->crashes, s->trials,
            s->trials ? 100.0 * s->crashes / s->trials : 0.0, 100 * lo, 100 * hi);
    fprintf(f, "<p%s>%u violated a property; %u hung; %u did not run as written; median trial %.2f ms</p>\n",
            s->violations || s->hangs ? " class=\"rate crash\"" : "", s->violations, s->hangs, s->unexercised,
            verdict_stats_median_us(s) / 1000.0);
    if (!s->nsigs && !s->nhang && !s->nmisses)
        return;
    fputs("<table class=\"sigs\">\n", f);
    for (size_t i = 0; i < s->nsigs; i++) {
        fprintf(f, "<tr><td>%u</td><td>%s</td><td><code>", s->sigs[i].count,
                verdict_of_signature(s->sigs[i].key) == VERDICT_VIOLATION ? "violation" : "crash");
        diagram_text(f, s->sigs[i].key, 0);
        fputs("</code></td></tr>\n", f);
    }
    for (size_t i = 0; i < s->nhang; i++) {
        fprintf(f, "<tr><td>%u</td><td>hang</td><td>", s->hang_reasons[i].count);
        diagram_text(f, s->hang_reasons[i].key, 0);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < s->nmisses; i++) {
        fprintf(f, "<tr><td>%u</td><td>not as written</td><td>", s->misses[i].count);
        diagram_text(f, s->misses[i].key, 0);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The diagram of one trial, then its text timeline folded away. */
static int html_timeline(FILE *f, const struct timeline *tl, unsigned trial, const char *verdict)
{
    if (!tl)
        return 0;
    fprintf(f, "<h3>Trial %u (%s) as a sequence diagram</h3>\n<div class=\"diagram-box\">\n", trial,
            verdict ? verdict : "?");
    if (diagram_svg(f, tl, NULL) < 0)
        return -1;
    fputs("</div>\n<details><summary>the same trial as a text timeline</summary><pre>", f);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        timeline_write_text(tl, m);
        fclose(m);
        diagram_text(f, text ? text : "", 0);
    }
    free(text);
    fputs("</pre></details>\n", f);
    return 0;
}

/* Builds the page in memory and writes it whole. */
static int html_finish(const char *path, FILE *f, char **text, int rc, struct err *e)
{
    html_end(f);
    if (fclose(f) != 0 || rc < 0 || !*text) { /* the stream sets *text when it is closed */
        free(*text);
        return err_set(e, "out of memory");
    }
    rc = wholefile_write_text(path, *text, e);
    free(*text);
    return rc;
}

int html_report_run(const char *path, const struct html_target *t, const struct trial_profile *p,
                    const struct report *items, size_t n, struct err *e)
{
    char title[600];
    snprintf(title, sizeof title, "qmprace run: %s%s", n ? items[0].schedule : "", n > 1 ? " and more" : "");
    char *text;
    size_t len;
    FILE *f = html_begin(&text, &len, title, t, p);
    if (!f)
        return err_set(e, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct report *r = &items[i];
        fputs("<h2>", f);
        diagram_text(f, r->schedule, 0);
        fputs("</h2>\n", f);
        html_stats(f, r->stats, NULL);
        if (r->partial)
            fputs("<p>(interrupted: partial)</p>\n", f);
        fputs("<h3>The schedule</h3>\n", f);
        html_file(f, r->schedule);
        rc = html_timeline(f, r->timeline, r->timeline_trial, r->timeline_verdict);
    }
    return html_finish(path, f, &text, rc, e);
}

int html_report_hunt(const char *path, const struct html_target *t, const struct trial_profile *p,
                     const struct triage *tr, const struct afl_progress *afl, struct err *e)
{
    char title[600];
    snprintf(title, sizeof title, "qmprace hunt on %s: %zu crash%s", t->spec, tr->n, tr->n == 1 ? "" : "es");
    char *text;
    size_t len;
    FILE *f = html_begin(&text, &len, title, t, p);
    if (!f)
        return err_set(e, "out of memory");
    fprintf(f, "<p>AFL++: %llu executions (%.1f/s), %u paths, %u crash inputs; %u looked at, %u did not crash "
               "again%s</p>\n",
            (unsigned long long)afl->execs, afl->execs_per_sec, afl->paths, afl->crashes, tr->inputs,
            tr->unreproduced, tr->interrupted ? "; interrupted" : "");
    int rc = 0;
    for (size_t i = 0; i < tr->n && rc == 0; i++) {
        const struct triage_case *c = &tr->cases[i];
        fputs("<h2>", f);
        diagram_text(f, c->signature, 0);
        fputs("</h2>\n<p>after <code>", f);
        diagram_text(f, c->phase, 0);
        fprintf(f, "</code>; %u crash input%s with this signature</p>\n", c->inputs, c->inputs == 1 ? "" : "s");
        html_stats(f, &c->rate.stats, "its reproducer: ");
        fputs("<h3>The reproducer <code>", f);
        diagram_text(f, c->file ? c->file : "(not written)", 0);
        fputs("</code></h3>\n", f);
        html_file(f, c->file);
        rc = html_timeline(f, c->rate.shown.timeline, c->rate.shown_trial, verdict_name(c->rate.shown.verdict));
    }
    if (!tr->n)
        fputs("<p class=\"rate pass\">No crash found.</p>\n", f);
    return html_finish(path, f, &text, rc, e);
}

/* The class and text of a matrix cell. */
static const char *html_cell(const struct explore_cell *c, char *buf, size_t n)
{
    const struct verdict_stats *s = &c->rep.stats;
    snprintf(buf, n, "%u/%u", s->crashes, s->trials);
    if (!s->trials)
        return "c-none";
    if (s->crashes)
        return s->crashes == s->trials ? "c-crash" : "c-some";
    if (s->hangs)
        return "c-hang";
    if (c->refused) {
        snprintf(buf, n, "refused %u/%u", c->refused, s->trials);
        return "c-refused";
    }
    if (s->unexercised)
        return "c-miss";
    return "c-pass";
}

/* Writes one cell of a matrix: its whole <td> (c NULL: no cell ran there). */
typedef void (*html_cell_fn)(FILE *f, const struct explore_result *r, const struct explore_cell *c, void *arg);

/* A matrix: a row per command, a column per window, each cell written by `cell`; then the legend. */
static void html_grid(FILE *f, const struct explore_result *r, html_cell_fn cell, void *arg, const char *legend)
{
    const struct explore_window *cols[16];
    size_t ncols = explore_columns(r, cols, 16);
    fputs("<table class=\"matrix\">\n<tr><th>command</th>", f);
    for (size_t k = 0; k < ncols; k++) {
        fputs("<th>", f);
        diagram_text(f, cols[k]->name, 0);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < r->done; i++) {
        if (!explore_row_starts(r, i))
            continue;
        fputs("<tr><td><code>", f);
        diagram_text(f, r->cells[i].command, 0);
        fputs("</code></td>", f);
        for (size_t k = 0; k < ncols; k++)
            cell(f, r, explore_cell_at(r, cols[k], r->cells[i].command), arg);
        fputs("</tr>\n", f);
    }
    fprintf(f, "</table>\n<p>%s</p>\n", legend);
}

/* A sweep's cell: K/N coloured by what happened, a crashing one linked to its section. */
static void html_explore_cell(FILE *f, const struct explore_result *r, const struct explore_cell *c, void *arg)
{
    (void)arg;
    char text[48] = "";
    const char *cls = c ? html_cell(c, text, sizeof text) : "c-none";
    fprintf(f, "<td class=\"%s\">", cls);
    if (c && c->reproducer)
        fprintf(f, "<a href=\"#cell-%zu\">%s</a>", (size_t)(c - r->cells), text);
    else
        fputs(text, f);
    fputs("</td>", f);
}

int html_report_explore(const char *path, const struct html_target *t, const struct trial_profile *p,
                        const struct explore_result *r, struct err *e)
{
    char title[600];
    snprintf(title, sizeof title, "qmprace explore on %s", t->spec);
    char *text;
    size_t len;
    FILE *f = html_begin(&text, &len, title, t, p);
    if (!f)
        return err_set(e, "out of memory");
    fprintf(f, "<p>%zu of %zu cells ran%s%s.</p>\n", r->done, r->ncells, r->out_of_time ? "; --time ran out" : "",
            r->interrupted ? "; interrupted" : "");
    html_grid(f, r, html_explore_cell, NULL,
              "K/N: K of N trials crashed (red: all, pink: some); blue: the target refused the command; green: no "
              "crash; orange: a hang; grey: did not run as written. A crashing cell links to its reproducer.");
    int rc = 0;
    for (size_t i = 0; i < r->done && rc == 0; i++) {
        const struct explore_cell *c = &r->cells[i];
        if (!c->rep.stats.crashes)
            continue;
        fprintf(f, "<h2 id=\"cell-%zu\">[", i);
        diagram_text(f, c->window->name, 0);
        fputs("] x [", f);
        diagram_text(f, c->command, 0);
        fputs("]</h2>\n", f);
        html_stats(f, &c->rep.stats, NULL);
        if (c->reproducer) {
            fputs("<h3>The reproducer <code>", f);
            diagram_text(f, c->reproducer, 0);
            fputs("</code></h3>\n", f);
            html_file(f, c->reproducer);
        }
        rc = html_timeline(f, c->rep.shown.timeline, c->rep.shown_trial, verdict_name(c->rep.shown.verdict));
    }
    return html_finish(path, f, &text, rc, e);
}

/* One build's side of a compared cell: its rate and signatures, and its reproducer's text. */
static void html_compare_side(FILE *f, const char *label, const struct html_target *t, const struct explore_cell *c)
{
    fprintf(f, "<h3>%s: <code>", label);
    diagram_text(f, t->spec, 0);
    fputs("</code></h3>\n", f);
    if (!c) {
        fputs("<p>This cell did not run there (the window was not opened on that build).</p>\n", f);
        return;
    }
    html_stats(f, &c->rep.stats, NULL);
    if (c->refused)
        fprintf(f, "<p>The target refused the command in %u of %u trials.</p>\n", c->refused, c->rep.stats.trials);
    if (c->reproducer) {
        fputs("<p>reproducer <code>", f);
        diagram_text(f, c->reproducer, 0);
        fputs("</code></p>\n", f);
        html_file(f, c->reproducer);
    }
}

struct html_compare {
    const struct explore_result *b;
    const enum compare_class *k; /* by A's cell index */
};

/* A compared cell: findings on A > on B, coloured by its class, a differing one linked to its section. */
static void html_compare_cell(FILE *f, const struct explore_result *ra, const struct explore_cell *ca, void *arg)
{
    static const char *const css[CMP_CLASS_COUNT] = {"k-same", "k-closed", "k-open", "k-new"};
    const struct html_compare *cmp = arg;
    if (!ca) {
        fputs("<td class=\"c-none\"></td>", f);
        return;
    }
    size_t ia = (size_t)(ca - ra->cells);
    const struct explore_cell *cb = compare_match(cmp->b, ca);
    unsigned fa = ca->rep.stats.crashes + ca->rep.stats.violations;
    char cell[64];
    if (cb)
        snprintf(cell, sizeof cell, "%u&gt;%u%s", fa, cb->rep.stats.crashes + cb->rep.stats.violations,
                 cb->refused && !ca->refused ? " r" : "");
    else
        snprintf(cell, sizeof cell, "%u&gt;?", fa);
    fprintf(f, "<td class=\"%s\">", css[cmp->k[ia]]);
    if (cmp->k[ia] != CMP_SAME)
        fprintf(f, "<a href=\"#cmp-%zu\">%s</a>", ia, cell);
    else
        fputs(cell, f);
    fputs("</td>", f);
}

int html_report_compare(const char *path, const struct html_target *a, const struct html_target *b,
                        const struct trial_profile *p, const struct explore_result *ra, const struct explore_result *rb,
                        struct err *e)
{
    enum compare_class *k = calloc(ra->done ? ra->done : 1, sizeof *k);
    if (!k)
        return err_set(e, "out of memory");
    size_t unmatched = 0;
    compare_explore(ra, rb, k, &unmatched);
    char title[900];
    snprintf(title, sizeof title, "qmprace explore: %s compared with %s", a->spec, b->spec);
    char *text;
    size_t len;
    FILE *f = html_begin(&text, &len, title, a, p);
    if (!f) {
        free(k);
        return err_set(e, "out of memory");
    }
    fputs("<table class=\"kv\">\n", f);
    html_target_rows(f, "compared with (B)", b);
    fputs("</table>\n", f);
    unsigned count[CMP_CLASS_COUNT] = {0};
    for (size_t i = 0; i < ra->done; i++)
        count[k[i]]++;
    fprintf(f, "<p>%zu cells on A, %zu on B: %u closed (a finding on A, none on B), %u left open (on both), %u new "
               "(on B only: a finding, or a command B refused that A accepted), %u the same; %zu ran on A only.</p>\n",
            ra->done, rb->done, count[CMP_CLOSED], count[CMP_OPEN], count[CMP_NEW], count[CMP_SAME] - (unsigned)unmatched,
            unmatched);
    struct html_compare cmp = {rb, k};
    html_grid(f, ra, html_compare_cell, &cmp,
              "K&gt;L: findings (crashes and violations) on A &gt; on B; r: B refused the command where A accepted "
              "it. Green: closed; red: left open; purple: new; white: the same. Each coloured cell links to both "
              "builds' results and reproducers.");
    int rc = 0;
    for (int want = CMP_CLOSED; want < CMP_CLASS_COUNT && rc == 0; want++)
        for (size_t i = 0; i < ra->done && rc == 0; i++) {
            if (k[i] != (enum compare_class)want)
                continue;
            const struct explore_cell *ca = &ra->cells[i], *cb = compare_match(rb, ca);
            fprintf(f, "<h2 id=\"cmp-%zu\">%s: [", i, compare_class_name(k[i]));
            diagram_text(f, ca->window->name, 0);
            fputs("] x [", f);
            diagram_text(f, ca->command, 0);
            fputs("]</h2>\n", f);
            html_compare_side(f, "A", a, ca);
            html_compare_side(f, "B", b, cb);
            /* the trial that shows the difference: A's finding for a closed cell, else B's */
            const struct explore_cell *shown = k[i] == CMP_CLOSED || !cb ? ca : cb;
            rc = html_timeline(f, shown->rep.shown.timeline, shown->rep.shown_trial,
                               verdict_name(shown->rep.shown.verdict));
        }
    free(k);
    return html_finish(path, f, &text, rc, e);
}

/* cmd_compare: two sweeps side by side (see cmd_compare.h). */
#include "cmd_compare.h"

#include <stdlib.h>
#include <string.h>

#include "cmd_json.h"

static const char class_mark[CMP_CLASS_COUNT] = {'-', 'C', 'O', 'N'};

/* "3>0 C": findings on A, on B, and the class's letter. */
static void cell_text(const struct explore_cell *ca, const struct explore_cell *cb, enum compare_class k, char *buf,
                      size_t n)
{
    unsigned fa = ca->rep.stats.crashes + ca->rep.stats.violations;
    unsigned fb = cb ? cb->rep.stats.crashes + cb->rep.stats.violations : 0;
    if (!cb)
        snprintf(buf, n, "%u>? -", fa);
    else
        snprintf(buf, n, "%u>%u %c", fa, fb, class_mark[k]);
}

void cmd_compare_story(const struct verdict_stats *s, unsigned refused, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%u/%u", s->crashes + s->violations, s->trials);
    if (s->nsigs && w > 0 && (size_t)w < n)
        w += snprintf(buf + w, n - (size_t)w, " %s", s->sigs[0].key);
    if (refused && w > 0 && (size_t)w < n)
        w += snprintf(buf + w, n - (size_t)w, ", refused %u", refused);
    if (s->hangs && w > 0 && (size_t)w < n)
        snprintf(buf + w, n - (size_t)w, ", %u hung", s->hangs);
}

/* What happened in one cell on one build, in a few words. */
static void cell_story(const struct explore_cell *c, char *buf, size_t n)
{
    cmd_compare_story(&c->rep.stats, c->refused, buf, n);
}

/* New only because B refused the command (no finding on B). */
static bool refusal_only(const struct explore_cell *cb)
{
    return cb && cb->rep.stats.crashes + cb->rep.stats.violations == 0;
}

unsigned cmd_compare_print(FILE *f, const struct explore_result *a, const struct explore_result *b, const char *spec_a,
                           const char *spec_b)
{
    enum compare_class *k = calloc(a->done ? a->done : 1, sizeof *k);
    if (!k)
        return 0;
    size_t unmatched;
    compare_explore(a, b, k, &unmatched);
    fprintf(f, "A = %s\nB = %s\n", spec_a, spec_b);
    const struct explore_window *cols[16];
    size_t ncols = explore_columns(a, cols, 16);
    for (size_t c = 0; c < ncols; c++)
        fprintf(f, "  W%zu = %s\n", c + 1, cols[c]->name);
    fprintf(f, "%-52s", "command");
    for (size_t c = 0; c < ncols; c++)
        fprintf(f, " %9s%zu", "W", c + 1);
    fputc('\n', f);
    for (size_t i = 0; i < a->done; i++) {
        if (!explore_row_starts(a, i))
            continue;
        fprintf(f, "%-52.52s", a->cells[i].command);
        for (size_t c = 0; c < ncols; c++) {
            char cell[32] = "";
            const struct explore_cell *ca = explore_cell_at(a, cols[c], a->cells[i].command);
            if (ca)
                cell_text(ca, compare_match(b, ca), k[ca - a->cells], cell, sizeof cell);
            fprintf(f, " %10s", cell);
        }
        fputc('\n', f);
    }
    fprintf(f, "(K>L: findings on A > on B; C closed, O left open, N new, - same)\n");
    unsigned counts[CMP_CLASS_COUNT] = {0}, on_b = 0;
    for (enum compare_class want = CMP_CLOSED; want < CMP_CLASS_COUNT; want++)
        for (size_t i = 0; i < a->done; i++) {
            const struct explore_cell *ca = &a->cells[i], *cb = compare_match(b, ca);
            if (k[i] != want || (want == CMP_NEW && refusal_only(cb)))
                continue;
            char sa[300], sb[300];
            cell_story(ca, sa, sizeof sa);
            cell_story(cb, sb, sizeof sb);
            fprintf(f, "%s: [%s] x [%s]: A %s; B %s\n", compare_class_name(want), ca->window->name, ca->command, sa, sb);
        }
    /* a command B refuses where A took it is new too, but usually the patch at work: a line per window */
    for (size_t c = 0; c < ncols; c++) {
        unsigned n = 0;
        char some[300] = "";
        for (size_t i = 0; i < a->done; i++) {
            const struct explore_cell *ca = &a->cells[i], *cb = compare_match(b, ca);
            if (ca->window != cols[c] || k[i] != CMP_NEW || !refusal_only(cb))
                continue;
            if (n++ < 4)
                snprintf(some + strlen(some), sizeof some - strlen(some), "%s%s", n > 1 ? ", " : "", ca->command);
        }
        if (n)
            fprintf(f, "new: [%s] x %u command%s refused on B, accepted on A (%s%s)\n", cols[c]->name, n,
                    n == 1 ? "" : "s", some, n > 4 ? ", ..." : "");
    }
    for (size_t i = 0; i < a->done; i++) {
        counts[k[i]]++;
        on_b += k[i] == CMP_OPEN || k[i] == CMP_NEW;
    }
    fprintf(f, "%u closed, %u left open, %u new, %u same", counts[CMP_CLOSED], counts[CMP_OPEN], counts[CMP_NEW],
            counts[CMP_SAME]);
    if (unmatched)
        fprintf(f, " (%zu of them B did not run: not in its vocabulary, or out of time)", unmatched);
    fputc('\n', f);
    free(k);
    return on_b;
}

int cmd_compare_json(const char *path, const struct explore_result *a, const struct explore_result *b)
{
    enum compare_class *k = calloc(a->done ? a->done : 1, sizeof *k);
    if (!k) {
        fprintf(stderr, "qmprace explore: --json: out of memory\n");
        return -1;
    }
    size_t unmatched;
    compare_explore(a, b, k, &unmatched);
    json_object *lines = json_object_new_array();
    for (size_t i = 0; i < a->done; i++) {
        const struct explore_cell *ca = &a->cells[i], *cb = compare_match(b, ca);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "window", json_object_new_string(ca->window->name));
        json_object_object_add(o, "command", json_object_new_string(ca->command));
        json_object_object_add(o, "class", json_object_new_string(compare_class_name(k[i])));
        json_object_object_add(o, "a", explore_cell_json(ca));
        json_object_object_add(o, "b", cb ? explore_cell_json(cb) : NULL);
        json_object_array_add(lines, o);
    }
    free(k);
    int rc = cmd_json_lines("explore", path, lines, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(lines);
    return rc;
}

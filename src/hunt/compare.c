/* compare: two runs' verdicts, cell by cell (see compare.h). */
#include "compare.h"

#include <string.h>

const char *compare_class_name(enum compare_class c)
{
    static const char *const names[CMP_CLASS_COUNT] = {"same", "closed", "left open", "new"};
    return (unsigned)c < CMP_CLASS_COUNT ? names[c] : "?";
}

static bool finding(const struct verdict_stats *s)
{
    return s->crashes + s->violations > 0;
}

enum compare_class compare_classify(const struct verdict_stats *a, unsigned refused_a, const struct verdict_stats *b,
                                    unsigned refused_b)
{
    bool fa = finding(a), fb = finding(b);
    if (fa && fb)
        return CMP_OPEN;
    if (fa)
        return CMP_CLOSED;
    if (fb || (refused_b && !refused_a))
        return CMP_NEW;
    return CMP_SAME;
}

const struct explore_cell *compare_match(const struct explore_result *b, const struct explore_cell *c)
{
    for (size_t j = 0; j < b->done; j++)
        if (strcmp(b->cells[j].window->name, c->window->name) == 0 && strcmp(b->cells[j].command, c->command) == 0)
            return &b->cells[j];
    return NULL;
}

void compare_explore(const struct explore_result *a, const struct explore_result *b, enum compare_class *classes,
                     size_t *unmatched)
{
    *unmatched = 0;
    for (size_t i = 0; i < a->done; i++) {
        const struct explore_cell *ca = &a->cells[i], *cb = compare_match(b, ca);
        if (!cb) {
            classes[i] = CMP_SAME;
            ++*unmatched;
            continue;
        }
        classes[i] = compare_classify(&ca->rep.stats, ca->refused, &cb->rep.stats, cb->refused);
    }
}

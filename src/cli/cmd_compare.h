/* cmd_compare: how `explore --compare` (and `run --compare`) shows two builds side by side: a matrix of each cell's class
 * (closed, left open, new, same; compare.h), the cells of each class with what happened on each build, and
 * the JSON (one object per cell). Prints and nothing else. */
#ifndef QMPRACE_CMD_COMPARE_H
#define QMPRACE_CMD_COMPARE_H

#include <stdio.h>

#include "compare.h"

/* What happened on one build, in a few words: "3/3 SIGNATURE, refused 2, 1 hung". */
void cmd_compare_story(const struct verdict_stats *s, unsigned refused, char *buf, size_t n);

/* The text report; returns how many cells of `b` have a finding (left open or new). */
unsigned cmd_compare_print(FILE *f, const struct explore_result *a, const struct explore_result *b, const char *spec_a,
                           const char *spec_b);
/* One JSON object per cell ({"window","command","class","a":{...},"b":{...}}) to `path` ("-": stdout);
 * -1 after saying why it could not be written. */
int cmd_compare_json(const char *path, const struct explore_result *a, const struct explore_result *b);

#endif

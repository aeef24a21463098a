/* compare: the same cells (or schedules) on two builds, side by side, as a reviewer of a migration patch
 * needs them: what the patch closes, what it leaves open and what it changes. A cell is
 *   closed     a finding (crash or violation) on A, none on B
 *   left open  a finding on both
 *   new        on B only: a finding, or the command refused that A accepted
 *   same       neither (whatever else differs)
 * Nothing here runs a trial: it reads the verdicts of two runs. */
#ifndef QMPRACE_COMPARE_H
#define QMPRACE_COMPARE_H

#include "explore.h"
#include "verdict.h"

enum compare_class { CMP_SAME, CMP_CLOSED, CMP_OPEN, CMP_NEW, CMP_CLASS_COUNT };
const char *compare_class_name(enum compare_class c);

/* One cell's class from its trials on A and on B, and the trials of each in which the command was refused. */
enum compare_class compare_classify(const struct verdict_stats *a, unsigned refused_a, const struct verdict_stats *b,
                                    unsigned refused_b);

/* An explore run's cells on A matched to B's by window and command: the class of each of A's cells (a cell B
 * did not run is `same`, and counted in *unmatched), written into `classes` (r_a->done entries). */
void compare_explore(const struct explore_result *a, const struct explore_result *b, enum compare_class *classes,
                     size_t *unmatched);
/* The cell of `b` with the window name and command of `c`, or NULL. */
const struct explore_cell *compare_match(const struct explore_result *b, const struct explore_cell *c);

#endif

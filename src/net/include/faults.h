/* faults: the faults the proxy injects, keyed by the schedule action that names them (class
 * SCHED_CLASS_FAULT). Each fault is one file under src/net (fault_reset.c, fault_close.c, fault_stall.c)
 * and one row of the table in src/net/faults.c; the trial runs every fault action through net_fault(). */
#ifndef QMPRACE_FAULTS_H
#define QMPRACE_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "proxy.h"
#include "schedule.h"

/* Injects the fault of action `kind` on `chan` (CHAN_ALL, CHAN_MAIN or multifd N) for `dur_us` where the
 * fault takes a duration (0: until the end of the trial). Returns the channels hit (0: none open matched),
 * or -1 with `e` set: not a fault, a channel that cannot take one, a duration longer than an hour. */
int net_fault(struct proxy *p, enum sched_action_kind kind, int chan, uint64_t dur_us, struct err *e);
/* Whether the proxy can inject the fault of action `kind`. */
bool net_fault_exists(enum sched_action_kind kind);

#endif

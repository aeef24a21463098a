/* faults: the faults the proxy injects, by the name a schedule gives them. One row per fault in
 * src/net/faults.c maps a name to what the proxy does; the schedule's action table names the same fault
 * (class SCHED_CLASS_FAULT), and the trial runs every fault action through net_fault(). */
#ifndef QMPRACE_FAULTS_H
#define QMPRACE_FAULTS_H

#include <stdint.h>

#include "err.h"
#include "proxy.h"

/* Injects fault `name` ("reset", "close", "stall") on `chan` (CHAN_ALL, CHAN_MAIN or multifd N) for
 * `dur_us` where the fault takes a duration. Returns the channels hit (0: none open matched), or -1 with
 * `e` set (an unknown fault, or what the proxy refuses). */
int net_fault(struct proxy *p, const char *name, int chan, uint64_t dur_us, struct err *e);

#endif

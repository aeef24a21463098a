/* fault: one fault the proxy injects, as each fault file (fault_*.c) defines it: what it does to one open
 * channel. A fault is a file of its own plus its row in faults.c, keyed by the schedule action that
 * names it. Private to src/net. */
#ifndef QMPRACE_FAULT_H
#define QMPRACE_FAULT_H

#include <stdint.h>

#include "proxy_chan.h"

struct net_fault {
    /* Does the fault to one open channel; `dur_us` as the schedule gives it (0 when it takes none). */
    void (*hit)(struct chan *c, uint64_t dur_us);
};

extern const struct net_fault net_fault_reset;
extern const struct net_fault net_fault_close;
extern const struct net_fault net_fault_stall;

#endif

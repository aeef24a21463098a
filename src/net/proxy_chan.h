/* proxy_chan: what the proxy lets a fault do to one of its open channels, and the one loop that hands a
 * fault the channels it names. Private to src/net: the proxy (proxy.c) defines these, each fault file
 * (fault_*.c) uses them, and nothing outside src/net sees a channel. */
#ifndef QMPRACE_PROXY_CHAN_H
#define QMPRACE_PROXY_CHAN_H

#include <stdint.h>

#include "err.h"
#include "proxy.h"

struct chan;

/* Ends the channel now with RST toward the source and the upstream, and reports it ended for `why`
 * ("reset by proxy"). */
void proxy_chan_kill(struct chan *c, const char *why);
/* Sends FIN toward the source and the upstream (each side that can take one), so the source reads EOF
 * even if RST follows at once. */
void proxy_chan_fin(struct chan *c);
/* Stops reading from the source for `dur_us` (0: until the end of the trial): the source's writes block
 * once the kernel's buffers fill. */
void proxy_chan_hold(struct chan *c, uint64_t dur_us);

/* Calls `hit` on each open channel `chan` names (CHAN_ALL, CHAN_MAIN or multifd N), safely against hooks
 * that fault or drop channels from inside. Returns how many it hit, or -1 with `e` set for a channel that
 * cannot take a fault. */
int proxy_each_channel(struct proxy *p, int chan, void (*hit)(struct chan *c, uint64_t dur_us), uint64_t dur_us,
                       struct err *e);

#endif

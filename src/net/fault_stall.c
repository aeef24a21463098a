/* fault_stall: `stall CHANNEL [DUR]`: a network that stops delivering without a word: the proxy stops
 * reading from the source for DUR (or until the end of the trial); the source's writes block once the
 * kernel's buffers fill, as a dead peer that sent no reset leaves them. Timed by the event base's clock:
 * create it with EVENT_BASE_FLAG_PRECISE_TIMER, else libevent times with a 4 ms coarse clock. */
#include "fault.h"

static void stall_hit(struct chan *c, uint64_t dur_us)
{
    proxy_chan_hold(c, dur_us);
}

const struct net_fault net_fault_stall = {stall_hit};

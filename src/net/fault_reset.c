/* fault_reset: `reset CHANNEL`: RST on both sides now, as a peer that vanished or a middlebox that killed
 * the connection (SO_LINGER {1,0}, Toxiproxy's reset_peer): the source's next send or recv fails with
 * ECONNRESET. */
#include "fault.h"

static void reset_hit(struct chan *c, uint64_t dur_us)
{
    (void)dur_us;
    proxy_chan_kill(c, "reset by proxy");
}

const struct net_fault net_fault_reset = {reset_hit};

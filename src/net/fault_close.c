/* fault_close: `close CHANNEL`: an orderly close from the network's side: FIN toward the source and the
 * upstream, then RST at once (no TIME_WAIT). The source reads EOF, and its next send fails (EPIPE or
 * ECONNRESET). FIN goes first so that data the source sent and the proxy has not read yet does not turn
 * the close into a bare RST. */
#include "fault.h"

static void close_hit(struct chan *c, uint64_t dur_us)
{
    (void)dur_us;
    proxy_chan_fin(c);
    proxy_chan_kill(c, "closed by proxy");
}

const struct net_fault net_fault_close = {close_hit};

/* proxy: the fault-injecting TCP proxy that migration channels go through. It listens on a loopback port
 * (its `tcp:127.0.0.1:PORT` is the URI given to `migrate`), and forwards every connection the source opens
 * (the main channel and each multifd channel) to an upstream: the sink or a real destination. It tells
 * the channels apart by the first bytes the source sends (QEMU's "QEVM" file magic for the main stream,
 * the multifd init packet's magic and channel id for multifd), counts bytes per channel, and injects the
 * faults of faults.h into them (one file each: a real TCP RST, a FIN, a stall that stops reading so the
 * source's socket buffers fill and its writes block).
 *
 * One proxy serves many trials: proxy_drop_all() ends a trial's channels (with RST, which leaves no
 * TIME_WAIT behind) and channel numbering starts afresh. Never connects anywhere but its upstream. */
#ifndef QMPRACE_PROXY_H
#define QMPRACE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "err.h"

struct proxy;

/* Who a channel is: decided from its first bytes (CHAN_MAIN, or multifd channel id >= 0), or
 * PROXY_CH_UNKNOWN until enough bytes came (or when they match nothing we know). */
#define PROXY_CH_UNKNOWN (-100)

/* Channels per trial; connections beyond it are reset at once, unnumbered and unreported. */
#define PROXY_MAX_CHANNELS 300
/* The most one read from a source takes, so the most a `bytes` call can step past a threshold. */
#define PROXY_READ_MAX (256u * 1024u)

struct proxy_hooks {
    /* A channel connected (index: 0, 1, ... in order of connection within the trial). */
    void (*opened)(void *arg, unsigned index);
    /* The channel's identity became known (`chan` as in vocab.h: CHAN_MAIN or multifd N). */
    void (*identified)(void *arg, unsigned index, int chan);
    /* Bytes read from the source on this channel; totals include them. Called after each read. */
    void (*bytes)(void *arg, unsigned index, uint64_t channel_total, uint64_t all_total);
    /* The channel ended: the source closed or reset it, the upstream did, or a fault did. Once per
     * channel; `why` is e.g. "reset by proxy", "closed by proxy", "source closed", "source reset",
     * "upstream closed", "upstream reset", "upstream refused: tcp:127.0.0.1:PORT: Connection refused".
     * For faults it is called from inside proxy_reset/proxy_close, once per channel hit. */
    void (*ended)(void *arg, unsigned index, const char *why);
    void *arg;
};
/* Hooks may call any proxy function, proxy_drop_all and proxy_free included. No hook is called from
 * proxy_drop_all or proxy_free. A `bytes` hook that faults its channel stops that read's forwarding. */

/* Listens on 127.0.0.1:0 (a free port) and forwards to `upstream` ("tcp:HOST:PORT" or "unix:PATH"). */
struct proxy *proxy_new(struct event_base *base, const char *upstream, const struct proxy_hooks *hooks,
                        struct err *e);
void proxy_free(struct proxy *p);

/* Where channels that connect from now on are forwarded ("tcp:HOST:PORT" on loopback or "unix:PATH"),
 * e.g. a destination VMM started for one trial. Channels already open keep their upstream. On error the
 * upstream stays as it was. */
int proxy_set_upstream(struct proxy *p, const char *upstream, struct err *e);

/* Whether the upstream throws away all it is sent and never answers (the sink): then the bytes of a
 * channel that opens from now on, past the first ones that tell who it is, are thrown away here rather
 * than sent on (the channel still connects to the upstream, which still sees it open and end). Counts,
 * hooks and faults are as when forwarding. Off when the proxy is made. */
void proxy_set_discard(struct proxy *p, bool on);

/* "tcp:127.0.0.1:PORT": what `migrate` is given. */
const char *proxy_uri(const struct proxy *p);

/* Channel facts for the timeline and for triggers. */
unsigned proxy_channel_count(const struct proxy *p);
int proxy_channel_id(const struct proxy *p, unsigned index);       /* CHAN_MAIN, N, or PROXY_CH_UNKNOWN */
uint64_t proxy_channel_bytes(const struct proxy *p, unsigned index);
bool proxy_channel_open(const struct proxy *p, unsigned index);
bool proxy_channel_stalled(const struct proxy *p, unsigned index); /* open, and a `stall` holds it now */
/* open, and stalled to the end of the trial (a `stall` without a duration): nothing will let it go */
bool proxy_channel_stalled_to_end(const struct proxy *p, unsigned index);
uint64_t proxy_total_bytes(const struct proxy *p);

/* Ends every channel of the trial with RST and forgets them; counters restart at zero. */
void proxy_drop_all(struct proxy *p);

#endif

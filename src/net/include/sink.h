/* sink: a stand-in migration destination. It listens on loopback, accepts any number of channels and
 * discards what they carry (without copying it to user space), so a source can migrate "somewhere"
 * without a destination VMM. It never sends a byte back. */
#ifndef QMPRACE_SINK_H
#define QMPRACE_SINK_H

#include <stdint.h>

#include <event2/event.h>

#include "err.h"

struct sink;

/* Listens on 127.0.0.1:0. */
struct sink *sink_new(struct event_base *base, struct err *e);
void sink_free(struct sink *s);

/* "tcp:127.0.0.1:PORT". */
const char *sink_addr(const struct sink *s);
/* Bytes discarded and connections accepted since creation; connections still open. */
uint64_t sink_bytes(const struct sink *s);
unsigned sink_accepted(const struct sink *s);
unsigned sink_open(const struct sink *s);
/* Closes (with RST) every open connection. */
void sink_drop_all(struct sink *s);

#endif

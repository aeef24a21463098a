/* jsonstream: splits a byte stream into QMP messages (JSON objects separated by whitespace/CRLF),
 * whatever the chunking: a message may arrive split at any byte, or several in one read. Used by both
 * ends of QMP in qmprace (the client and the simulated VMM's server). It refuses, with a message, what a
 * broken or hostile peer could send: garbage, a top-level value that is not an object, or a message
 * larger than the limit (so a peer cannot make us buffer without end). */
#ifndef QMPRACE_JSONSTREAM_H
#define QMPRACE_JSONSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

#define JSONSTREAM_DEFAULT_MAX (1u << 20) /* 1 MiB: QEMU's own replies are far below this */

struct jsonstream;

/* Called once per complete message; takes ownership of `obj`. Return 0 to go on, nonzero to stop
 * feeding at once (e.g. the owner is closing); the remaining bytes of the chunk are then dropped. */
typedef int (*jsonstream_cb)(void *arg, json_object *obj);

struct jsonstream *jsonstream_new(size_t max_message);
void jsonstream_free(struct jsonstream *js);

/* Feeds `len` bytes. Returns 0 when all were consumed, 1 when a callback asked to stop, -1 on a
 * protocol error (then `e` says what and the stream must not be fed again). */
int jsonstream_feed(struct jsonstream *js, const char *buf, size_t len, jsonstream_cb cb, void *arg,
                    struct err *e);

/* True while part of a message has been read but not its end: an EOF now cut a message short. */
bool jsonstream_mid_message(const struct jsonstream *js);

/* Total messages delivered so far. */
size_t jsonstream_count(const struct jsonstream *js);

#endif

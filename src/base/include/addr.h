/* addr: the one parser of the socket addresses qmprace connects to or listens on: "unix:PATH" or
 * "tcp:HOST:PORT", HOST being a numeric loopback address (127.0.0.0/8, ::1 or [::1]) or "localhost".
 * No name goes through DNS and nothing but loopback is accepted, so no traffic ever leaves the host. */
#ifndef QMPRACE_ADDR_H
#define QMPRACE_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "err.h"

struct addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* `any_port`: port 0 (a free one) is allowed, for listeners. Errors name the address: "'SPEC': ...". */
int addr_parse(const char *spec, bool any_port, struct addr *out, struct err *e);

#endif

/* sockets: the plain loopback sockets the tests make around the code under test: a listener on a
 * fresh port, a connection to one, and a close that resets the connection. Nothing here leaves the
 * loopback interface. */
#ifndef QMPRACE_TEST_SOCKETS_H
#define QMPRACE_TEST_SOCKETS_H

/* A non-blocking, close-on-exec TCP listener on `host` (a numeric loopback address of `family`,
 * AF_INET or AF_INET6) and a port the kernel picks, stored in *port. Returns the fd, or -1. */
int sock_listen(int family, const char *host, unsigned *port);

/* Connects to 127.0.0.1:port (a listener's backlog completes it at once), then makes it non-blocking.
 * Returns the fd, or -1. */
int sock_connect(unsigned port);

/* Closes with RST (SO_LINGER {1, 0}): the peer sees ECONNRESET, and no TIME_WAIT is left behind. */
void sock_rst_close(int fd);

#endif

/* err: the one way library code reports a failure. A function that can fail takes a `struct err *` and
 * fills it with a message a person can act on; the caller (main.c, a harness, a test) decides whether to
 * print it and what exit status it means. Library code never prints and never exits. */
#ifndef QMPRACE_ERR_H
#define QMPRACE_ERR_H

#include <stddef.h>

struct err {
    char msg[512];
};

/* Sets the message (printf-style) and returns -1, so `return err_set(e, "...")` reads naturally.
 * `e` may be NULL when the caller does not care why. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with `prefix: ` (e.g. a file name); returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

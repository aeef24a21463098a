/* bin: the pieces of the binary form every part of the codec uses: a reader that never fails (bytes past
 * the end read as 0), a writer with "name:line:col: cannot be encoded: why" errors, and the compact
 * numbers (16-bit mantissa/exponent durations and sizes, channel selectors). Private to the schedule
 * library. */
#ifndef QMPRACE_BIN_H
#define QMPRACE_BIN_H

#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

#define BIN_MAX_LINES 64
#define BIN_MAX_ACTIONS 4
#define BIN_MAX_MULTIFD 7 /* channel and thread selectors hold multifd 0..7 */
#define BIN_QMP_COMMANDS 9 /* the `qmp` commands the binary form can carry (form_qmp.c's table) */
/* The longest line: T, a status trigger (4), four params actions of two items (8 each). */
#define BIN_MAX_LINE_BYTES (1 + 4 + BIN_MAX_ACTIONS * 8)

/* The `qmp` command at index i of the binary form's table, a new object (NULL: no such index). */
json_object *bin_qmp_command(unsigned i);

struct rd {
    const uint8_t *p;
    size_t len, pos;
};

unsigned bin_byte(struct rd *r);
unsigned bin_u16(struct rd *r);
/* dur16: a 12-bit mantissa of microseconds and a 4-bit exponent; size16: 11-bit bytes, 5-bit exponent. */
uint64_t bin_dur16(unsigned v);
uint64_t bin_size16(unsigned v);
/* Selector byte to channel: faults pick all/main/multifd0..7 (first = CHAN_ALL), triggers any/main/... */
int bin_chan(unsigned b, int first);

struct wr {
    uint8_t buf[BIN_MAX_LINES * BIN_MAX_LINE_BYTES];
    size_t n;
    const struct schedule *s;
    int line, col; /* where the element being encoded was written, for messages */
    struct err *e;
};

int bin_fail(struct wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int bin_put(struct wr *w, unsigned b);
int bin_put16(struct wr *w, unsigned v);
int bin_put_dur(struct wr *w, uint64_t us);
/* The size16 of `bytes`, or an error when it has none. */
int bin_size(struct wr *w, uint64_t bytes, unsigned *v);
int bin_put_chan(struct wr *w, int chan, int first);

#endif

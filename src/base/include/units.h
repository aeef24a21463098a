/* units: durations and sizes as people write them ("50ms", "1.5ms", "8MiB", "64K") and as qmprace prints
 * them back (canonical: an integer in the largest unit that divides the value exactly). Shared by the
 * schedule language and the command line, so both accept the same spellings. */
#ifndef QMPRACE_UNITS_H
#define QMPRACE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Largest accepted values: one hour, and one pebibyte. Bigger numbers are typos, not plans. */
#define UNITS_MAX_DURATION_US (3600ull * 1000000ull)
#define UNITS_MAX_SIZE (1ull << 50)

/* Parses exactly `len` bytes of `s`. Durations need a unit (us, ms, s) except a bare "0".
 * Sizes take B, K/KiB, M/MiB, G/GiB, T/TiB (binary) or no unit (bytes). Fractions are allowed when the
 * result is a whole number of microseconds or bytes. On failure returns -1 and says why in `e`. */
int units_parse_duration(const char *s, size_t len, uint64_t *us, struct err *e);
int units_parse_size(const char *s, size_t len, uint64_t *bytes, struct err *e);

/* Canonical spellings: "50ms", "1500us", "2s", "0us"; "8MiB", "100B", "64KiB". Always NUL-terminated. */
void units_format_duration(uint64_t us, char *buf, size_t n);
void units_format_size(uint64_t bytes, char *buf, size_t n);

#endif

/* units: parse and print durations and sizes (see units.h). */
#include "units.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit {
    const char *name;
    uint64_t scale;
};

static const struct unit duration_units[] = {
    {"us", 1}, {"ms", 1000}, {"s", 1000000}, {NULL, 0},
};

static const struct unit size_units[] = {
    {"B", 1},
    {"K", 1ull << 10}, {"KiB", 1ull << 10},
    {"M", 1ull << 20}, {"MiB", 1ull << 20},
    {"G", 1ull << 30}, {"GiB", 1ull << 30},
    {"T", 1ull << 40}, {"TiB", 1ull << 40},
    {NULL, 0},
};

/* Parses "<digits>[.<digits>]<unit>" into value*scale, requiring a whole result within `max`. */
static int parse_scaled(const char *s, size_t len, const struct unit *units, bool unit_required,
                        uint64_t max, const char *what, uint64_t *out, struct err *e)
{
    size_t i = 0;
    uint64_t whole = 0, frac = 0, frac_div = 1;
    if (len == 0)
        return err_set(e, "expected a %s", what);
    if (s[0] < '0' || s[0] > '9')
        return err_set(e, "expected a %s, got '%.*s'", what, (int)len, s);
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (whole > max)
            return err_set(e, "%s '%.*s' is too large", what, (int)len, s);
        whole = whole * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9')
            return err_set(e, "expected digits after '.' in '%.*s'", (int)len, s);
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (frac_div >= 1000000000ull)
                return err_set(e, "too many decimals in '%.*s'", (int)len, s);
            frac = frac * 10 + (uint64_t)(s[i] - '0');
            frac_div *= 10;
        }
    }
    const char *u = s + i;
    size_t ulen = len - i;
    uint64_t scale = 0;
    if (ulen == 0) {
        if (unit_required && !(whole == 0 && frac == 0))
            return err_set(e, "%s '%.*s' needs a unit (us, ms or s)", what, (int)len, s);
        scale = 1;
    } else {
        for (const struct unit *un = units; un->name; un++)
            if (strlen(un->name) == ulen && memcmp(un->name, u, ulen) == 0)
                scale = un->scale;
        if (!scale) {
            if (unit_required)
                return err_set(e, "unknown unit '%.*s' in %s '%.*s' (use us, ms or s)", (int)ulen, u,
                               what, (int)len, s);
            return err_set(e, "unknown unit '%.*s' in %s '%.*s' (use B, KiB, MiB, GiB or TiB)", (int)ulen,
                           u, what, (int)len, s);
        }
    }
    if (whole > max / scale)
        return err_set(e, "%s '%.*s' is too large", what, (int)len, s);
    uint64_t v = whole * scale;
    if (frac) {
        /* frac/frac_div * scale must be whole: a size of 1.5B or a duration of 0.5us means nothing.
         * frac * scale can pass 64 bits (nine decimals of a TiB), so cancel what scale and frac_div
         * share first; the result is below scale. */
        uint64_t g = scale, r = frac_div;
        while (r) {
            uint64_t t = g % r;
            g = r;
            r = t;
        }
        if (frac % (frac_div / g))
            return err_set(e, "%s '%.*s' is not a whole number of %s", what, (int)len, s,
                           unit_required ? "microseconds" : "bytes");
        v += frac / (frac_div / g) * (scale / g);
    }
    if (v > max)
        return err_set(e, "%s '%.*s' is too large", what, (int)len, s);
    *out = v;
    return 0;
}

int units_parse_duration(const char *s, size_t len, uint64_t *us, struct err *e)
{
    return parse_scaled(s, len, duration_units, true, UNITS_MAX_DURATION_US, "duration", us, e);
}

int units_parse_size(const char *s, size_t len, uint64_t *bytes, struct err *e)
{
    return parse_scaled(s, len, size_units, false, UNITS_MAX_SIZE, "size", bytes, e);
}

void units_format_duration(uint64_t us, char *buf, size_t n)
{
    if (us && us % 1000000 == 0)
        snprintf(buf, n, "%" PRIu64 "s", us / 1000000);
    else if (us && us % 1000 == 0)
        snprintf(buf, n, "%" PRIu64 "ms", us / 1000);
    else
        snprintf(buf, n, "%" PRIu64 "us", us);
}

void units_format_size(uint64_t bytes, char *buf, size_t n)
{
    static const char *names[] = {"TiB", "GiB", "MiB", "KiB"};
    static const unsigned shifts[] = {40, 30, 20, 10};
    for (size_t i = 0; i < 4; i++) {
        uint64_t scale = 1ull << shifts[i];
        if (bytes && bytes % scale == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", bytes / scale, names[i]);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64 "B", bytes);
}

/* Durations and sizes as users write them on the command line and in schedules: the spellings that
 * work, what each means, the canonical print, and a clear message for each way one can be wrong. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "units.h"

static void check_dur(const char *s, uint64_t want)
{
    uint64_t us = 12345;
    struct err e = {{0}};
    CHECK_MSG(units_parse_duration(s, strlen(s), &us, &e) == 0, "'%s': %s", s, e.msg);
    CHECK_MSG(us == want, "'%s' is %" PRIu64 "us, expected %" PRIu64, s, us, want);
}

static void check_size(const char *s, uint64_t want)
{
    uint64_t b = 12345;
    struct err e = {{0}};
    CHECK_MSG(units_parse_size(s, strlen(s), &b, &e) == 0, "'%s': %s", s, e.msg);
    CHECK_MSG(b == want, "'%s' is %" PRIu64 "B, expected %" PRIu64, s, b, want);
}

static void check_dur_error(const char *s, const char *want)
{
    uint64_t us = 12345;
    struct err e = {{0}};
    CHECK_MSG(units_parse_duration(s, strlen(s), &us, &e) != 0, "'%s' accepted", s);
    CHECK_STR(e.msg, want);
    CHECK_INT(us, 12345); /* untouched on failure */
}

static void check_size_error(const char *s, const char *want)
{
    uint64_t b = 12345;
    struct err e = {{0}};
    CHECK_MSG(units_parse_size(s, strlen(s), &b, &e) != 0, "'%s' accepted", s);
    CHECK_STR(e.msg, want);
}

static void test_durations(void)
{
    check_dur("0", 0);
    check_dur("0us", 0);
    check_dur("0.0", 0);
    check_dur("200us", 200);
    check_dur("50ms", 50000);
    check_dur("1.5ms", 1500);
    check_dur("2s", 2000000);
    check_dur("0.000001s", 1);
    check_dur("1.000001s", 1000001);
    check_dur("3600s", UNITS_MAX_DURATION_US);
    check_dur("007ms", 7000);
    /* Only the given bytes are read, not up to a NUL. */
    uint64_t us;
    CHECK(units_parse_duration("5msXYZ", 3, &us, NULL) == 0 && us == 5000);

    check_dur_error("5", "duration '5' needs a unit (us, ms or s)");
    check_dur_error("1.5", "duration '1.5' needs a unit (us, ms or s)");
    check_dur_error("", "expected a duration");
    check_dur_error("ms", "expected a duration, got 'ms'");
    check_dur_error("-1ms", "expected a duration, got '-1ms'");
    check_dur_error("1.ms", "expected digits after '.' in '1.ms'");
    check_dur_error("5m", "unknown unit 'm' in duration '5m' (use us, ms or s)");
    check_dur_error("5 ms", "unknown unit ' ms' in duration '5 ms' (use us, ms or s)");
    check_dur_error("0.5us", "duration '0.5us' is not a whole number of microseconds");
    check_dur_error("1.0000000001s", "too many decimals in '1.0000000001s'");
    check_dur_error("3601s", "duration '3601s' is too large");
    check_dur_error("3600.000001s", "duration '3600.000001s' is too large");
    check_dur_error("99999999999999999999999us", "duration '99999999999999999999999us' is too large");
}

static void test_sizes(void)
{
    check_size("0", 0);
    check_size("100", 100);
    check_size("100B", 100);
    check_size("64K", 65536);
    check_size("64KiB", 65536);
    check_size("1.5KiB", 1536);
    check_size("8M", 8u << 20);
    check_size("8MiB", 8u << 20);
    check_size("2G", 2ull << 30);
    check_size("1T", 1ull << 40);
    check_size("0.5TiB", 1ull << 39);
    check_size("1024TiB", UNITS_MAX_SIZE);
    check_size("1125899906842624", UNITS_MAX_SIZE);

    check_size_error("", "expected a size");
    check_size_error("MiB", "expected a size, got 'MiB'");
    check_size_error("8X", "unknown unit 'X' in size '8X' (use B, KiB, MiB, GiB or TiB)");
    check_size_error("8mib", "unknown unit 'mib' in size '8mib' (use B, KiB, MiB, GiB or TiB)");
    check_size_error("1.5B", "size '1.5B' is not a whole number of bytes");
    check_size_error("1125899906842625", "size '1125899906842625' is too large");
    check_size_error("1025TiB", "size '1025TiB' is too large");
    /* Nine decimals of a TiB pass 64 bits in the middle of the sum; that must not wrap into a
     * plausible answer (this once read as 2GiB). */
    check_size_error("0.018730341T", "size '0.018730341T' is not a whole number of bytes");
    check_size("0.001953125TiB", 1ull << 31);
    check_size("0.001953125KiB", 2);
}

static void check_format_dur(uint64_t us, const char *want)
{
    char buf[32];
    units_format_duration(us, buf, sizeof buf);
    CHECK_STR(buf, want);
}

static void check_format_size(uint64_t b, const char *want)
{
    char buf[32];
    units_format_size(b, buf, sizeof buf);
    CHECK_STR(buf, want);
}

static void test_format(void)
{
    check_format_dur(0, "0us");
    check_format_dur(1, "1us");
    check_format_dur(1000, "1ms");
    check_format_dur(1500, "1500us");
    check_format_dur(50000, "50ms");
    check_format_dur(2000000, "2s");
    check_format_dur(1000001, "1000001us");
    check_format_dur(UNITS_MAX_DURATION_US, "3600s");
    check_format_size(0, "0B");
    check_format_size(1, "1B");
    check_format_size(1024, "1KiB");
    check_format_size(1536, "1536B");
    check_format_size(8u << 20, "8MiB");
    check_format_size(3ull << 30, "3GiB");
    check_format_size(1ull << 40, "1TiB");
    check_format_size(UNITS_MAX_SIZE, "1024TiB");
    /* A short buffer is cut, never overrun, and stays a string. */
    char small[4];
    units_format_duration(123456789, small, sizeof small);
    CHECK_STR(small, "123");
}

/* What is printed reads back as the same value, for values of every shape. */
static void test_round_trip(void)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* A mantissa times a power of two or ten covers every unit boundary. */
        uint64_t m = x % 5000, sh = (x >> 20) % 41, p10 = (x >> 30) % 7;
        uint64_t d = m;
        for (uint64_t k = 0; k < p10; k++)
            d *= 10;
        d %= UNITS_MAX_DURATION_US + 1;
        uint64_t s = (m << sh) % (UNITS_MAX_SIZE + 1);
        char buf[32];
        uint64_t back = ~0ull;
        units_format_duration(d, buf, sizeof buf);
        if (units_parse_duration(buf, strlen(buf), &back, NULL) != 0 || back != d)
            bad++;
        units_format_size(s, buf, sizeof buf);
        if (units_parse_size(buf, strlen(buf), &back, NULL) != 0 || back != s)
            bad++;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    test_durations();
    test_sizes();
    test_format();
    test_round_trip();
    return check_exit();
}

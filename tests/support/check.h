/* check: the few assertions the C tests use. A failed CHECK prints file:line and the expression (and
 * counts); a test's main returns check_exit() so ctest sees the failure. No framework: tests stay plain C.
 * The counters live in check.c, once per test program, so a CHECK inside a support module (sim_driver,
 * qmp_peer, ...) fails the test that called it just as one in the test itself does. */
#ifndef QMPRACE_TEST_CHECK_H
#define QMPRACE_TEST_CHECK_H

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                                                  \
    do {                                                                                             \
        check_count++;                                                                               \
        if (!(cond)) {                                                                               \
            check_failures++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                 \
        }                                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                         \
    do {                                                                                             \
        check_count++;                                                                               \
        if (!(cond)) {                                                                               \
            check_failures++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);                 \
            fprintf(stderr, __VA_ARGS__);                                                            \
            fputc('\n', stderr);                                                                     \
        }                                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                                              \
    do {                                                                                             \
        const char *check_a_ = (a), *check_b_ = (b);                                                 \
        check_count++;                                                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                            \
            check_failures++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:      \"%s\"\n  expected: \"%s\"\n", \
                    __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)",                          \
                    check_b_ ? check_b_ : "(null)");                                                 \
        }                                                                                            \
    } while (0)

#define CHECK_INT(a, b)                                                                              \
    do {                                                                                             \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                              \
        check_count++;                                                                               \
        if (check_a_ != check_b_) {                                                                  \
            check_failures++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                    #a, #b, check_a_, check_b_);                                                     \
        }                                                                                            \
    } while (0)

/* A private temp directory ($TMPDIR or /tmp), for sockets and files a test makes; `buf` gets its path.
 * Returns buf, or NULL (and a failed check) when it cannot be made. */
char *check_mkdtemp(char *buf, size_t n);
/* How many entries DIR holds (not counting . and ..); 0 when it cannot be read. */
unsigned check_dir_entries(const char *dir);

/* Prints the counts; what main returns: 0 when no check failed, else 1. */
/* A part of the test cannot run here (IPv6 loopback off, a tool missing): said on stderr with `reason`;
 * check_exit then returns 77, which ctest shows as Skipped, unless a check failed. */
void check_skip(const char *reason);
int check_exit(void);

#endif

/* afl_main: the one main() shape of every AFL++ target in qmprace (the schedule harnesses in harness/,
 * the targets for qmprace's own parsers in fuzz/). Built with afl-clang-fast/-lto it is a persistent-mode,
 * shared-memory harness: one input per loop iteration, no fork per input. Built with a plain compiler it
 * replays files instead (each argument, or stdin when there is none), so the same code runs in ctest and
 * reproduces what AFL++ found. Include it in exactly one file per target, at file scope. */
#ifndef QMPRACE_AFL_MAIN_H
#define QMPRACE_AFL_MAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* AFL++'s __AFL_FUZZ_INIT/__AFL_INIT expand to read() and friends */

/* One input. Return 0 when it went fine, 1 when it found what the target looks for (for a schedule
 * harness: the target VMM crashed). Under AFL++ a 1 becomes abort(), which AFL++ records as a crash; in
 * replay mode it is reported and the exit status says so. Must not keep pointers into `buf`. */
typedef int (*afl_one_fn)(const uint8_t *buf, size_t len);

#define AFL_MAIN_MAX_INPUT (1u << 20) /* replayed files larger than this are refused, not truncated */

#ifdef __AFL_COMPILER
__AFL_FUZZ_INIT();
#endif

/* Reads a whole file (or stdin for "-") into a malloc'd buffer; NULL with a message on failure. */
static inline uint8_t *afl_main_read(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open: ", path);
        perror(NULL);
        return NULL;
    }
    uint8_t *buf = malloc(AFL_MAIN_MAX_INPUT + 1);
    size_t n = buf ? fread(buf, 1, AFL_MAIN_MAX_INPUT + 1, f) : 0;
    int bad = !buf || ferror(f) || n > AFL_MAIN_MAX_INPUT;
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read, or larger than %u bytes\n", path, AFL_MAIN_MAX_INPUT);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Runs `one` on AFL++'s inputs (persistent mode) or on the files named in argv. `name` prefixes replay
 * messages. Replay exit status: 0 all fine, 1 some input found something, 2 an input could not be read. */
static inline int afl_main_run(int argc, char **argv, const char *name, afl_one_fn one)
{
#ifdef __AFL_COMPILER
    (void)argc;
    (void)argv;
    (void)name;
    __AFL_INIT();
    uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
        if (one(buf, len))
            abort();
    }
    return 0;
#else
    int status = 0;
    int first = 1;
    const char *stdin_only[] = {"-"};
    char **files = argc > 1 ? argv + first : (char **)stdin_only;
    int nfiles = argc > 1 ? argc - first : 1;
    for (int i = 0; i < nfiles; i++) {
        size_t len = 0;
        uint8_t *buf = afl_main_read(files[i], &len);
        if (!buf) {
            status = 2;
            continue;
        }
        int r = one(buf, len);
        free(buf);
        if (r) {
            fprintf(stderr, "%s: %s: found\n", name, files[i]);
            if (status == 0)
                status = 1;
        }
    }
    return status;
#endif
}

#endif

/* cmd_schedule: `qmprace schedule check|print|encode|decode`, the schedule language from the command
 * line: check files, print them canonically, convert between text and the fuzzers' binary form.
 * It must never leave a half-written output file: -o OUT is written to a temporary file beside OUT
 * and renamed over it only when complete. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "schedule.h"
#include "wholefile.h"

#define BIN_MAX_INPUT (1u << 20) /* far above the longest binary schedule (a few KiB); more is a mistake */

static const char usage_text[] =
    "usage: qmprace schedule check FILE...         check schedules (prints \"FILE: ok, N lines\")\n"
    "       qmprace schedule print FILE            print a schedule in canonical form\n"
    "       qmprace schedule encode FILE [-o OUT]  write a schedule in the binary (fuzzer) form\n"
    "       qmprace schedule decode FILE [-o OUT]  turn the binary form back into canonical text\n"
    "FILE '-' reads standard input. Without -o the result goes to standard output; encode refuses\n"
    "to write binary to a terminal. Exit status: 0 ok, 2 a schedule error or bad usage.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qmprace schedule: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Reads at most max+1 bytes, so a caller can tell "too long" from "exactly max". */
static char *read_input(const char *path, size_t max, size_t *len, struct err *e)
{
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f) {
        err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int read_errno = !buf ? ENOMEM : ferror(f) ? errno : 0;
    if (!std)
        fclose(f);
    if (read_errno) {
        err_set(e, "%s: %s", std ? "<stdin>" : path, strerror(read_errno));
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static struct schedule *load_text(const char *path, struct err *e)
{
    if (strcmp(path, "-") != 0)
        return schedule_load(path, e);
    size_t len;
    char *text = read_input(path, SCHED_MAX_TEXT, &len, e);
    if (!text)
        return NULL;
    struct schedule *s = schedule_parse(text, len, "<stdin>", e);
    free(text);
    return s;
}

/* OUT is either the old file or the complete new one, never a part. */
static int write_file(const char *out, const void *data, size_t len)
{
    struct err e;
    if (wholefile_write(out, data, len, &e) == 0)
        return EXIT_OK;
    fprintf(stderr, "qmprace schedule: %s\n", e.msg);
    return EXIT_USAGE;
}

static int write_output(const char *out, const void *data, size_t len, bool binary)
{
    if (out && strcmp(out, "-") != 0)
        return write_file(out, data, len);
    if (binary && isatty(STDOUT_FILENO)) {
        fputs("qmprace schedule: refusing to write binary to a terminal; use -o OUT or redirect the "
              "output\n",
              stderr);
        return EXIT_USAGE;
    }
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "qmprace schedule: standard output: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int do_check(char **files, int n)
{
    int rc = EXIT_OK;
    for (int i = 0; i < n; i++) {
        struct err e;
        struct schedule *s = load_text(files[i], &e);
        if (!s) {
            fprintf(stderr, "%s\n", e.msg);
            rc = EXIT_USAGE;
            continue;
        }
        printf("%s: ok, %zu line%s\n", files[i], s->nlines, s->nlines == 1 ? "" : "s");
        schedule_free(s);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "qmprace schedule: standard output: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return rc;
}

static int do_print_or_encode(const char *file, const char *out, bool encode)
{
    struct err e;
    struct schedule *s = load_text(file, &e);
    if (!s) {
        fprintf(stderr, "%s\n", e.msg);
        return EXIT_USAGE;
    }
    int rc;
    if (encode) {
        uint8_t *bin;
        size_t len;
        if (schedule_encode(s, &bin, &len, &e) != 0) {
            fprintf(stderr, "%s\n", e.msg);
            rc = EXIT_USAGE;
        } else {
            rc = write_output(out, bin, len, true);
            free(bin);
        }
    } else {
        char *text = schedule_print(s);
        if (!text) {
            fputs("qmprace schedule: out of memory\n", stderr);
            rc = EXIT_USAGE;
        } else {
            rc = write_output(out, text, strlen(text), false);
            free(text);
        }
    }
    schedule_free(s);
    return rc;
}

static int do_decode(const char *file, const char *out)
{
    struct err e;
    size_t len;
    char *bin = read_input(file, BIN_MAX_INPUT, &len, &e);
    if (!bin) {
        fprintf(stderr, "%s\n", e.msg);
        return EXIT_USAGE;
    }
    if (len > BIN_MAX_INPUT) {
        fprintf(stderr, "%s: larger than %u bytes; a binary schedule is a few KiB at most\n", file,
                BIN_MAX_INPUT);
        free(bin);
        return EXIT_USAGE;
    }
    struct schedule *s = schedule_decode((const uint8_t *)bin, len);
    free(bin);
    char *text = s ? schedule_print(s) : NULL;
    schedule_free(s);
    if (!text) {
        fputs("qmprace schedule: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    int rc = write_output(out, text, strlen(text), false);
    free(text);
    return rc;
}

int cmd_schedule(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "which verb? (check, print, encode or decode)");
    const char *verb = argv[1];
    const char *out = NULL;
    /* The file arguments, in order; at most argc of them. */
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files) {
        fputs("qmprace schedule: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    int nfiles = 0, rc = -1;
    bool opts = true;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *a = argv[i];
        if (opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage_text, stdout);
            rc = EXIT_OK;
        } else if (i == 1) {
            continue;
        } else if (opts && strcmp(a, "-o") == 0) {
            if (i + 1 >= argc)
                rc = usage_error("%s", "-o needs a file name");
            else
                out = argv[++i];
        } else if (opts && strcmp(a, "--") == 0) {
            opts = false;
        } else if (opts && a[0] == '-' && a[1] != '\0') {
            rc = usage_error("unknown option '%s'", a);
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (rc >= 0) {
        free(files);
        return rc;
    }
    bool check = strcmp(verb, "check") == 0, print = strcmp(verb, "print") == 0,
         encode = strcmp(verb, "encode") == 0, decode = strcmp(verb, "decode") == 0;
    if (!check && !print && !encode && !decode)
        rc = usage_error("unknown verb '%s' (check, print, encode or decode)", verb);
    else if (nfiles == 0)
        rc = usage_error("'%s' needs a FILE", verb);
    else if (!check && nfiles > 1)
        rc = usage_error("'%s' takes one FILE", verb);
    else if (check && out)
        rc = usage_error("%s", "'check' writes no file; -o is not for it");
    else if (check)
        rc = do_check(files, nfiles);
    else if (decode)
        rc = do_decode(files[0], out);
    else
        rc = do_print_or_encode(files[0], out, encode);
    free(files);
    return rc;
}

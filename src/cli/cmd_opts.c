/* cmd_opts: shared option parsing for the subcommands (see cmd_opts.h). */
#include "cmd_opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "units.h"

bool cmd_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    struct err e;
    if (units_parse_size(arg, strlen(arg), out, &e) == 0)
        return true;
    fprintf(stderr, "qmprace %s: %s: %s\n", cmd, opt, e.msg);
    return false;
}

bool cmd_opt_duration(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    struct err e;
    if (units_parse_duration(arg, strlen(arg), out, &e) == 0)
        return true;
    fprintf(stderr, "qmprace %s: %s: %s\n", cmd, opt, e.msg);
    return false;
}

bool cmd_opt_count(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
        fprintf(stderr, "qmprace %s: %s: expected a whole number from %llu to %llu, got '%s'\n", cmd, opt,
                (unsigned long long)min, (unsigned long long)max, arg);
        return false;
    }
    *out = v;
    return true;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qmprace %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'qmprace %s --help'.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

bool cmd_opt_deadline(const char *cmd, const char *arg, uint64_t *out)
{
    if (!cmd_opt_duration(cmd, "--deadline", arg, out))
        return false;
    if (*out == 0) {
        cmd_usage_error(cmd, "--deadline: must be more than 0");
        return false;
    }
    return true;
}

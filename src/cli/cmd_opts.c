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

bool cmd_opt_profile(const char *cmd, const char *opt, const char *key, const char *arg, struct trial_profile *p)
{
    struct err e;
    if (profile_set(p, key, arg, &e) == 0)
        return true;
    fprintf(stderr, "qmprace %s: %s: %s\n", cmd, opt, e.msg);
    return false;
}

int cmd_profile_resolve(const char *cmd, char *const *files, size_t n, const struct trial_profile *cli,
                        enum profile_use use, struct trial_profile *out)
{
    struct err e = {{0}};
    const char *from = NULL;
    for (size_t i = 0; i < n; i++) {
        struct trial_profile h;
        bool found;
        profile_init(&h);
        if (profile_read_file(files[i], &h, &found, &e) < 0) {
            fprintf(stderr, "qmprace %s: %s\n", cmd, e.msg);
            profile_clear(&h);
            return EXIT_USAGE;
        }
        h.set &= ~cli->set; /* only the fields the options leave to the headers */
        bool differs = found && from && !profile_same(out, &h);
        if (found && !from && profile_merge(out, &h, &e) == 0)
            from = files[i];
        profile_clear(&h);
        if (differs)
            return cmd_usage_error(cmd, "%s and %s carry different profiles: give them one at a time, or the "
                                        "fields in which they differ as options", from, files[i]);
    }
    if (profile_merge(out, cli, &e) < 0)
        return cmd_usage_error(cmd, "%s", e.msg);
    profile_defaults(out, use);
    return -1;
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

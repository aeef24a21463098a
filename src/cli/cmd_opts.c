/* cmd_opts: shared option parsing for the subcommands (see cmd_opts.h). */
#include "cmd_opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "session.h"
#include "units.h"

bool cmd_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    struct err e;
    if (units_parse_size(arg, strlen(arg), out, &e) == 0)
        return true;
    fprintf(stderr, "qmprace %s: %s: %s\n", cmd, opt, e.msg);
    return false;
}

/* The command line's own spellings of a duration as the units parser (and the schedule language) reads
 * them: a bare number of seconds ("600" -> "600s"), minutes and hours ("10m" -> "600s", "2h" -> "7200s").
 * NULL when `arg` is none of them (the parser then reads it as it is, or says what is wrong). */
static const char *cmd_bare_seconds(const char *arg, char *buf, size_t n)
{
    size_t digits = strspn(arg, "0123456789");
    const char *unit = arg + digits;
    unsigned long long scale = !*unit ? 1 : strcmp(unit, "m") == 0 ? 60 : strcmp(unit, "h") == 0 ? 3600 : 0;
    if (!digits || !scale || digits > 9)
        return NULL;
    snprintf(buf, n, "%llus", strtoull(arg, NULL, 10) * scale);
    return buf;
}

bool cmd_opt_duration(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    char buf[40];
    const char *secs = cmd_bare_seconds(arg, buf, sizeof buf);
    struct err e;
    if (units_parse_duration(secs ? secs : arg, strlen(secs ? secs : arg), out, &e) == 0)
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

int cmd_profile_option(const char *cmd, int c, const char *arg, struct trial_profile *p)
{
    static const struct {
        int c;
        const char *opt, *key;
    } fields[] = {
        {CMD_OPT_TARGET, "--target", "target"},   {CMD_OPT_RAM, "--ram", "ram"},
        {CMD_OPT_DEADLINE, "--deadline", "deadline"}, {CMD_OPT_WITHOUT, "--without", "without"},
        {CMD_OPT_QEMU_ARG, "--qemu-arg", "arg"},  {CMD_OPT_FRESH, "--fresh", "fresh"},
        {CMD_OPT_DEST, "--dest", "dest"},         {CMD_OPT_PROPERTIES, "--properties", "properties"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].c != c)
            continue;
        char buf[40];
        const char *value = c == CMD_OPT_FRESH ? "yes" : arg;
        if (c == CMD_OPT_DEADLINE && cmd_bare_seconds(arg, buf, sizeof buf))
            value = buf; /* the profile keeps a duration with its unit */
        struct err e;
        if (profile_set(p, fields[i].key, value, &e) == 0)
            return 1;
        fprintf(stderr, "qmprace %s: %s: %s\n", cmd, fields[i].opt, e.msg);
        return -1;
    }
    return 0;
}

void cmd_profile_usage(FILE *f, enum profile_use use)
{
    const char *deadline = use == PROFILE_FOR_HUNT    ? "200ms on sim:, 500ms on qemu, 5s on qmp:"
                           : use == PROFILE_FOR_EXPLORE ? "2s"
                                                        : "10s";
    const char *ram = use == PROFILE_FOR_HUNT || use == PROFILE_FOR_EXPLORE ? "32MiB on sim:, 64MiB on qemu" : "the target's; sim and qemu: 256MiB";
    fprintf(f,
            "  -t, --target SPEC       where trials run (default " PROFILE_DEFAULT_TARGET ")\n"
            "      --deadline DUR      a trial that takes longer is a hang (counted from the target's QMP\n"
            "                          greeting; default %s)\n"
            "      --ram SIZE          guest RAM of the target (default %s)\n"
            "      --without ACTIONS   leave these actions out of every schedule, e.g. params\n"
            "      --properties LIST   what a settled trial is held to (default all; none, or some of\n"
            "                          status-machine, failure-reported, settings-kept, events-agree,\n"
            "                          one-vm);\n"
            "                          one that does not hold makes the trial a violation, counted as a crash is\n"
            "      --qemu-arg ARG      qemu: one more argument for the QEMUs it starts (repeatable; after\n"
            "                          qmprace's own, e.g. --qemu-arg=-cpu --qemu-arg=max)\n"
            "      --fresh             qemu: a new QEMU for every trial (default: reuse one after each pass)\n"
            "      --dest sink|qemu    qemu: migrate into the sink (default) or a real destination QEMU\n"
            "                          started for each trial\n"
            "  DUR: a number and a unit (us, ms, s, m, h) or a bare number of seconds, in every option;\n"
            "  SIZE: a number and a unit (B, KiB, MiB, GiB).\n",
            deadline, ram);
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
    session_defaults(out, use);
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

/* cmd_opts: option values shared by the subcommands (sizes, durations, counts), parsed one way and
 * refused with the same words everywhere ("qmprace run: --repeat: ..."). Prints and nothing else. */
#ifndef QMPRACE_CMD_OPTS_H
#define QMPRACE_CMD_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

/* Each returns true on success, else prints "qmprace CMD: --OPT: why" on stderr and returns false. */
bool cmd_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* A duration on the command line: a number and a unit (us, ms, s; "1m"/"2h" as 60s/7200s), or a bare
 * number of seconds, the same for every option of every command. */
bool cmd_opt_duration(const char *cmd, const char *opt, const char *arg, uint64_t *out);
bool cmd_opt_count(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* The trial profile's options, one parser for every command that runs trials: -t/--target, --ram,
 * --deadline, --without, --properties, --qemu-arg, --fresh and --dest. A command puts CMD_PROFILE_OPTIONS into its
 * getopt_long table (and "t:" into its short options), hands every option to cmd_profile_option before
 * its own, and prints cmd_profile_usage in its --help. */
enum {
    CMD_OPT_TARGET = 't',
    CMD_OPT_RAM = 0x200,
    CMD_OPT_DEADLINE,
    CMD_OPT_WITHOUT,
    CMD_OPT_QEMU_ARG,
    CMD_OPT_FRESH,
    CMD_OPT_DEST,
    CMD_OPT_PROPERTIES,
};
#define CMD_PROFILE_OPTIONS                                                                                 \
    {"target", required_argument, NULL, CMD_OPT_TARGET}, {"ram", required_argument, NULL, CMD_OPT_RAM},    \
        {"deadline", required_argument, NULL, CMD_OPT_DEADLINE},                                           \
        {"without", required_argument, NULL, CMD_OPT_WITHOUT},                                             \
        {"qemu-arg", required_argument, NULL, CMD_OPT_QEMU_ARG}, {"fresh", no_argument, NULL, CMD_OPT_FRESH}, \
        {"dest", required_argument, NULL, CMD_OPT_DEST}, {"properties", required_argument, NULL, CMD_OPT_PROPERTIES}
/* 1: `c` was a profile option and its value is in `p`; 0: `c` is not one; -1: a bad value (said on
 * stderr as "qmprace CMD: --OPT: why"). */
int cmd_profile_option(const char *cmd, int c, const char *arg, struct trial_profile *p);
/* The --help lines of the profile's options, with the defaults of `use`. */
void cmd_profile_usage(FILE *f, enum profile_use use);

/* The profile trials of `files` run under: the one their headers carry (`# profile: ...`; they must agree
 * where `cli` does not decide), with the options' fields (`cli`) over it, then the defaults for `use`.
 * Returns -1 to go on, else the exit status (after saying why). */
int cmd_profile_resolve(const char *cmd, char *const *files, size_t n, const struct trial_profile *cli,
                        enum profile_use use, struct trial_profile *out);

/* Prints "qmprace CMD: MSG\nTry 'qmprace CMD --help'.\n" on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

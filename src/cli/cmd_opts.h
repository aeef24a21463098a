/* cmd_opts: option values shared by the subcommands (sizes, durations, counts), parsed one way and
 * refused with the same words everywhere ("qmprace run: --repeat: ..."). Prints and nothing else. */
#ifndef QMPRACE_CMD_OPTS_H
#define QMPRACE_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

/* Each returns true on success, else prints "qmprace CMD: --OPT: why" on stderr and returns false. */
bool cmd_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out);
bool cmd_opt_duration(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* A trial's --deadline: a duration above 0. */
bool cmd_opt_deadline(const char *cmd, const char *arg, uint64_t *out);
bool cmd_opt_count(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* One field of the trial profile from option `opt` (profile_set's `key`): the one parser of --target,
 * --ram, --deadline, --without, --fresh, --dest and --qemu-arg for every command. */
bool cmd_opt_profile(const char *cmd, const char *opt, const char *key, const char *arg, struct trial_profile *p);

/* The profile trials of `files` run under: the one their headers carry (`# profile: ...`; they must agree
 * where `cli` does not decide), with the options' fields (`cli`) over it, then the defaults for `use`.
 * Returns -1 to go on, else the exit status (after saying why). */
int cmd_profile_resolve(const char *cmd, char *const *files, size_t n, const struct trial_profile *cli,
                        enum profile_use use, struct trial_profile *out);

/* Prints "qmprace CMD: MSG\nTry 'qmprace CMD --help'.\n" on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* cmd_opts: option values shared by the subcommands (sizes, durations, counts), parsed one way and
 * refused with the same words everywhere ("qmprace run: --repeat: ..."). Prints and nothing else. */
#ifndef QMPRACE_CMD_OPTS_H
#define QMPRACE_CMD_OPTS_H

#include <stdbool.h>
#include <stdint.h>

/* Each returns true on success, else prints "qmprace CMD: --OPT: why" on stderr and returns false. */
bool cmd_opt_size(const char *cmd, const char *opt, const char *arg, uint64_t *out);
bool cmd_opt_duration(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* A trial's --deadline: a duration above 0. */
bool cmd_opt_deadline(const char *cmd, const char *arg, uint64_t *out);
bool cmd_opt_count(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out);

/* Prints "qmprace CMD: MSG\nTry 'qmprace CMD --help'.\n" on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

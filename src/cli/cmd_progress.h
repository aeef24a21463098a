/* cmd_progress: when a command's progress line is due, one rule for all of them: on a terminal the line
 * is rewritten in place at most five times a second; elsewhere (a log, CI) a new line every 10 s; the
 * first and the last always. */
#ifndef QMPRACE_CMD_PROGRESS_H
#define QMPRACE_CMD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct cmd_progress {
    bool tty;   /* stderr is a terminal: rewrite with \r */
    bool shown; /* a line was printed ... */
    uint64_t last_us; /* ... at this time (any clock the caller keeps using) */
};

void cmd_progress_init(struct cmd_progress *p);
/* True when a line should be printed now (and counts it as printed). */
bool cmd_progress_due(struct cmd_progress *p, uint64_t now_us, bool final);

#endif

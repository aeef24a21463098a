/* cmd_progress: when a progress line is due (see cmd_progress.h). */
#include "cmd_progress.h"

#include <unistd.h>

void cmd_progress_init(struct cmd_progress *p)
{
    *p = (struct cmd_progress){.tty = isatty(STDERR_FILENO)};
}

bool cmd_progress_due(struct cmd_progress *p, uint64_t now_us, bool final)
{
    uint64_t every = p->tty ? 200000 : 10000000;
    if (!final && p->shown && now_us - p->last_us < every)
        return false;
    p->shown = true;
    p->last_us = now_us;
    return true;
}

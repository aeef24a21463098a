/* hunt_live: live triage (private to the hunt library): each crash input AFL++ saves is replayed once as
 * soon as it appears, so the user sees what was found while the hunt goes on, and --until-crash=TEXT can
 * stop at the crash it is after. */
#ifndef QMPRACE_HUNT_LIVE_H
#define QMPRACE_HUNT_LIVE_H

#include "hunt.h"

struct hunt_live {
    char **seen; /* the crash inputs replayed so far */
    size_t nseen;
    bool matched; /* one crashed again, with o->until_text in its signature if that is set */
};

/* Replays up to four crash inputs under SYNC_DIR not seen before, each said through the crash hook. */
void hunt_live_check(struct hunt_live *l, struct session *s, const struct hunt_options *o, const char *sync_dir,
                     const struct hunt_hooks *hooks);
void hunt_live_free(struct hunt_live *l);

#endif

/* qemu_dest: a destination QEMU for one trial (`--dest qemu`): started with `-incoming defer` and made to
 * listen on a unix socket (`migrate-incoming`) before the trial migrates. A destination with multifd
 * must have the same multifd settings as the source before the first channel arrives, but only the
 * source hears the schedule's commands: so every `migrate-set-capabilities` / `migrate-set-parameters`
 * the source runs before its `migrate` (seen in its trace points) is sent to the destination too.
 * The destination is not under test: its death is reported as output, never as a crash. */
#ifndef QMPRACE_QEMU_DEST_H
#define QMPRACE_QEMU_DEST_H

#include <event2/event.h>
#include <json-c/json.h>

#include "err.h"
#include "qemu_args.h"

struct qemu_dest;

/* The source's migration settings as its schedule set them before `migrate`, remembered across trials:
 * a destination started for the next trial gets them before the trial begins, instead of learning them
 * (through the source's trace points) while the source is already connecting. A 7.2 destination that
 * learns multifd too late takes a multifd channel for the main stream and crashes. */
struct qemu_dest_settings {
    json_object *caps;   /* capability name -> bool */
    json_object *params; /* parameter name -> value */
};
/* A trace point of the source, before its `migrate`. */
void qemu_dest_settings_note(struct qemu_dest_settings *s, const char *event, const char *args);
void qemu_dest_settings_clear(struct qemu_dest_settings *s);

/* Starts it, applies `settings` (may be NULL) and waits (running `base`, at most a few seconds) until it
 * listens. `output` gets its lines, prefixed with "dest: ". Fails when interrupted (event_base_loopbreak)
 * meanwhile. */
struct qemu_dest *qemu_dest_start(struct event_base *base, const struct qemu_launch *l,
                                  const struct qemu_dest_settings *settings,
                                  void (*output)(void *arg, const char *line), void *arg, struct err *e);
void qemu_dest_free(struct qemu_dest *d);

/* Where the fault proxy forwards to: "unix:/proc/self/fd/N". */
const char *qemu_dest_upstream(const struct qemu_dest *d);
/* Whether its guest runs, once it has finished loading: `done(arg, running)` is called later from the loop
 * with 1 (query-status says running), 0 (it does not, or the destination QEMU is gone: it exits when its
 * incoming migration fails) or -1 (still `inmigrate` after half a second). Never called after
 * qemu_dest_free. -1: could not be asked. */
int qemu_dest_query_running(struct qemu_dest *d, struct event_base *base, void (*done)(void *arg, int running),
                            void *arg);
/* A trace point of the source: mirrors its migration settings until its `migrate`. */
void qemu_dest_mirror(struct qemu_dest *d, const char *event, const char *args);

#endif

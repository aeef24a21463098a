/* sim: the simulated VMM. A QMP server that behaves like QEMU's migration code, so that one schedule means
 * the same thing on it as on QEMU: same commands, replies, events, error texts, thread names, trace point
 * names and crash messages. It really opens the main and multifd TCP channels to the migrate URI and
 * streams bytes, so the fault proxy's resets really reach it.
 *
 * Models (sim_model_find): "qemu-7.2" has the migration-cleanup race and its siblings; "failing" has the
 * upstream fix (a `failing` status that keeps the migration running until cleanup is done).
 *
 * Everything runs on the caller's libevent loop; the modeled threads (main, live_migration,
 * multifdsend_N) are timers and socket events, not real threads, so a run is deterministic for a given
 * order of socket events. A modeled crash ends the modeled process: every socket it holds is closed, the
 * `died` hook reports the signal and QEMU's message. It never kills or corrupts the program running it. */
#ifndef QMPRACE_SIM_H
#define QMPRACE_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "err.h"
#include "vocab.h"

struct sim_model;
struct sim_vmm;
struct sim_server;

const struct sim_model *sim_model_find(const char *name);
/* NULL-terminated list of model names, for --help and error messages. */
const char *const *sim_model_names(void);
const char *sim_model_name(const struct sim_model *m);
/* One line: what the model is ("QEMU 7.2: ..."). */
const char *sim_model_summary(const struct sim_model *m);
/* Whether the model can hit trace point `name` (either version's spelling of a renamed one counts). */
bool sim_model_has_trace(const struct sim_model *m, const char *name);

struct sim_hooks {
    /* A QEMU trace point was hit: name as in QEMU's trace-events ("migrate_set_state") and its
     * arguments as QEMU's log backend prints them ("new state failed"), or "". `thread` is the modeled
     * thread's name. */
    void (*trace)(void *arg, const char *thread, const char *event, const char *args);
    /* A line the modeled QEMU writes to its stderr, exactly as QEMU would (without "\n"), such as
     * "qemu-system-x86_64: Unable to write to socket: Connection reset by peer". */
    void (*output)(void *arg, const char *line);
    /* The modeled process died: `signo` (SIGABRT, SIGSEGV; 0 after `quit`) and the last line it printed
     * (for an assertion: QEMU's full assertion line, path and line number included), or NULL. Called
     * once, from the event loop right after the death (never from inside another hook), so it may
     * free the VMM; no hook is called after it. The other hooks run inside the VMM's steps: they may
     * call sim_vmm_freeze() or write to sockets, but must not free the VMM. */
    void (*died)(void *arg, int signo, const char *message);
    /* A modeled thread was held or released by sim_vmm_freeze(). */
    void (*thread)(void *arg, const char *thread, bool held);
    void *arg;
};

struct sim_config {
    uint64_t ram_bytes; /* guest RAM to migrate; 0: SIM_DEFAULT_RAM */
};
#define SIM_DEFAULT_RAM (256ull << 20)

struct sim_vmm *sim_vmm_new(struct event_base *base, const struct sim_model *model,
                            const struct sim_config *cfg, const struct sim_hooks *hooks, struct err *e);
/* Frees everything the VMM holds (sockets, timers); no hook is called from here. */
void sim_vmm_free(struct sim_vmm *v);

/* Serves a QMP monitor on a connected socket (the VMM owns the fd from now on, and closes it if this
 * fails, e.g. after the VMM died): greeting, then commands. Several monitors may be served at once;
 * events go to each negotiated one. Timers need a base with EVENT_BASE_FLAG_PRECISE_TIMER
 * (mono_event_base_new()): the model's delays are far below libevent's default 4 ms clock steps. */
int sim_vmm_serve(struct sim_vmm *v, int fd, struct err *e);

/* Holds a modeled thread for `dur_us`: what it would do in that time happens after (like ptrace-stopping
 * that thread in QEMU). Fails for a thread that does not exist now (e.g. multifdsend_3 with 2 channels). */
int sim_vmm_freeze(struct sim_vmm *v, struct thread_ref t, uint64_t dur_us, struct err *e);
/* Ends the hold on modeled thread `t` now, as its time running out would: 1 it was held, 0 it was not,
 * -1 the VMM has died. */
int sim_vmm_thaw(struct sim_vmm *v, struct thread_ref t, struct err *e);

/* What each modeled thread that exists is doing now, as a stack (innermost frame first, QEMU 7.2's function
 * names): for a hung trial's report. */
typedef void (*sim_stack_fn)(void *arg, const char *thread, bool held, const char *const *frames, size_t n);
void sim_vmm_stacks(const struct sim_vmm *v, sim_stack_fn fn, void *arg);

bool sim_vmm_dead(const struct sim_vmm *v);
enum mig_status sim_vmm_status(const struct sim_vmm *v);

/* The standalone server (`qmprace sim --listen`): listens on "unix:PATH" or "tcp:HOST:PORT" (loopback
 * only) and serves every connection as a QMP monitor of one VMM. When that VMM dies (a modeled crash), the
 * next connection gets a fresh one, as if QEMU had been restarted. A unix socket file is removed on free.
 * `hooks` see every VMM it runs. */
struct sim_server *sim_server_new(struct event_base *base, const char *listen, const struct sim_model *model,
                                  const struct sim_config *cfg, const struct sim_hooks *hooks, struct err *e);
void sim_server_free(struct sim_server *s);
/* How many VMMs died so far. */
unsigned sim_server_deaths(const struct sim_server *s);

#endif

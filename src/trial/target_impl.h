/* target_impl: what each kind of target provides (target_sim.c, target_qmp.c, target_qemu.c); only
 * target*.c include it. */
#ifndef QMPRACE_TARGET_IMPL_H
#define QMPRACE_TARGET_IMPL_H

#include "target.h"
#include "vocab_target.h"

struct target_ops {
    const char *prefix; /* "sim:", "qmp:" */
    bool launches;      /* it starts VMM processes: takes vmm_args, fresh and dest_vmm */
    /* A hunt's short trials on this kind: a guest small enough to stream in tens of milliseconds and still
     * leave room to hold a window open before it completes (0: the VMM's own), and a deadline that makes a
     * hang cost little. */
    uint64_t short_ram, short_deadline_us;
    /* Parses what follows the prefix; sets t->impl. */
    int (*init)(struct target *t, const char *rest, const struct target_options *opt, struct err *e);
    int (*begin)(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                 struct err *e);
    int (*freeze)(struct target *t, struct thread_ref thread, uint64_t dur_us, struct err *e);
    int (*thaw)(struct target *t, struct thread_ref thread, struct err *e); /* see target_thaw */
    void (*end)(struct target *t, bool healthy);
    void (*destroy)(struct target *t);
    struct target_caps caps;
    bool no_learn; /* target_learn does not ask it (every name is taken as known) */
    /* Optional: for a kind whose abilities depend on what it runs (a QEMU binary); else `caps`. */
    struct target_caps (*caps_of)(const struct target *t);
    const char *(*warning)(const struct target *t);  /* optional */
    const char *(*upstream)(const struct target *t); /* optional; NULL: the sink */
    /* optional: whether this trial runs on a VMM an earlier trial used (else: never) */
    bool (*reused)(const struct target *t);
    /* optional: a reused VMM an earlier trial's completed migration left paused (target_restore resumes it) */
    bool (*left_paused)(const struct target *t);
    /* optional: this trial's VMM is a spare, started ahead and warmed up, that replaced the last one */
    bool (*warmed)(const struct target *t);
    /* optional: keep a warmed spare VMM ready to replace one (target_keep_spare); else: nothing */
    void (*keep_spare)(struct target *t, bool keep);
    /* optional: whether this trial's VMM would serve the next one if the trial ended settled (nothing
     * frozen, nothing done to it beyond its migration settings); else: never */
    bool (*keeps)(const struct target *t);
    /* optional: the VMM refused what target_restore sent: do not reuse it after this trial */
    void (*restore_refused)(struct target *t);
    /* optional, for a kind with caps.trace: whether it can emit this trace point (else: any) */
    bool (*has_trace)(const struct target *t, const char *name);
    /* optional: switch trace point `name` on for the trials to come (else: nothing to do) */
    int (*want_trace)(struct target *t, const char *name, struct err *e);
    /* optional; NULL: the QMP check every QEMU answers (query-migrate, then query-yank: target_settle.c) */
    int (*settle)(struct target *t, struct target_settle_check *c);
    /* optional: every thread's stack now (target_stacks) */
    int (*stacks)(struct target *t, struct qemu_stacks *out, struct err *e);
    /* optional: read what the target has already written (its trace points) but the loop has not read */
    void (*drain)(struct target *t);
    /* optional: target_dest_running (else: no destination VMM) */
    int (*dest_running)(struct target *t, target_dest_fn done, void *arg);
};

struct target {
    const struct target_ops *ops;
    char *spec;
    void *impl;
    bool learned;             /* target_learn asked it */
    bool vocab_adopted;       /* `vocab` came from another process (target_adopt_vocab): not asked again */
    struct vocab_target vocab; /* what it said it knows */
    /* what a fresh VMM of it has set, as migrate-set-capabilities' and migrate-set-parameters' arguments:
     * a reused VMM is given them back before a trial, so no trial inherits the last one's settings */
    json_object *fresh_caps, *fresh_params;
    /* what the trials since the last restore asked to change (names as keys), or everything
     * (target_restore.c) */
    json_object *changed_caps, *changed_params;
    bool restore_all;
};

extern const struct target_ops target_sim_ops;
extern const struct target_ops target_qmp_ops;
extern const struct target_ops target_qemu_ops;

/* The settle check over QMP, the default of every kind. */
int target_settle_qmp(struct target *t, struct target_settle_check *c);

#endif

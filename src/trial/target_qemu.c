/* target_qemu: `qemu[:PATH]`, a real QEMU that qmprace launches (default: qemu-system-x86_64 on PATH).
 *
 * One source QEMU serves many trials: after a trial that passed (the engine then knows no migration runs
 * and its cleanup finished) the next trial starts on the same process, over a new QMP connection; it is
 * replaced after a crash, a hang that is a finding, a held thread at the end, a trial that changed the VM
 * beyond its migration settings (see note_change), or when asked (`fresh`); after a hang of the
 * schedule's own the trial resets the channels and keeps it if it settles (qemu_keeps, trial.c). Its stderr is read live: trace points
 * go to the trial as they happen (with QEMU's own timestamps), other lines as output, and the last fatal
 * line (an assertion) becomes the crash message when it dies by a signal.
 * `freeze` holds one named thread with ptrace. With `dest_vmm` each trial also gets a destination QEMU
 * (qemu_dest.c) that the fault proxy forwards to.
 *
 * Never kills or waits for a process it did not start; never leaves a process or a file behind
 * (target_free ends everything; a SIGKILL of qmprace ends the children through their parent-death
 * signal, and no file of theirs has a name on disk). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mono.h"
#include "qemu_args.h"
#include "qemu_dest.h"
#include "qemu_freeze.h"
#include "qemu_probe.h"
#include "qemu_proc.h"
#include "qemu_ram.h"
#include "qemu_spare.h"
#include "qemu_task.h"
#include "qemu_trace.h"
#include "qemu_vm.h"
#include "target_impl.h"

#define DEFAULT_BIN "qemu-system-x86_64"
/* 256 MiB, as the simulated VMM: the corpus resets after 8 MiB, so the migration is still busy on its
 * first pass with every multifd channel carrying pages; start-up does not depend on it (the RAM is a
 * mapping, filled once per run), and a migration that is not cut completes in well under a second. */
#define DEFAULT_RAM (256ull << 20)
#define MIN_RAM (16ull << 20)
#define MAX_RAM (64ull << 30)
#define RAM_SEED 0x716d707261636521ull
#define MAX_USER_ARGS 256
#define MAX_TRACE 256
#define STACKS_TIMEOUT_US 5000000 /* eu-stack on a QEMU takes about 0.3 s */

struct qemu_target {
    char bin[PATH_MAX];
    uint64_t ram;
    char **extra, **trace;
    size_t nextra, ntrace;
    struct qemu_probe probe; /* what the binary can do, found once */
    bool fresh, dest_vmm;
    struct target_caps caps;
    char warning[600];
    int ram_fd;
    struct event_base *base;

    struct target_hooks hooks;
    bool live;           /* a trial is under way: what QEMU says goes to its hooks */
    uint64_t since_mono; /* trace points stamped before the trial began belong to an earlier one */
    struct qemu_vm *src;
    bool reusable;
    bool reused;  /* this trial runs on the QEMU an earlier one left */
    bool changed; /* this trial left the VM in another state than a fresh one (see note_change) */
    unsigned changing; /* commands that may change it, entered and not yet returned */
    bool paused;  /* this trial's migration completed: the VM waits in `postmigrate` */
    bool resume;  /* this trial runs on a VM an earlier one left paused: `cont` before the schedule */
    struct qemu_task_cache names;
    char fatal[512], last[512];
    struct qemu_dest *dest;
    struct qemu_dest_settings dest_settings;
    bool migrating; /* the source entered `migrate` in this trial */
    /* With keep_spare, a source started and warmed up ahead replaces one that cannot serve again
     * (qemu_spare.h): launched with the trace points of spare_ntrace; spare_off after one failed */
    bool keep_spare, spare_off, warmed;
    struct qemu_spare *spare;
    size_t spare_ntrace;
};

/* ---- what the source says ---- */

/* A trial may leave the VM other than a fresh one would be. A completed migration leaves it paused
 * ("Can't migrate the vm that was paused due to previous migration"): the next trial resumes it with
 * `cont` first (as libvirt resumes a source whose destination failed after completion), which takes a
 * couple of milliseconds where a new QEMU takes about a hundred; so does a `stop` the schedule sent (a
 * `cont` of the schedule's own changes nothing a resume would not). With --dest qemu either VM is
 * replaced, as that path sets nothing back. Other commands beyond the migration ones (system_reset,
 * device_add, quit..., and a migrate-start-postcopy that took: the VM stays stopped whatever the
 * migration does next) change it in ways a schedule cannot undo: such a trial's QEMU is not reused. What
 * QEMU refused changed nothing: a command counts once its exit trace point says it succeeded, and one
 * that never returned counts as a change. Capabilities and parameters are set back before the next trial
 * (target_restore.c); --fresh gives every trial a new QEMU. */
static bool exit_succeeded(const char *args)
{
    size_t n = strlen(args); /* qmp_exit_NAME's arguments: "RESULT-OR-ERROR SUCCEEDED" */
    return n >= 2 && args[n - 2] == ' ' && args[n - 1] == '1';
}

static void note_change(struct qemu_target *qt, const struct qemu_trace_point *tp)
{
    if (strcmp(tp->event, "migrate_set_state") == 0 && strcmp(tp->args, "new state completed") == 0) {
        if (qt->dest_vmm)
            qt->changed = true;
        else
            qt->paused = true;
        return;
    }
    bool enter = strncmp(tp->event, "qmp_enter_", 10) == 0;
    if (!enter && strncmp(tp->event, "qmp_exit_", 9) != 0)
        return;
    const char *cmd = tp->event + (enter ? 10 : 9);
    enum vocab_cmd_effect effect = vocab_cmd_effect(cmd);
    if (effect != VOCAB_CMD_OTHER && effect != VOCAB_CMD_RUNSTATE && effect != VOCAB_CMD_POSTCOPY)
        return;
    if (enter) {
        if (qt->resume && strcmp(cmd, "cont") == 0)
            qt->resume = false; /* the restore's own `cont`: QEMU's stderr is in order, so it is the first one */
        else
            qt->changing++;
        return;
    }
    if (qt->changing == 0)
        return; /* the restore's `cont` returning */
    qt->changing--;
    if (!exit_succeeded(tp->args))
        return;
    if (effect == VOCAB_CMD_RUNSTATE && !qt->dest_vmm)
        qt->paused = true; /* stopped or not, the next trial begins with `cont` */
    else
        qt->changed = true;
}

static void src_line(void *arg, const char *line)
{
    struct qemu_target *qt = arg;
    struct qemu_trace_point tp;
    if (qemu_trace_parse(line, &tp)) {
        if (!qt->live)
            return;
        uint64_t mono = qemu_trace_mono_us(tp.epoch_us);
        if (mono < qt->since_mono)
            return;
        note_change(qt, &tp);
        if (strcmp(tp.event, "qmp_enter_migrate") == 0)
            qt->migrating = true;
        if (qt->dest_vmm && !qt->migrating)
            qemu_dest_settings_note(&qt->dest_settings, tp.event, tp.args);
        if (qt->dest)
            qemu_dest_mirror(qt->dest, tp.event, tp.args);
        /* A migration's threads exist from `setup`/`active` on: remember their names now, as the first
         * trace line of a multifd thread may be read after it ended (and not later: reading /proc in the
         * race window would only widen it). */
        if (strcmp(tp.event, "migrate_set_state") == 0 &&
            (strcmp(tp.args, "new state setup") == 0 || strcmp(tp.args, "new state active") == 0))
            qemu_task_cache_scan(&qt->names);
        if (qt->hooks.trace)
            qt->hooks.trace(qt->hooks.arg, mono, tp.tid ? qemu_task_cache_name(&qt->names, tp.tid) : NULL, tp.event,
                            tp.args);
        return;
    }
    if (qemu_trace_is_fatal(line))
        snprintf(qt->fatal, sizeof qt->fatal, "%s", line);
    if (line[0])
        snprintf(qt->last, sizeof qt->last, "%s", line);
    if (qt->live && qt->hooks.output)
        qt->hooks.output(qt->hooks.arg, line);
}

static void src_ended(void *arg, int status)
{
    struct qemu_target *qt = arg;
    qt->reusable = false;
    if (!qt->live || !qt->hooks.died)
        return;
    if (WIFSIGNALED(status)) {
        qt->hooks.died(qt->hooks.arg, WTERMSIG(status), qt->fatal[0] ? qt->fatal : NULL);
        return;
    }
    char msg[640];
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(msg, sizeof msg, "exited with status %d%s%s", WEXITSTATUS(status), qt->last[0] ? ": " : "",
                 qt->last);
        qt->hooks.died(qt->hooks.arg, 0, msg);
        return;
    }
    qt->hooks.died(qt->hooks.arg, 0, NULL);
}

static void src_held(void *arg, const char *thread, bool held)
{
    struct qemu_target *qt = arg;
    if (qt->live && qt->hooks.thread)
        qt->hooks.thread(qt->hooks.arg, thread, held);
}

static void dest_output(void *arg, const char *line)
{
    struct qemu_target *qt = arg;
    if (qt->live && qt->hooks.output)
        qt->hooks.output(qt->hooks.arg, line);
}

/* ---- starting and stopping ---- */

static void stop_source(struct qemu_target *qt)
{
    qemu_vm_free(qt->src);
    qt->src = NULL;
    qt->reusable = false;
    qt->paused = false;
}

/* How every source is launched; the RAM's memfd is made once and shared (each maps it privately). */
static int source_launch(struct qemu_target *qt, struct qemu_launch *l, struct err *e)
{
    if (qt->ram_fd < 0) {
        qt->ram_fd = qemu_ram_create(qt->ram, RAM_SEED, e);
        if (qt->ram_fd < 0)
            return -1;
    }
    *l = (struct qemu_launch){
        .bin = qt->bin,
        .role = QEMU_SOURCE,
        .ram_bytes = qt->ram,
        .ram_fd = qt->ram_fd,
        /* Another trace backend (simple, ftrace) would write somewhere else: enable only what we read. */
        .trace = qt->caps.trace ? (const char *const *)qt->trace : NULL,
        .ntrace = qt->caps.trace ? qt->ntrace : 0,
        .extra = (const char *const *)qt->extra,
        .nextra = qt->nextra,
    };
    return 0;
}

/* The source's output, end and holds go to this target, whether it was launched or taken as a spare. */
static struct qemu_vm_hooks source_hooks(struct qemu_target *qt)
{
    return (struct qemu_vm_hooks){src_line, src_ended, src_held, qt};
}

static void set_source(struct qemu_target *qt, struct qemu_vm *vm)
{
    qt->src = vm;
    qemu_task_cache_reset(&qt->names, qemu_vm_pid(vm));
}

static int launch_source(struct qemu_target *qt, struct err *e)
{
    struct qemu_launch l;
    if (source_launch(qt, &l, e) < 0)
        return -1;
    struct qemu_vm_hooks h = source_hooks(qt);
    struct qemu_vm *vm = qemu_vm_start(qt->base, &l, &h, e);
    if (!vm)
        return err_prefix(e, "cannot start %s", qt->bin);
    set_source(qt, vm);
    return 0;
}

/* The spare, when it is ready (waited for: it started earlier, so it is never later than a new one) and
 * has the trace points a new one would; else nothing, and the caller launches one. */
static bool take_spare(struct qemu_target *qt)
{
    struct qemu_spare *sp = qt->spare;
    qt->spare = NULL;
    if (!sp)
        return false;
    struct qemu_vm_hooks h = source_hooks(qt);
    struct qemu_vm *vm = NULL;
    if (qt->spare_ntrace == qt->ntrace && qemu_spare_wait(sp, qt->base))
        vm = qemu_spare_take(sp, &h);
    if (!vm && qemu_spare_failure(sp)[0])
        qt->spare_off = true; /* (a QEMU that cannot warm up once will not the next time: start as before) */
    qemu_spare_free(sp);
    if (!vm)
        return false;
    set_source(qt, vm);
    qt->warmed = true;
    return true;
}

/* A spare is started once a source runs, and again each time one is taken; a failed one is not. */
static void keep_spare(struct qemu_target *qt)
{
    struct qemu_launch l;
    if (!qt->keep_spare || qt->spare_off || qt->spare || qt->fresh || source_launch(qt, &l, &(struct err){{0}}) < 0)
        return;
    qt->spare = qemu_spare_start(qt->base, &l, &(struct err){{0}});
    qt->spare_ntrace = qt->ntrace;
    if (!qt->spare)
        qt->spare_off = true;
}

/* ---- target ops ---- */

static char **copy_strings(const char *const *v, size_t n, const char *const *more, size_t nmore)
{
    char **out = calloc(n + nmore + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n + nmore; i++)
        if (!(out[i] = strdup(i < n ? v[i] : more[i - n]))) {
            for (size_t j = 0; j < i; j++)
                free(out[j]);
            free(out);
            return NULL;
        }
    return out;
}

static void free_strings(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

/* The trace point (or pattern) to enable for `name` on this binary: its own spelling of a renamed one
 * (migrate_fd_cleanup is migration_cleanup on 10.x), or NULL when the binary has neither, so that QEMU
 * is not asked for one it would warn about at every start. */
static const char *binary_trace(const struct qemu_target *qt, const char *name)
{
    if (strchr(name, '*') || qemu_probe_has_trace(&qt->probe, name))
        return name;
    const char *other = vocab_trace_other_spelling(name);
    return other && qemu_probe_has_trace(&qt->probe, other) ? other : NULL;
}

/* Adds `name` to the trace points every source it launches from now on enables (once; nothing for a point
 * the binary lacks). */
static int want_trace(struct qemu_target *qt, const char *name)
{
    const char *b = binary_trace(qt, name);
    if (!b)
        return 0;
    for (size_t i = 0; i < qt->ntrace; i++)
        if (strcmp(qt->trace[i], b) == 0)
            return 0;
    if (qt->ntrace >= MAX_TRACE)
        return -1;
    char **v = realloc(qt->trace, (qt->ntrace + 2) * sizeof *v);
    if (!v)
        return -1;
    qt->trace = v;
    if (!(v[qt->ntrace] = strdup(b)))
        return -1;
    v[++qt->ntrace] = NULL;
    return 0;
}

/* The trace points every source enables: the race's own; the schedules' `on trace` ones come through
 * target_want_trace. */
static int enable_traces(struct qemu_target *qt)
{
    for (const char *const *def = qemu_args_default_trace(); *def; def++)
        if (want_trace(qt, *def) < 0)
            return -1;
    return 0;
}

/* The source's threads, read with eu-stack. A thread qmprace holds is let go first (the unwinder cannot
 * attach to a thread another tracer holds) and marked as held: the trial is over anyway. */
static int qemu_stacks(struct target *t, struct qemu_stacks *out, struct err *e)
{
    struct qemu_target *qt = t->impl;
    if (!qt->src || qemu_vm_pid(qt->src) <= 0)
        return err_set(e, "no source QEMU is running");
    pid_t held[QEMU_HOLDS_MAX];
    size_t nheld = qemu_holds_tids(qemu_vm_holds(qt->src), held, QEMU_HOLDS_MAX);
    qemu_holds_release_all(qemu_vm_holds(qt->src));
    if (qemu_stacks_capture(qemu_vm_pid(qt->src), STACKS_TIMEOUT_US, out, e) < 0)
        return -1;
    for (size_t i = 0; i < out->n; i++)
        for (size_t k = 0; k < nheld; k++)
            out->threads[i].held |= out->threads[i].tid == held[k];
    return 0;
}

static int qemu_want_trace(struct target *t, const char *name, struct err *e)
{
    struct qemu_target *qt = t->impl;
    if (want_trace(qt, name) < 0)
        return err_set(e, "more than %d trace points, or out of memory", MAX_TRACE);
    return 0;
}

static void qemu_destroy(struct target *t)
{
    struct qemu_target *qt = t->impl;
    if (!qt)
        return;
    qt->live = false;
    qemu_dest_free(qt->dest);
    qemu_dest_settings_clear(&qt->dest_settings);
    qemu_spare_free(qt->spare);
    stop_source(qt);
    if (qt->ram_fd >= 0)
        close(qt->ram_fd);
    free_strings(qt->extra);
    free_strings(qt->trace);
    qemu_probe_free(&qt->probe);
    free(qt);
    t->impl = NULL;
}

static int qemu_init(struct target *t, const char *rest, const struct target_options *opt, struct err *e)
{
    const char *name = DEFAULT_BIN;
    if (*rest == ':')
        name = rest + 1;
    else if (*rest)
        return err_set(e, "unknown target 'qemu%s' (expected qemu or qemu:PATH)", rest);
    uint64_t ram = opt->ram_bytes ? opt->ram_bytes : DEFAULT_RAM;
    if (ram < MIN_RAM || ram > MAX_RAM || ram % (1u << 20))
        return err_set(e, "--ram for a QEMU target must be a whole number of MiB from 16MiB to 64GiB");
    if (opt->nvmm_args > MAX_USER_ARGS)
        return err_set(e, "too many QEMU arguments");
    struct qemu_target *qt = calloc(1, sizeof *qt);
    if (!qt)
        return err_set(e, "out of memory");
    t->impl = qt;
    qt->ram_fd = -1;
    qt->ram = ram;
    qt->fresh = opt->fresh;
    qt->dest_vmm = opt->dest_vmm;
    if (qemu_proc_find_binary(name, qt->bin, sizeof qt->bin, e) < 0) {
        if (!strchr(name, '/'))
            err_set(e, "no %s on PATH: install it (Debian: qemu-system-x86) or give qemu:PATH", name);
        qemu_destroy(t);
        return -1;
    }
    qt->extra = copy_strings(opt->vmm_args, opt->nvmm_args, NULL, 0);
    if (!qt->extra) {
        qemu_destroy(t);
        return err_set(e, "out of memory");
    }
    qt->nextra = opt->nvmm_args;
    qt->caps = (struct target_caps){.freeze = true, .trace = false, .death = true};
    struct err pe = {{0}};
    if (qemu_probe_run(qt->bin, &qt->probe, &pe) < 0)
        snprintf(qt->warning, sizeof qt->warning, "could not check %.250s for trace points: %.300s", qt->bin, pe.msg);
    else if (!qt->probe.trace)
        snprintf(qt->warning, sizeof qt->warning,
                 "%.300s (QEMU %s) has no `log` trace backend: timelines show no QEMU trace points and "
                 "schedules with `on trace` cannot run on it",
                 qt->bin, qt->probe.version);
    else
        qt->caps.trace = true;
    if (enable_traces(qt) < 0) {
        qemu_destroy(t);
        return err_set(e, "out of memory");
    }
    if (qt->dest_vmm && !qt->caps.trace) {
        /* The destination follows the source's migration settings through the source's trace points. */
        err_set(e, "--dest qemu needs a QEMU with the `log` trace backend: %s", qt->warning);
        qemu_destroy(t);
        return -1;
    }
    return 0;
}

static int qemu_begin(struct target *t, struct event_base *base, const struct target_hooks *hooks, struct qmp *q,
                      struct err *e)
{
    struct qemu_target *qt = t->impl;
    qt->live = false;
    qemu_dest_free(qt->dest);
    qt->dest = NULL;
    if (qt->src && (!qt->reusable || qt->fresh || base != qt->base))
        stop_source(qt);
    if (base != qt->base) { /* (its events are on the other loop) */
        qemu_spare_free(qt->spare);
        qt->spare = NULL;
    }
    if (qt->src) {
        /* What it said since the last trial ended belongs to no trial; and it must still be alive. */
        qemu_vm_drain(qt->src);
        if (qemu_vm_ending(qt->src))
            stop_source(qt);
    }
    qt->base = base;
    qt->hooks = *hooks;
    qt->fatal[0] = qt->last[0] = '\0';
    qt->reused = qt->src != NULL;
    qt->reusable = false;
    qt->changed = false;
    qt->changing = 0;
    qt->resume = qt->paused;
    qt->paused = false;
    qt->migrating = false;
    qt->warmed = false;
    if (!qt->src && !take_spare(qt) && launch_source(qt, e) < 0)
        return -1;
    keep_spare(qt);
    qt->since_mono = mono_now_us();
    qt->live = true;
    if (qt->dest_vmm) {
        struct qemu_launch l = {
            .bin = qt->bin,
            .role = QEMU_DEST,
            .ram_bytes = qt->ram,
            .ram_fd = -1,
            .extra = (const char *const *)qt->extra,
            .nextra = qt->nextra,
        };
        qt->dest = qemu_dest_start(base, &l, &qt->dest_settings, dest_output, qt, e);
        if (!qt->dest)
            return -1;
    }
    return qmp_connect(q, qemu_vm_qmp_addr(qt->src), e);
}

static int qemu_freeze(struct target *t, struct thread_ref thread, uint64_t dur_us, struct err *e)
{
    struct qemu_target *qt = t->impl;
    if (!qt->src || qemu_vm_ending(qt->src))
        return err_set(e, "QEMU is not running");
    pid_t pid = qemu_vm_pid(qt->src);
    if (thread.kind == THR_MAIN)
        return qemu_holds_hold(qemu_vm_holds(qt->src), pid, pid, "main", dur_us, e);
    /* The role's thread under each version's name; the race window can be a fraction of a millisecond,
     * so the names remembered at `setup` are tried before the task list is read. */
    char bufs[VOCAB_THREAD_SPELLINGS][32], tried[96] = "";
    const char *names[VOCAB_THREAD_SPELLINGS];
    for (int i = 0; i < VOCAB_THREAD_SPELLINGS; i++) {
        names[i] = vocab_thread_spelling(thread, i, bufs[i], sizeof bufs[i]);
        pid_t tid = qemu_task_cache_find(&qt->names, names[i]);
        if (tid >= 0)
            return qemu_holds_hold(qemu_vm_holds(qt->src), pid, tid, names[i], dur_us, e);
    }
    for (int i = 0; i < VOCAB_THREAD_SPELLINGS; i++) {
        pid_t tid = qemu_task_find(pid, names[i], NULL);
        if (tid >= 0)
            return qemu_holds_hold(qemu_vm_holds(qt->src), pid, tid, names[i], dur_us, e);
        size_t off = strlen(tried);
        snprintf(tried + off, sizeof tried - off, "%s%s", i ? " or " : "", names[i]);
    }
    return err_set(e, "QEMU has no thread %s now", tried);
}

/* Ends the role's hold under whichever name `freeze` found it by. */
static int qemu_thaw(struct target *t, struct thread_ref thread, struct err *e)
{
    struct qemu_target *qt = t->impl;
    if (!qt->src)
        return err_set(e, "QEMU is not running");
    if (thread.kind == THR_MAIN)
        return qemu_holds_release_name(qemu_vm_holds(qt->src), "main");
    char buf[32];
    for (int i = 0; i < VOCAB_THREAD_SPELLINGS; i++)
        if (qemu_holds_release_name(qemu_vm_holds(qt->src), vocab_thread_spelling(thread, i, buf, sizeof buf)))
            return 1;
    return 0;
}

static void qemu_end(struct target *t, bool healthy)
{
    struct qemu_target *qt = t->impl;
    qt->live = false;
    qemu_dest_free(qt->dest);
    qt->dest = NULL;
    if (!qt->src)
        return;
    if (qt->changing)
        qt->changed = true; /* a command that may change the VM never returned (or its exit is unread) */
    /* A thread still held when the trial passed would move on after the verdict: do not trust that. */
    struct qemu_holds *holds = qemu_vm_holds(qt->src);
    bool held = qemu_holds_count(holds) > 0;
    qemu_holds_release_all(holds);
    qt->reusable = healthy && !held && !qt->changed && !qt->fresh && !qemu_vm_ending(qt->src);
    if (!qt->reusable)
        stop_source(qt);
}

static int qemu_dest_running(struct target *t, target_dest_fn done, void *arg)
{
    struct qemu_target *qt = t->impl;
    return qt->dest && qt->base ? qemu_dest_query_running(qt->dest, qt->base, done, arg) : -1;
}

static struct target_caps qemu_caps(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->caps;
}

static const char *qemu_warning(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->warning[0] ? qt->warning : NULL;
}

static const char *qemu_upstream(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->dest ? qemu_dest_upstream(qt->dest) : NULL;
}

/* With --dest qemu the destination learns the source's settings from the source's own trace points
 * (qemu_dest.c); setting a fresh QEMU's back would be mirrored there too, so a destination run keeps the
 * old behaviour: its schedules set what they rely on. */
static bool qemu_reused(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->reused && !qt->dest_vmm;
}

static bool qemu_warmed(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->warmed;
}

static void qemu_keep_spare(struct target *t, bool keep)
{
    struct qemu_target *qt = t->impl;
    qt->keep_spare = keep;
    if (!keep) {
        qemu_spare_free(qt->spare);
        qt->spare = NULL;
    }
}

static bool qemu_left_paused(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qemu_reused(t) && qt->resume;
}

static bool qemu_keeps(const struct target *t)
{
    const struct qemu_target *qt = t->impl;
    return qt->src && qt->live && !qt->fresh && !qt->changed && !qt->changing && !qemu_vm_ending(qt->src) &&
           qemu_holds_count(qemu_vm_holds(qt->src)) == 0;
}

/* It would not take back what it was left with: this trial's QEMU is not used again. */
static void qemu_restore_refused(struct target *t)
{
    struct qemu_target *qt = t->impl;
    qt->changed = true;
}

static void qemu_drain(struct target *t)
{
    struct qemu_target *qt = t->impl;
    if (qt->src && qt->live)
        qemu_vm_drain(qt->src);
}

static bool qemu_has_trace(const struct target *t, const char *name)
{
    return binary_trace(t->impl, name) != NULL;
}

const struct target_ops target_qemu_ops = {
    .prefix = "qemu",
    .short_ram = 64ull << 20,
    .short_deadline_us = 500000,
    .launches = true,
    .init = qemu_init,
    .begin = qemu_begin,
    .freeze = qemu_freeze,
    .thaw = qemu_thaw,
    .end = qemu_end,
    .destroy = qemu_destroy,
    .caps = {.freeze = true, .trace = false, .death = true},
    .dest_running = qemu_dest_running,
    .caps_of = qemu_caps,
    .warning = qemu_warning,
    .upstream = qemu_upstream,
    .has_trace = qemu_has_trace,
    .want_trace = qemu_want_trace,
    .stacks = qemu_stacks,
    .reused = qemu_reused,
    .left_paused = qemu_left_paused,
    .warmed = qemu_warmed,
    .keep_spare = qemu_keep_spare,
    .keeps = qemu_keeps,
    .restore_refused = qemu_restore_refused,
    .drain = qemu_drain,
};

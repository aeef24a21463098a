/* hunt: a whole hunt, from seeds to reproducers and summary (see hunt.h). */
#include "hunt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hunt_live.h"
#include "hunt_say.h"
#include "mono.h"
#include "units.h"
#include "vocab_target.h"
#include "wholefile.h"

#define HUNT_TICK_US 200000
/* afl-fuzz stops itself at its -V limit; this is for one that does not */
#define HUNT_OVERTIME_US 30000000ull

static void hunt_progress(const struct hunt_hooks *hooks, uint64_t start, const struct afl_progress *p, bool final)
{
    if (!hooks->progress)
        return;
    struct hunt_progress hp = {.elapsed_us = mono_now_us() - start, .afl = *p, .final = final};
    hooks->progress(hooks->arg, &hp);
}

static void hunt_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* afl-fuzz runs the harness in its own processes, which learn the trial profile from their environment. */
static struct afl_jobs *hunt_afl_start(struct session *s, const struct hunt_options *o, const struct hunt_dirs *d,
                                       const char *dict, struct err *e)
{
    const struct trial_profile *p = session_profile(s);
    /* the names this target has, so the mutator draws no input the harness would refuse */
    const struct vocab_target *vt = target_vocab(session_target(s));
    json_object *vj = vt ? vocab_target_to_json(vt) : NULL;
    const char *vtext = vj ? json_object_to_json_string_ext(vj, JSON_C_TO_STRING_PLAIN) : NULL;
    int wrote = vtext ? wholefile_write_text(d->vocab, vtext, e) : -1;
    json_object_put(vj);
    if (vt && wrote < 0) {
        err_prefix(e, "cannot write the target's vocabulary");
        return NULL;
    }
    char *prof = profile_print(p), *env_profile = NULL, *env_dir = NULL, *env_vocab = NULL;
    /* QMPRACE_HUNT_DIR names the hunt every process it started belongs to (afl-fuzz, the harness, its
     * QEMU), so what is left of a hunt can be found by it */
    if (!prof || asprintf(&env_profile, "QMPRACE_HARNESS_PROFILE=%s", prof) < 0 ||
        asprintf(&env_dir, "QMPRACE_HUNT_DIR=%s", d->out) < 0 ||
        asprintf(&env_vocab, "QMPRACE_HARNESS_VOCAB=%s", vt ? d->vocab : "") < 0) {
        free(prof);
        free(env_profile);
        free(env_dir);
        err_set(e, "out of memory");
        return NULL;
    }
    free(prof);
    const char *env[] = {env_profile, env_dir, env_vocab, NULL};
    struct afl_job_options ao = {
        .afl_fuzz = o->afl_fuzz, .harness = o->harness, .seeds_dir = d->seeds, .sync_dir = d->afl,
        .log_dir = d->logs, .dict = dict, .mutator = o->mutator,
        .jobs = o->jobs, .seconds = (unsigned)(o->time_us / 1000000),
        .timeout_ms = (unsigned)(session_trial_bound_us(s) / 1000), .until_crash = o->until_crash && !o->until_text,
        .env = env, .join_name = o->join_name, .noisy = !target_caps(session_target(s)).deterministic,
    };
    struct afl_jobs *j = afl_jobs_start(&ao, e);
    free(env_profile);
    free(env_dir);
    free(env_vocab);
    if (!j)
        err_prefix(e, "cannot start afl-fuzz");
    return j;
}

/* Runs afl-fuzz until its time is up, the crash it waits for came, or a signal; new crash inputs are
 * replayed as they appear. */
static int hunt_fuzz(struct session *s, const struct hunt_options *o, const struct hunt_dirs *d,
                     const struct hunt_hooks *hooks, struct hunt_result *r, struct err *e)
{
    struct err de = {{0}};
    const char *dict = NULL;
    if (o->join_name) {
        dict = access(d->dict, R_OK) == 0 ? d->dict : NULL; /* the joined hunt's own */
    } else {
        int tokens = hunt_dict_write(s, o->dict, d->dict, &de);
        if (tokens < 0)
            hunt_say(hooks->warning, hooks->arg, "dictionary left out: %s", de.msg);
        dict = tokens > 0 ? d->dict : NULL;
    }
    struct afl_jobs *afl = hunt_afl_start(s, o, d, dict, e);
    if (!afl) {
        r->failure = HUNT_TARGET;
        return -1;
    }
    struct event_base *base = session_base(s);
    struct event *tick = evtimer_new(base, hunt_on_tick, base);
    if (!tick) {
        afl_jobs_free(afl);
        r->failure = HUNT_TARGET;
        return err_set(e, "out of memory");
    }
    struct hunt_live live = {0};
    uint64_t start = mono_now_us();
    for (;;) {
        struct timeval tv = mono_tv(HUNT_TICK_US);
        evtimer_add(tick, &tv);
        event_base_dispatch(base); /* until the tick or a signal */
        afl_jobs_poll(afl, &r->afl);
        if (r->afl.crashes > live.nseen)
            hunt_live_check(&live, s, o, d->afl, hooks);
        hunt_progress(hooks, start, &r->afl, false);
        if (session_signal(s) || !r->afl.running || (o->until_crash && live.matched) ||
            mono_now_us() - start > o->time_us + HUNT_OVERTIME_US)
            break;
    }
    event_free(tick);
    hunt_live_free(&live);
    session_env_close(s);
    afl_jobs_stop(afl, 5000);
    afl_jobs_poll(afl, &r->afl);
    /* afl-fuzz that gave up before its first input (a harness without instrumentation, a seed it
     * rejects) ran nothing: no hunt happened, which "no crash found" would hide */
    bool gave_up = r->afl.exit_status > 0 && !session_signal(s) && r->afl.crashes == 0 && r->afl.execs == 0;
    char why[512] = "";
    if (gave_up && !afl_jobs_abort_reason(afl, why, sizeof why))
        snprintf(why, sizeof why, "no reason given");
    afl_jobs_free(afl);
    hunt_progress(hooks, start, &r->afl, true);
    if (gave_up) {
        r->failure = HUNT_TARGET;
        return err_set(e, "afl-fuzz stopped before it ran an input (status %d): %s; see %s/afl-*.log",
                       r->afl.exit_status, why, d->logs);
    }
    return 0;
}

/* A failure the hunt goes on after: said now, and kept for the exit status. */
static void hunt_failed(const struct hunt_hooks *hooks, struct hunt_result *r, enum hunt_failure why,
                        const char *msg)
{
    r->failure = why;
    hunt_say(hooks->error, hooks->arg, "%s", msg);
}

/* The crash inputs, replayed for their rates, grouped, minimized and written as reproducers. */
static void hunt_triage(struct session *s, const struct hunt_options *o, const struct hunt_dirs *d,
                        const struct hunt_hooks *hooks, struct hunt_result *r)
{
    char **crashes = NULL;
    size_t n = afl_crash_files(d->afl, 200, &crashes);
    struct err e = {{0}};
    const char *spec = target_spec(session_target(s));
    if (n) {
        struct triage_options to = {.trials = o->triage_trials, .minimize = o->minimize};
        if (triage_run(s, crashes, n, &to, hooks->triage, hooks->arg, &r->triage, &e) < 0) {
            err_prefix(&e, "triage: %s", spec);
            hunt_failed(hooks, r, HUNT_TARGET, e.msg);
        }
        if (triage_write(&r->triage, d->crashes, session_profile(s), &e) < 0)
            hunt_failed(hooks, r, HUNT_BAD_INPUT, e.msg);
    }
    for (size_t i = 0; i < n; i++)
        free(crashes[i]);
    free(crashes);
}

/* summary.json and signatures.txt; one that cannot be written is said, and the hunt's result stands. */
static void hunt_write_summary(struct session *s, const struct hunt_options *o, const struct hunt_dirs *d,
                               const struct hunt_hooks *hooks, const struct hunt_result *r)
{
    struct err e = {{0}};
    bool interrupted = session_signal(s) != 0 || r->triage.interrupted;
    if (hunt_summary_write(d->summary, session_profile(s), o, &r->afl, &r->triage, interrupted, &e) < 0)
        hunt_say(hooks->warning, hooks->arg, "%s", e.msg);
    if (hunt_signatures_write(d->signatures, &r->triage, &e) < 0)
        hunt_say(hooks->warning, hooks->arg, "%s", e.msg);
}

int hunt_run(struct session *s, const struct hunt_options *o, const struct hunt_hooks *hooks,
             struct hunt_result *r, struct err *e)
{
    static const struct hunt_hooks quiet = {0};
    if (!hooks)
        hooks = &quiet;
    memset(r, 0, sizeof *r);
    const struct hunt_dirs *d = &r->dirs;
    hunt_dirs_init(&r->dirs, o->out, o->join_name);
    int rc = hunt_dirs_make(d, o->join_name != NULL, &r->failure, e);
    if (rc == 0 && !o->join_name) /* a joined hunt fuzzes from the seeds already there */
        rc = hunt_seeds_prepare(s, o, d->seeds, hooks, &r->failure, e) < 0 ? -1 : 0;
    if (rc == 0 && !session_signal(s)) {
        rc = hunt_fuzz(s, o, d, hooks, r, e);
        if (rc == 0)
            hunt_triage(s, o, d, hooks, r);
    }
    if (rc == 0)
        hunt_write_summary(s, o, d, hooks, r);
    return rc;
}

void hunt_result_clear(struct hunt_result *r)
{
    triage_free(&r->triage);
}

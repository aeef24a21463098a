/* session: the profile, event base, target, trial env and signals for a command (see session.h). */
#include "session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mono.h"
#include "timeline.h"

struct session {
    struct trial_profile prof;
    struct target *target; /* NULL: no trials */
    struct event_base *base;
    struct trial_env *env;
    struct event *sigint, *sigterm;
    int signo;
    bool quick_hangs;
};

void session_defaults(struct trial_profile *p, enum profile_use use)
{
    uint64_t ram = 0, deadline = profile_default_deadline(use), short_deadline = deadline;
    /* a hunt and a sweep run thousands of trials: the small guest of a short trial (a sweep keeps its
     * own deadline: its windows run to completion, which a hunt's trials seldom do) */
    if (use == PROFILE_FOR_HUNT || use == PROFILE_FOR_EXPLORE)
        target_short_trial(p->target[0] ? p->target : PROFILE_DEFAULT_TARGET, &ram, &short_deadline);
    if (use == PROFILE_FOR_HUNT)
        deadline = short_deadline;
    profile_fill(p, ram, deadline);
}

struct session *session_new(const struct trial_profile *p, struct err *e)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (!p)
        return s;
    if (profile_copy(&s->prof, p, e) < 0) {
        free(s);
        return NULL;
    }
    profile_fill(&s->prof, 0, profile_default_deadline(PROFILE_FOR_RUN)); /* what the caller left empty */
    const struct trial_profile *q = &s->prof;
    struct target_options opt = {.ram_bytes = q->ram,
                                 .vmm_args = (const char *const *)q->args,
                                 .nvmm_args = q->nargs,
                                 .fresh = q->fresh,
                                 .dest_vmm = q->dest_vmm};
    if ((s->target = target_new(q->target, &opt, e)))
        return s;
    profile_clear(&s->prof);
    free(s);
    return NULL;
}

void session_free(struct session *s)
{
    if (!s)
        return;
    trial_env_free(s->env);
    if (s->sigint)
        event_free(s->sigint);
    if (s->sigterm)
        event_free(s->sigterm);
    target_free(s->target);
    if (s->base)
        event_base_free(s->base);
    profile_clear(&s->prof);
    free(s);
}

void session_forked(struct session *s)
{
    if (s && s->sigint)
        event_free(s->sigint);
    if (s && s->sigterm)
        event_free(s->sigterm);
    if (s)
        s->sigint = s->sigterm = NULL;
}

const struct trial_profile *session_profile(const struct session *s)
{
    return &s->prof;
}

/* What can be known of `sched` on this target now: the profile's actions left out, what the kind cannot do
 * (and, once the target said, the names it lacks), the trace points it waits for switched on. */
static int session_check(struct session *s, struct schedule *sched, struct err *e)
{
    schedule_without(sched, s->prof.without);
    if (trial_check(sched, s->target, e) < 0)
        return SESSION_REFUSED;
    for (size_t i = 0; i < sched->nlines; i++)
        if (sched->lines[i].trig.kind == TRIG_TRACE &&
            target_want_trace(s->target, sched->lines[i].trig.trace_event, e) < 0) {
            err_prefix(e, "%s:%d:1", sched->name, sched->lines[i].line);
            return SESSION_REFUSED;
        }
    return 0;
}

static void session_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct session *s = arg;
    if (!s->signo)
        s->signo = (int)sig;
    if (s->env)
        trial_env_interrupt(s->env);
    event_base_loopbreak(s->base);
}

int session_learn(struct session *s, struct err *e)
{
    if (!s->target || !s->base)
        return err_set(e, "no target to run trials on");
    return target_learn(s->target, s->base, e);
}

int session_adopt_vocab(struct session *s, json_object *j, struct err *e)
{
    if (!s->target)
        return err_set(e, "no target to run trials on");
    return target_adopt_vocab(s->target, j, e);
}

/* The trial env, made on first use, after the target was asked what it knows. */
static int session_env(struct session *s, struct err *e)
{
    if (s->env)
        return 0;
    if (session_learn(s, e) < 0)
        return -1;
    s->env = trial_env_new(s->base, s->target, e);
    if (!s->env)
        return err_prefix(e, "cannot set up the fault proxy");
    return 0;
}

int session_start(struct session *s, unsigned flags, struct schedule *const *scheds, size_t n, struct err *e)
{
    if (n && !s->target)
        return err_set(e, "no target to run trials on");
    /* what the kind cannot do is said before a QEMU is started to ask it what it knows */
    for (size_t i = 0; i < n; i++)
        if (session_check(s, scheds[i], e) < 0)
            return SESSION_REFUSED;
    s->base = mono_event_base_new();
    if (!s->base)
        return err_set(e, "cannot create an event loop");
    if (flags & SESSION_SIGNALS) {
        s->sigint = evsignal_new(s->base, SIGINT, session_on_signal, s);
        s->sigterm = evsignal_new(s->base, SIGTERM, session_on_signal, s);
        if (!s->sigint || !s->sigterm || evsignal_add(s->sigint, NULL) < 0 || evsignal_add(s->sigterm, NULL) < 0)
            return err_set(e, "cannot catch SIGINT and SIGTERM");
    }
    if (!(flags & SESSION_TRIALS))
        return 0;
    int rc = session_env(s, e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = session_check(s, scheds[i], e);
    return rc;
}

int session_admit(struct session *s, struct schedule *sched, struct err *e)
{
    return session_learn(s, e) < 0 ? -1 : session_check(s, sched, e);
}

int session_trial(struct session *s, struct schedule *sched, struct trial_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    int rc = session_admit(s, sched, e);
    if (rc == 0)
        rc = session_env(s, e);
    if (rc < 0)
        return rc;
    struct trial_options opt = {.deadline_us = s->prof.deadline_us, .props_off = s->prof.props_off,
                                .quick_hangs = s->quick_hangs};
    rc = trial_run(s->env, sched, &opt, r, e);
    if (rc >= 0 || !r->unstarted)
        return rc;
    /* The schedule never started: a QEMU that did not answer its first QMP command within the bound
     * (seen on a loaded machine) is replaced, and the trial has one more go, which its timeline notes.
     * Twice is an error: the target cannot be started. */
    char first[sizeof e->msg];
    snprintf(first, sizeof first, "%s", e->msg);
    trial_result_clear(r);
    rc = trial_run(s->env, sched, &opt, r, e);
    if (rc >= 0 && r->timeline)
        timeline_add(r->timeline, TL_NOTE, "this trial is a second attempt: the first could not start: %s", first);
    else if (rc < 0 && strcmp(first, e->msg) != 0) {
        char second[sizeof e->msg];
        snprintf(second, sizeof second, "%s", e->msg);
        err_set(e, "%s (a second attempt; the first: %s)", second, first);
    } else if (rc < 0) {
        err_prefix(e, "twice");
    }
    return rc;
}

void session_set_quick_hangs(struct session *s, bool quick)
{
    s->quick_hangs = quick;
}

uint64_t session_trial_bound_us(const struct session *s)
{
    return 3 * s->prof.deadline_us + 1000000;
}

void session_env_close(struct session *s)
{
    trial_env_free(s->env);
    s->env = NULL;
}

struct target *session_target(const struct session *s)
{
    return s->target;
}

struct event_base *session_base(const struct session *s)
{
    return s->base;
}

int session_signal(const struct session *s)
{
    return s->signo;
}

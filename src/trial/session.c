/* session: event base, target, trial env and signals for a command (see session.h). */
#include "session.h"

#include <signal.h>
#include <stdlib.h>

#include "mono.h"

struct session {
    struct target *target; /* NULL: no trials */
    struct event_base *base;
    struct trial_env *env;
    struct event *sigint, *sigterm;
    int signo;
};

struct session *session_new(const char *target_spec, const struct target_options *opt, struct err *e)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (target_spec && !(s->target = target_new(target_spec, opt, e))) {
        free(s);
        return NULL;
    }
    return s;
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
    free(s);
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

int session_start(struct session *s, unsigned flags, struct err *e)
{
    s->base = mono_event_base_new();
    if (!s->base)
        return err_set(e, "cannot create an event loop");
    if (flags & SESSION_SIGNALS) {
        s->sigint = evsignal_new(s->base, SIGINT, session_on_signal, s);
        s->sigterm = evsignal_new(s->base, SIGTERM, session_on_signal, s);
        if (!s->sigint || !s->sigterm || evsignal_add(s->sigint, NULL) < 0 || evsignal_add(s->sigterm, NULL) < 0)
            return err_set(e, "cannot catch SIGINT and SIGTERM");
    }
    if ((flags & SESSION_TRIALS) && !session_env(s, e))
        return -1;
    return 0;
}

struct trial_env *session_env(struct session *s, struct err *e)
{
    if (s->env)
        return s->env;
    if (!s->target || !s->base) {
        err_set(e, "no target to run trials on");
        return NULL;
    }
    /* what the target knows, before its first trial: schedules are held against it */
    if (target_learn(s->target, s->base, e) < 0)
        return NULL;
    s->env = trial_env_new(s->base, s->target, e);
    if (!s->env)
        err_prefix(e, "cannot set up the fault proxy");
    return s->env;
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

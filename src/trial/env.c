/* env: what lives across trials (see trial.h): the fault proxy and the sink it forwards to, and the
 * proxy's hooks, which observe a channel's life while a trial runs. */
#include <stdlib.h>

#include "trial_internal.h"

/* ---- proxy hooks ---- */

static void on_chan_opened(void *arg, unsigned index)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_CHAN_OPENED, .chan_index = index});
}

static void on_chan_identified(void *arg, unsigned index, int chan)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_CHAN_IDENTIFIED, .chan_index = index, .chan = chan});
}

static void on_chan_bytes(void *arg, unsigned index, uint64_t channel_total, uint64_t all_total)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_CHAN_BYTES, .chan_index = index,
                                       .chan = proxy_channel_id(t->env->proxy, index),
                                       .chan_bytes = channel_total, .all_bytes = all_total});
}

static void on_chan_ended(void *arg, unsigned index, const char *why)
{
    struct trial *t = trial_current(arg);
    if (t)
        trial_observe(t, &(struct obs){.kind = OBS_CHAN_ENDED, .chan_index = index, .text = why,
                                       .chan_bytes = proxy_channel_bytes(t->env->proxy, index)});
}

/* ---- the environment ---- */

struct trial_env *trial_env_new(struct event_base *base, struct target *target, struct err *e)
{
    struct trial_env *env = calloc(1, sizeof *env);
    if (!env) {
        err_set(e, "out of memory");
        return NULL;
    }
    env->base = base;
    env->target = target;
    env->sink = sink_new(base, e);
    if (!env->sink)
        goto fail;
    struct proxy_hooks ph = {on_chan_opened, on_chan_identified, on_chan_bytes, on_chan_ended, env};
    env->proxy = proxy_new(base, sink_addr(env->sink), &ph, e);
    if (!env->proxy)
        goto fail;
    return env;
fail:
    trial_env_free(env);
    return NULL;
}

void trial_env_free(struct trial_env *env)
{
    if (!env)
        return;
    proxy_free(env->proxy);
    sink_free(env->sink);
    free(env);
}

void trial_env_interrupt(struct trial_env *env)
{
    env->interrupted = true;
    if (env->cur && !env->cur->done) {
        timeline_add(env->cur->tl, TL_NOTE, "interrupted");
        env->cur->done = true;
    }
    event_base_loopbreak(env->base);
}

bool trial_env_interrupted(const struct trial_env *env)
{
    return env->interrupted;
}


/* mutator_afl: schedule_mutate() as an AFL++ custom mutator
 * (AFL_CUSTOM_MUTATOR_LIBRARY), loaded by the afl-fuzz that `qmprace hunt`
 * starts. AFL++ runs it before its own havoc stage, on the same inputs: the
 * structural steps come from here, the byte-level ones still from AFL++. It
 * reads the hunt's actions left out from the harness's trial profile
 * (QMPRACE_HARNESS_PROFILE), so it never adds an action the harness would drop,
 * and the target's vocabulary (QMPRACE_HARNESS_VOCAB, a file the hunt wrote once
 * the target said what it knows), so it keeps to the capabilities, parameters,
 * commands, statuses and trace points the target has: an input with a name the
 * target lacks would be refused without a trial.
 * Never exits and never prints: an input it cannot change is handed back
 * unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "profile.h"
#include "schedule_mutate.h"
#include "schedule_vocab.h"

/* AFL++'s custom mutator interface (docs/custom_mutators.md); afl_state_t is
 * opaque here. */
void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size);
const char *afl_custom_describe(void *data, size_t max_description_len);
unsigned int afl_custom_fuzz_count(void *data, const unsigned char *buf, size_t buf_size);
void afl_custom_deinit(void *data);

/* Draws of one input's mutant before it goes back unchanged. */
#define MUTATOR_TRIES 8

struct mutator {
    struct sched_mutator m;
    struct vocab_target vt; /* unknown (takes every name) when the hunt gave none */
    uint8_t *out;
    int last; /* the last change made, for afl_custom_describe */
};

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    struct mutator *mu = calloc(1, sizeof *mu);
    if (!mu)
        return NULL;
    mu->m.rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
    const char *text = getenv("QMPRACE_HARNESS_PROFILE");
    struct trial_profile p;
    profile_init(&p);
    if (text && *text && profile_parse(&p, text, &(struct err){{0}}) == 0) { /* else the harness refuses it loudly */
        mu->m.without = p.without;
        mu->m.max_bytes = p.ram; /* the hunt prints its guest's size (0, the target's own: no bound) */
    }
    profile_clear(&p);
    const char *vpath = getenv("QMPRACE_HARNESS_VOCAB");
    json_object *vj = vpath && *vpath ? json_object_from_file(vpath) : NULL;
    if (!vj || vocab_target_from_json(&mu->vt, vj, &(struct err){{0}}) < 0)
        memset(&mu->vt, 0, sizeof mu->vt); /* every name taken as known: the harness refuses what is not */
    json_object_put(vj);
    mu->last = -1;
    return mu;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size)
{
    struct mutator *mu = data;
    *out_buf = buf;
    struct schedule *donor = add_buf && add_buf_size ? schedule_decode(add_buf, add_buf_size) : NULL;
    size_t len = buf_size;
    struct schedule *s = NULL;
    /* a mutant that names what the target lacks is drawn again, a bounded number of times; after that
     * the input goes back unchanged (AFL++ runs it again, rather than an input refused unrun) */
    for (int tries = 0; tries < MUTATOR_TRIES && !s; tries++) {
        if (!(s = schedule_decode(buf, buf_size)))
            break;
        /* one to three changes stacked, as havoc stacks its own */
        unsigned n = 1 + (unsigned)(mu->m.rng % 3);
        int last = -1;
        for (unsigned i = 0; i < n; i++) {
            int kind = schedule_mutate(s, donor, &mu->m);
            if (kind < 0)
                break;
            last = kind;
        }
        if (schedule_check_vocab(s, &mu->vt, "the target", SCHEDULE_VOCAB_STATUSES | SCHEDULE_VOCAB_TRACES,
                                 &(struct err){{0}}) < 0) {
            schedule_free(s);
            s = NULL;
            continue;
        }
        mu->last = last;
    }
    if (s) {
        uint8_t *bin = NULL;
        size_t blen = 0;
        struct err e = {{0}};
        if (schedule_encode(s, &bin, &blen, &e) == 0 && blen <= max_size) {
            free(mu->out);
            mu->out = bin;
            *out_buf = bin;
            len = blen;
        } else {
            free(bin);
        }
    }
    schedule_free(donor);
    schedule_free(s);
    return len;
}

/* Inputs tried per queue entry before AFL++ moves on (it still doubles this while the entry yields new
 * paths). A trial on a real QEMU takes tens of milliseconds and its timing makes new paths all the time;
 * AFL++'s own count, hundreds and doubled from there, kept a 10-minute hunt on one entry. Small, so the
 * queue comes round and every seed (the held window among them) gets its turn within minutes. */
#define MUTATOR_PER_ENTRY 16

unsigned int afl_custom_fuzz_count(void *data, const unsigned char *buf, size_t buf_size)
{
    (void)data;
    (void)buf;
    (void)buf_size;
    return MUTATOR_PER_ENTRY;
}

const char *afl_custom_describe(void *data, size_t max_description_len)
{
    struct mutator *mu = data;
    static char buf[32];
    const char *name = mu->last >= 0 ? schedule_mutation_name((enum sched_mutation)mu->last) : "none";
    int n = snprintf(buf, sizeof buf, "sched-%s", name);
    return n > 0 && (size_t)n < sizeof buf && (size_t)n <= max_description_len ? buf : "sched";
}

void afl_custom_deinit(void *data)
{
    struct mutator *mu = data;
    if (mu) {
        free(mu->out);
        vocab_target_free(&mu->vt);
    }
    free(mu);
}

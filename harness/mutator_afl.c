/* mutator_afl: schedule_mutate() as an AFL++ custom mutator
 * (AFL_CUSTOM_MUTATOR_LIBRARY), loaded by the afl-fuzz that `qmprace hunt`
 * starts. AFL++ runs it before its own havoc stage, on the same inputs: the
 * structural steps come from here, the byte-level ones still from AFL++. It
 * reads the hunt's actions left out from the harness's trial profile
 * (QMPRACE_HARNESS_PROFILE), so it never adds an action the harness would drop,
 * and the target's vocabulary (QMPRACE_HARNESS_VOCAB, a file the hunt wrote once
 * the target said what it knows), so it keeps to the capabilities, parameters,
 * commands, statuses and trace points the target has: an input with a name the
 * target lacks would be refused without a trial. Every input whose windows have
 * a shape not seen before (schedule_window_shape) gets every command in each of
 * its windows, once each (schedule_put_command), as AFL++'s deterministic stage
 * flips every bit once: at most every other input it gives, the random steps
 * the rest.
 * Never exits and never prints: an input it cannot change is handed back
 * unchanged. */
#include <stdbool.h>
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
/* Window shapes (schedule_window_shape) noted for the enumeration; past this many, new shapes get only
 * the random steps. */
#define MUTATOR_MAX_SHAPES 1024

/* Walks of each shape's pairs. A window a trial opens one time in three or five (a status the thread
 * leaves before the hold lands, a byte count reached as the migration turns active) is missed by one
 * walk more often than not: three walks, each shape's second only once every shape seen has had its
 * first, so a shape found late still comes before the repeats. */
#define MUTATOR_WALKS 3

/* An input whose window shape was new when the mutator first saw it: its window x command pairs, `next`
 * of `total` the next to give, in walk `walks` (0-based). */
struct pending {
    uint8_t *buf;
    size_t len, next, total;
    unsigned walks;
};

struct mutator {
    struct sched_mutator m;
    struct vocab_target vt; /* unknown (takes every name) when the hunt gave none */
    uint8_t *out;
    int last; /* the last change made, for afl_custom_describe; MUTATOR_ENUMERATED for the enumeration */
    uint64_t shapes[MUTATOR_MAX_SHAPES];
    struct pending pend[MUTATOR_MAX_SHAPES]; /* in the order seen */
    size_t nshapes;
    uint64_t enumerated, drawn; /* inputs given by the enumeration, and by the random steps */
};

#define MUTATOR_ENUMERATED (-2)

/* Notes `buf` for the enumeration when its window shape is new. */
static void mutator_note(struct mutator *mu, const uint8_t *buf, size_t len)
{
    if (!buf || !len || mu->nshapes >= MUTATOR_MAX_SHAPES)
        return;
    struct schedule *s = schedule_decode(buf, len);
    if (!s)
        return;
    uint64_t shape = schedule_window_shape(s);
    bool seen = false;
    for (size_t i = 0; i < mu->nshapes && !seen; i++)
        seen = mu->shapes[i] == shape;
    size_t total = seen ? 0 : schedule_command_pairs(s, &mu->m);
    schedule_free(s);
    uint8_t *copy = total ? malloc(len) : NULL;
    if (!copy)
        return;
    memcpy(copy, buf, len);
    mu->shapes[mu->nshapes] = shape;
    mu->pend[mu->nshapes++] = (struct pending){copy, len, 0, total, 0};
}

/* The shape to walk next: the first of those with the fewest walks done, NULL when all are done. */
static struct pending *mutator_next_shape(struct mutator *mu)
{
    struct pending *best = NULL;
    for (size_t i = 0; i < mu->nshapes; i++) {
        struct pending *p = &mu->pend[i];
        if (p->buf && (!best || p->walks < best->walks))
            best = p;
    }
    return best;
}

/* The next pair of the enumeration that the target can run, encoded into mu->out; false when none is
 * left. */
static bool mutator_enumerate(struct mutator *mu, size_t max_size, size_t *len)
{
    struct pending *p;
    while ((p = mutator_next_shape(mu))) {
        /* at most one pass over its pairs: a shape none of whose pairs the target can run is dropped */
        for (size_t tries = 0; tries < p->total && p->walks < MUTATOR_WALKS; tries++) {
            size_t i = p->next++;
            if (p->next == p->total) /* this walk is done */
                p->next = 0, p->walks++;
            struct schedule *s = schedule_decode(p->buf, p->len);
            if (!s)
                break;
            int rc = schedule_put_command(s, &mu->m, i);
            uint8_t *bin = NULL;
            size_t blen = 0;
            bool ok = rc == 1 &&
                      schedule_check_vocab(s, &mu->vt, "the target", SCHEDULE_VOCAB_STATUSES | SCHEDULE_VOCAB_TRACES,
                                           &(struct err){{0}}) == 0 &&
                      schedule_encode(s, &bin, &blen, &(struct err){{0}}) == 0 && blen <= max_size;
            schedule_free(s);
            if (ok) {
                free(mu->out);
                mu->out = bin;
                *len = blen;
                if (p->walks == MUTATOR_WALKS) { /* its last walk: only the shape is kept */
                    free(p->buf);
                    p->buf = NULL;
                }
                return true;
            }
            free(bin);
        }
        free(p->buf);
        p->buf = NULL;
    }
    return false;
}

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
    /* every splice partner (a queue entry AFL++ drew) is noted, as afl_custom_fuzz_count noted the entry
     * itself, so the enumeration reaches each shape in the queue whichever entries AFL++ chooses to
     * fuzz; it takes at most every other input, the random steps the rest */
    mutator_note(mu, add_buf, add_buf_size);
    size_t elen;
    if (mu->enumerated <= mu->drawn && mutator_enumerate(mu, max_size, &elen)) {
        mu->enumerated++;
        mu->last = MUTATOR_ENUMERATED;
        *out_buf = mu->out;
        return elen;
    }
    mu->drawn++;
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
 * queue comes round and every seed gets its turn within minutes. */
#define MUTATOR_PER_ENTRY 16

unsigned int afl_custom_fuzz_count(void *data, const unsigned char *buf, size_t buf_size)
{
    mutator_note(data, buf, buf_size);
    return MUTATOR_PER_ENTRY;
}

const char *afl_custom_describe(void *data, size_t max_description_len)
{
    struct mutator *mu = data;
    static char buf[32];
    const char *name = mu->last == MUTATOR_ENUMERATED ? "enumerated"
                       : mu->last >= 0                ? schedule_mutation_name((enum sched_mutation)mu->last)
                                                      : "none";
    int n = snprintf(buf, sizeof buf, "sched-%s", name);
    return n > 0 && (size_t)n < sizeof buf && (size_t)n <= max_description_len ? buf : "sched";
}

void afl_custom_deinit(void *data)
{
    struct mutator *mu = data;
    if (mu) {
        for (size_t i = 0; i < mu->nshapes; i++)
            free(mu->pend[i].buf);
        free(mu->out);
        vocab_target_free(&mu->vt);
    }
    free(mu);
}

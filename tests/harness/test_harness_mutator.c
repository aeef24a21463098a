/* AFL++'s mutator as afl-fuzz loads it (dlopen of qmprace-mutator.so), given the target's vocabulary the
 * way a hunt gives it (QMPRACE_HARNESS_VOCAB): of hundreds of mutants of a seed, none names a capability,
 * status or trace point the target lacks, so none would be refused unrun; without the vocabulary the same
 * mutator draws such names (the check can fail). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "schedule_vocab.h"

typedef void *(*init_fn)(void *afl, unsigned int seed);
typedef size_t (*fuzz_fn)(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                          size_t add_buf_size, size_t max_size);
typedef void (*deinit_fn)(void *data);

#define MUTANTS 600

#ifdef QMPRACE_MUTATOR

/* How many of MUTANTS mutants of `seed` name what `vt` lacks. */
static int strays(void *mod, const struct schedule *seed, const struct vocab_target *vt)
{
    init_fn init = (init_fn)dlsym(mod, "afl_custom_init");
    fuzz_fn fuzz = (fuzz_fn)dlsym(mod, "afl_custom_fuzz");
    deinit_fn deinit = (deinit_fn)dlsym(mod, "afl_custom_deinit");
    CHECK(init && fuzz && deinit);
    if (!init || !fuzz || !deinit)
        return -1;
    uint8_t *bin = NULL;
    size_t blen = 0;
    struct err e = {{0}};
    CHECK(schedule_encode(seed, &bin, &blen, &e) == 0);
    void *mu = init(NULL, 7);
    int n = 0;
    for (int i = 0; i < MUTANTS && mu; i++) {
        uint8_t *out = NULL;
        uint8_t *in = malloc(blen);
        memcpy(in, bin, blen);
        size_t len = fuzz(mu, in, blen, &out, bin, blen, 1 << 16);
        struct schedule *m = schedule_decode(out, len);
        CHECK(m != NULL);
        if (m && schedule_check_vocab(m, vt, "t", SCHEDULE_VOCAB_STATUSES | SCHEDULE_VOCAB_TRACES, &e) < 0)
            n++;
        schedule_free(m);
        free(in);
    }
    deinit(mu);
    free(bin);
    return n;
}

typedef unsigned int (*count_fn)(void *data, const unsigned char *buf, size_t buf_size);

static uint8_t *encoded(const char *text, size_t *len)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), "seed", &e);
    uint8_t *bin = NULL;
    CHECK_MSG(s && schedule_encode(s, &bin, len, &e) == 0, "%s", e.msg);
    schedule_free(s);
    return bin;
}

typedef const char *(*describe_fn)(void *data, size_t max_description_len);

/* The inputs `mu` gives for entry `buf` (splice partner `add`) in `n` calls: the enumerated ones as text
 * into enumerated[] (up to `max`), their count returned; the others counted in *drawn. */
static unsigned fuzz_entry(void *mod, void *mu, const uint8_t *buf, size_t len, const uint8_t *add, size_t add_len,
                           unsigned n, char **enumerated, unsigned max, unsigned *drawn)
{
    fuzz_fn fuzz = (fuzz_fn)dlsym(mod, "afl_custom_fuzz");
    describe_fn describe = (describe_fn)dlsym(mod, "afl_custom_describe");
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *in = malloc(len), *out = NULL;
        memcpy(in, buf, len);
        size_t olen = fuzz(mu, in, len, &out, (uint8_t *)add, add_len, 1 << 16);
        if (strcmp(describe(mu, 64), "sched-enumerated") == 0) {
            struct schedule *s = schedule_decode(out, olen);
            char *text = s ? schedule_print(s) : NULL;
            if (k < max)
                enumerated[k] = text;
            else
                free(text);
            k++;
            schedule_free(s);
        } else {
            (*drawn)++;
        }
        free(in);
    }
    return k;
}

/* What AFL++ sees of the enumeration: for an input of a window shape not seen before, each command of
 * the vocabulary in each of its windows (stop and cont in both), at most every other input; a shape
 * seen only as a splice partner is enumerated too (AFL++ may never choose to fuzz that entry), before
 * any shape's second walk; the same windows at other times are not a new shape; three walks a shape. */
static void enumeration(void *mod)
{
    init_fn init = (init_fn)dlsym(mod, "afl_custom_init");
    count_fn count = (count_fn)dlsym(mod, "afl_custom_fuzz_count");
    deinit_fn deinit = (deinit_fn)dlsym(mod, "afl_custom_deinit");
    CHECK(init && count && deinit && dlsym(mod, "afl_custom_describe"));
    if (!init || !count || !deinit || !dlsym(mod, "afl_custom_describe"))
        return;
    unsetenv("QMPRACE_HARNESS_VOCAB");
    unsetenv("QMPRACE_HARNESS_PROFILE");
    size_t len = 0, len2 = 0, len3 = 0;
    uint8_t *seed = encoded("caps events=on\nmigrate\nafter 1MiB on any: stall all; reset all\non failed: query\n", &len);
    uint8_t *later = encoded("caps events=on\nmigrate\nafter 4MiB on any: stall all; reset all\non failed +2ms: cancel\n",
                             &len2);
    uint8_t *other = encoded("caps events=on\nmigrate\nafter 1MiB on any: stall all; reset all\non cancelled: query\n",
                             &len3);
    void *mu = init(NULL, 3);
    enum { PAIRS = 2 * 13 }; /* caps, params, cancel, query and 9 qmp commands, in two windows */
    if (seed && later && other && mu) {
        CHECK_INT((int)count(mu, seed, len), 16);
        char *texts[PAIRS] = {0};
        unsigned drawn = 0;
        /* splice partner: `later`, the seed's shape at other times: nothing more to enumerate */
        unsigned k = fuzz_entry(mod, mu, seed, len, later, len2, 2 * PAIRS, texts, PAIRS, &drawn);
        CHECK_MSG(k == PAIRS && drawn == PAIRS, "the enumeration took %u of %u inputs, not every other", k, k + drawn);
        unsigned stops = 0, conts = 0, distinct = 0;
        for (unsigned i = 0; i < PAIRS && i < k; i++) {
            stops += texts[i] && strstr(texts[i], "\"stop\"") != NULL;
            conts += texts[i] && strstr(texts[i], "\"cont\"") != NULL;
            bool dup = !texts[i];
            for (unsigned j = 0; j < i && !dup; j++)
                dup = texts[j] && strcmp(texts[j], texts[i]) == 0;
            distinct += !dup;
            free(texts[i]);
            texts[i] = NULL;
        }
        CHECK_MSG(stops == 2 && conts == 2, "stop %u, cont %u times in the enumeration of two windows", stops, conts);
        CHECK_MSG(distinct >= PAIRS - 2, "only %u distinct inputs of %u", distinct, PAIRS); /* caps/params drawn */
        /* a new shape, seen only as the splice partner of an entry already walked once: its first walk
         * comes before the seed's second */
        drawn = 0;
        k = fuzz_entry(mod, mu, later, len2, other, len3, 2 * PAIRS, texts, PAIRS, &drawn);
        unsigned of_other = 0;
        for (unsigned i = 0; i < PAIRS && i < k; i++) {
            of_other += texts[i] && strstr(texts[i], "on cancelled") != NULL;
            free(texts[i]);
        }
        CHECK_MSG(k == PAIRS && of_other == PAIRS, "%u of %u enumerated inputs were the new shape's", of_other, k);
        /* then each shape's second and third walks, and no more */
        drawn = 0;
        k = fuzz_entry(mod, mu, seed, len, later, len2, 8 * PAIRS, NULL, 0, &drawn);
        CHECK_MSG(k == 2 * 2 * PAIRS, "%u inputs enumerated after the first walks, not %u", k, 2 * 2 * PAIRS);
    }
    if (mu)
        deinit(mu);
    free(seed);
    free(later);
    free(other);
}
#endif

int main(void)
{
#ifndef QMPRACE_MUTATOR
    check_skip("no qmprace-mutator in this build (an AFL++ or sanitizer build)");
    return check_exit();
#else
    void *mod = dlopen(QMPRACE_MUTATOR, RTLD_NOW | RTLD_LOCAL);
    CHECK_MSG(mod != NULL, "%s", dlerror());
    if (!mod)
        return check_exit();
    const char *text = "caps events=on multifd=on\nmigrate\nafter 1MiB on any: stall all; reset all\n"
                       "on failed: query\n";
    struct err e = {{0}};
    struct schedule *seed = schedule_parse(text, strlen(text), "seed", &e);
    CHECK_MSG(seed != NULL, "%s", e.msg);

    /* a narrow target: three capabilities, no `failing`, one trace point */
    struct vocab_target vt = {.known = true, .traces_known = true, .commands = NULL};
    snprintf(vt.version, sizeof vt.version, "0.1");
    vt.statuses = (1ull << MIG_SETUP) | (1ull << MIG_ACTIVE) | (1ull << MIG_FAILED) | (1ull << MIG_COMPLETED) |
                  (1ull << MIG_CANCELLING) | (1ull << MIG_CANCELLED);
    vt.caps = (1ull << CAP_EVENTS) | (1ull << CAP_MULTIFD) | (1ull << CAP_RETURN_PATH);
    vt.params = (1ull << PARAM_COUNT) - 1;
    vt.traces = 1ull << TRACE_MIGRATE_SET_STATE;
    static const char *const cmds[] = {"migrate", "migrate-set-capabilities", "migrate-set-parameters",
                                       "migrate_cancel", "query-migrate", "query-status"};
    vt.commands = (char **)cmds;
    vt.ncommands = 6;

    char dir[256], path[300];
    if (seed && check_mkdtemp(dir, sizeof dir)) {
        snprintf(path, sizeof path, "%s/target-vocab.json", dir);
        json_object *j = vocab_target_to_json(&vt);
        CHECK(json_object_to_file(path, j) == 0);
        json_object_put(j);

        unsetenv("QMPRACE_HARNESS_VOCAB");
        int without = strays(mod, seed, &vt);
        setenv("QMPRACE_HARNESS_VOCAB", path, 1);
        int with = strays(mod, seed, &vt);
        CHECK_MSG(without > MUTANTS / 20, "without the vocabulary only %d of %d mutants stray", without, MUTANTS);
        CHECK_MSG(with == 0, "with the vocabulary %d of %d mutants name what the target lacks", with, MUTANTS);
        unlink(path);
        rmdir(dir);
    }
    schedule_free(seed);
    enumeration(mod);
    dlclose(mod);
    return check_exit();
#endif
}

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
    dlclose(mod);
    return check_exit();
#endif
}

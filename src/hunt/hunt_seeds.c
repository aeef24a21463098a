/* hunt_seeds: the seeds a hunt starts from, encoded, without those that already crash (see hunt.h). */
#include "hunt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "hunt_say.h"
#include "triage.h"

#define HUNT_MAX_SEEDS 256

static int hunt_seeds_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The text schedules in DIR, sorted, so seeds are encoded and named the same way on every run. */
static size_t hunt_seeds_list(const char *dir, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    char **v = calloc(HUNT_MAX_SEEDS, sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d)) && n < HUNT_MAX_SEEDS) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".sched") == 0 &&
            asprintf(&v[n], "%s/%s", dir, de->d_name) > 0)
            n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, hunt_seeds_cmp);
    *out = v;
    return n;
}

static int hunt_seeds_write(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* SEED_DIR/NAME.bin for the seed DIR/NAME.sched. */
static void hunt_seeds_bin_path(const char *seed_dir, const char *file, char *out, size_t n)
{
    const char *slash = strrchr(file, '/');
    const char *name = slash ? slash + 1 : file;
    snprintf(out, n, "%s/%.*s.bin", seed_dir, (int)(strlen(name) - 6), name);
}

/* Whether `file` says, in its leading comments, that it is a known case and not a seed: a schedule that
 * carries a reaction a hunt is meant to find by itself (libvirt's capability reset, its near misses) would
 * hand the fuzzer the answer, whether or not it crashes the target on its first trial. */
static bool hunt_seed_known_case(const char *file)
{
    char line[512];
    int no, col;
    return schedule_header(file, HUNT_NOT_A_SEED, line, sizeof line, &no, &col, NULL) == 1;
}

/* One seed, parsed: encoded to `bin_path` unless the target refuses it or it already finds something.
 * 1 kept, 0 left out (or interrupted), -1 failed (*why, e). */
static int hunt_seeds_keep(struct session *s, struct schedule *sched, const char *label, const char *bin_path,
                           const struct hunt_hooks *hooks, enum hunt_failure *why, struct err *e)
{
    uint8_t *bin = NULL;
    size_t len = 0;
    int arc = session_admit(s, sched, e);
    if (arc == SESSION_REFUSED || (arc == 0 && schedule_encode(sched, &bin, &len, e) < 0)) {
        hunt_say(hooks->warning, hooks->arg, "seed left out: %s", e->msg);
        return 0;
    }
    struct trial_result r = {0};
    int kept = 0, trc = arc < 0 ? arc : session_trial(s, sched, &r, e);
    if (trc < 0) {
        *why = HUNT_TARGET;
        err_prefix(e, "%s", target_spec(session_target(s)));
        kept = -1;
    } else if (trc == 0 && verdict_is_finding(r.verdict, r.signature)) {
        /* a known finding is not a starting point: "crashed", "hung" or "violated" on its first trial */
        hunt_say(hooks->warning, hooks->arg, "seed left out: %s already %s on the target (%s)", label,
                 verdict_past(r.verdict), r.signature);
    } else if (trc == 0) {
        kept = hunt_seeds_write(bin_path, bin, len) == 0;
        /* kept (it migrates; a mutant may do what it could not), but not as if it had: a window this
         * target never opened is said */
        if (kept && !trial_result_exercised(&r) && r.nmisses)
            hunt_say(hooks->warning, hooks->arg, "%s: kept as a seed, but its first trial did not run as written: %s",
                     label, r.misses[0].what);
    }
    trial_result_clear(&r);
    free(bin);
    return kept;
}

/* One seed file: 1 kept, 0 left out (or interrupted), -1 failed (*why, e). */
static int hunt_seeds_one(struct session *s, const char *file, const char *seed_dir, const struct hunt_hooks *hooks,
                          enum hunt_failure *why, struct err *e)
{
    struct schedule *sched = schedule_load(file, e);
    if (!sched) {
        *why = HUNT_BAD_SCHEDULE;
        return -1;
    }
    char path[8400];
    hunt_seeds_bin_path(seed_dir, file, path, sizeof path);
    int kept = hunt_seeds_keep(s, sched, file, path, hooks, why, e);
    schedule_free(sched);
    return kept;
}

/* A plain migration, and every window the target can open (explore_plan.c: from its statuses and
 * capabilities) with a harmless command inside: where a hunt starts when no seeds are given. None carries
 * a reaction that changes anything: which command lands in which window is for the fuzzer to find. */
#define HUNT_PLAIN_SEED "caps events=on\nmigrate\n"
#define HUNT_SEED_COMMAND "query"

static int hunt_seeds_generate(struct session *s, const char *seed_dir, const struct hunt_hooks *hooks,
                               enum hunt_failure *why, struct err *e)
{
    struct explore_windows w;
    if (explore_windows_plan(target_vocab(session_target(s)), session_profile(s)->dest_vmm, &w) < 0)
        return err_set(e, "out of memory");
    int kept = 0;
    for (size_t i = 0; i <= w.n && kept >= 0 && !session_signal(s); i++) {
        char name[96], slug[64], path[4400];
        size_t len = 0;
        char *text = explore_window_text(i < w.n ? w.w[i].text : HUNT_PLAIN_SEED, HUNT_SEED_COMMAND, &len);
        if (!text) {
            kept = err_set(e, "out of memory");
            break;
        }
        triage_slug(i < w.n ? w.w[i].name : "plain migration", slug, sizeof slug);
        snprintf(name, sizeof name, "generated seed [%s]", i < w.n ? w.w[i].name : "plain migration");
        snprintf(path, sizeof path, "%s/%s.bin", seed_dir, slug);
        struct schedule *sched = schedule_parse(text, len, name, e);
        free(text);
        if (!sched) { /* a window of ours that does not parse is qmprace's bug: said, and left out */
            hunt_say(hooks->warning, hooks->arg, "seed left out: %s", e->msg);
            continue;
        }
        int one = hunt_seeds_keep(s, sched, name, path, hooks, why, e);
        schedule_free(sched);
        kept = one < 0 ? -1 : kept + one;
    }
    explore_windows_free(&w);
    return kept;
}

int hunt_seeds_prepare(struct session *s, const struct hunt_options *o, const char *seed_dir,
                       const struct hunt_hooks *hooks, enum hunt_failure *why, struct err *e)
{
    static const struct hunt_hooks quiet = {0};
    if (!hooks)
        hooks = &quiet;
    if (!o->seeds) {
        /* the target is asked what it knows (statuses, capabilities) before its windows are built */
        int kept = session_learn(s, e) < 0 ? -1 : hunt_seeds_generate(s, seed_dir, hooks, why, e);
        if (kept < 0 && *why == HUNT_OK)
            *why = HUNT_TARGET;
        session_env_close(s);
        if (kept == 0 && !session_signal(s)) {
            *why = HUNT_BAD_INPUT;
            return err_set(e, "no usable generated seed: each was left out (see above)");
        }
        return kept;
    }
    char **files;
    size_t n = hunt_seeds_list(o->seeds, &files);
    int kept = 0;
    if (!n) {
        *why = HUNT_BAD_INPUT;
        kept = err_set(e, "no *.sched seeds in '%s' (see --seeds)", o->seeds);
    }
    char known[1024] = "";
    unsigned nknown = 0;
    for (size_t i = 0; kept >= 0 && i < n && !session_signal(s); i++) {
        if (hunt_seed_known_case(files[i])) {
            const char *base = strrchr(files[i], '/');
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s", nknown++ ? ", " : "", base ? base + 1 : files[i]);
            continue;
        }
        int one = hunt_seeds_one(s, files[i], seed_dir, hooks, why, e);
        if (one < 0) {
            kept = -1;
            break;
        }
        kept += one;
    }
    if (nknown)
        hunt_say(hooks->warning, hooks->arg, "%u known case%s left out of the seeds (marked \"%s\"): %s", nknown,
                 nknown == 1 ? "" : "s", HUNT_NOT_A_SEED, known);
    /* the seeds' trials are over: the trials after afl-fuzz get a fresh env, even after a signal */
    session_env_close(s);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    if (kept == 0 && !session_signal(s)) {
        *why = HUNT_BAD_INPUT;
        return err_set(e, "no usable seed in '%s': each was left out (see above)", o->seeds);
    }
    return kept;
}

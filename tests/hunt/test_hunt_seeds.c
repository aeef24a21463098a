/* The seeds a hunt starts from, on sim:qemu-7.2 and without AFL++: a seed that already crashes the target is
 * left out and said to be (a known crash is no starting point), one that survives is encoded into the seed
 * directory exactly as the harness will run it, one that cannot be encoded is left out with the reason, a
 * known case (marked "# hunt: not a seed") is left out even though it survives, an
 * unparsable seed stops the hunt with the schedule error at FILE:LINE:COL, and a directory with no seed or
 * no usable seed is refused. */
#include <signal.h>
#include <sys/stat.h>

#include "check.h"
#include "hunt.h"
#include "hunt_files.h"

/* libvirt's reaction with the window held open (the live_migration thread is held 256 ms after the reset),
 * so the change always lands before the cleanup, even on a loaded machine: it crashes every time. */
static const char crash_text[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                 "after 8MiB on any: reset all; freeze live_migration 256ms\n"
                                 "on failed +1ms: caps multifd=off\n";
/* The same migration and reset without the reaction: QEMU survives it. */
static const char survive_text[] = "# the control\ncaps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                                   "after 8MiB on any: reset all\n";
/* `#7`: the binary form carries only #1 to #4. */
static const char unencodable_text[] = "caps events=on multifd=on\nmigrate\non failed #7: query\n";

/* What the hunt said: warnings in `text`, and how many of anything else. */
struct notes {
    char text[4096];
    unsigned warnings, others;
};

static void on_warning(void *arg, const char *text)
{
    struct notes *n = arg;
    n->warnings++;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof n->text - used, "%s\n", text);
}

static void on_other(void *arg, const char *text)
{
    (void)text;
    ((struct notes *)arg)->others++;
}

/* A session on the simulated QEMU 7.2 as a hunt runs it (a small guest), with `params` left out. */
static struct session *sim_session(void)
{
    struct err e = {{0}};
    struct trial_profile p;
    profile_init(&p);
    CHECK(profile_set(&p, "without", "params", &e) == 0 && profile_set(&p, "deadline", "5s", &e) == 0);
    session_defaults(&p, PROFILE_FOR_HUNT);
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    CHECK_MSG(s != NULL, "%s", e.msg);
    if (s && session_start(s, 0, NULL, 0, &e) < 0) {
        CHECK_MSG(false, "session_start: %s", e.msg);
        session_free(s);
        return NULL;
    }
    return s;
}

/* hunt_seeds_prepare from `seeds` (NULL: generated) into `out`, what the hunt says kept in `n`. */
static int prepare_noted(struct session *s, const char *seeds, const char *out, struct notes *n,
                         enum hunt_failure *why, struct err *e)
{
    struct hunt_options o = {.seeds = seeds};
    struct hunt_hooks hooks = {.warning = on_warning, .error = on_other, .crash = on_other, .triage = on_other,
                               .arg = n};
    return hunt_seeds_prepare(s, &o, out, &hooks, why, e);
}

/* TMP/NAME-in (the seeds) and TMP/NAME-seeds (where they go), made. */
static void make_dirs(const char *tmp, const char *name, char *seeds, char *out, size_t n)
{
    snprintf(seeds, n, "%s/%s-in", tmp, name);
    snprintf(out, n, "%s/%s-seeds", tmp, name);
    CHECK(mkdir(seeds, 0755) == 0 && mkdir(out, 0755) == 0);
}

/* A crashing, a surviving and an unencodable seed: only the surviving one is kept, as the harness would
 * decode it (with `without` left out), and the other two are said, by name and reason. */
static void test_kept_and_left_out(struct session *s, const char *tmp)
{
    char seeds[4200], out[4200], control[4200], crash[4200];
    make_dirs(tmp, "mixed", seeds, out, sizeof seeds);
    CHECK(hunt_files_write(seeds, "control.sched", survive_text, control, sizeof control) == 0);
    CHECK(hunt_files_write(seeds, "crash.sched", crash_text, crash, sizeof crash) == 0);
    CHECK(hunt_files_write(seeds, "far.sched", unencodable_text, NULL, 0) == 0);
    CHECK(hunt_files_write(seeds, "README", "not a seed\n", NULL, 0) == 0);
    char known_text[512];
    snprintf(known_text, sizeof known_text, "# a known case\n" HUNT_NOT_A_SEED " (it has the reaction)\n%s",
             survive_text);
    CHECK(hunt_files_write(seeds, "known.sched", known_text, NULL, 0) == 0);

    struct notes n = {{0}, 0, 0};
    enum hunt_failure why = HUNT_OK;
    struct err e = {{0}};
    int kept = prepare_noted(s, seeds, out, &n, &why, &e);
    CHECK_MSG(kept == 1, "kept %d: %s; notes:\n%s", kept, e.msg, n.text);
    CHECK_INT(why, HUNT_OK);
    CHECK_INT(check_dir_entries(out), 1);

    /* the crashing seed is named, with the crash it already causes */
    char want[4400];
    snprintf(want, sizeof want, "seed left out: %s already crashed on the target (SIGABRT yank_unregister_instance",
             crash);
    CHECK_MSG(strstr(n.text, want) != NULL, "notes:\n%s", n.text);
    CHECK_MSG(strstr(n.text, "far.sched:3:1: cannot be encoded: '#7': only #1 to #4 fit") != NULL, "notes:\n%s",
              n.text);
    CHECK_MSG(strstr(n.text, "1 known case left out of the seeds (marked \"" HUNT_NOT_A_SEED "\"): known.sched"),
              "notes:\n%s", n.text);
    CHECK_INT(n.warnings, 3);
    CHECK_INT(n.others, 0);

    /* the kept seed is the surviving one, encoded as the harness will decode it: without `params` */
    char bin_path[4400];
    snprintf(bin_path, sizeof bin_path, "%s/control.bin", out);
    FILE *f = fopen(bin_path, "rb");
    CHECK_MSG(f != NULL, "no %s", bin_path);
    uint8_t buf[4096];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    struct schedule *got = schedule_decode(buf, len);
    struct schedule *want_s = schedule_load(control, &e);
    CHECK(got && want_s);
    if (got && want_s) {
        schedule_without(want_s, session_profile(s)->without);
        CHECK_INT(want_s->nlines, 3);
        CHECK_MSG(schedule_equal(got, want_s), "decoded:\n%s", schedule_print(got));
    }
    schedule_free(got);
    schedule_free(want_s);
}

/* The seeds in SEEDS are refused as `why`, with an error that starts with `want`, and none is kept. */
static void check_refused(struct session *s, const char *seeds, const char *out, enum hunt_failure why,
                          const char *want)
{
    struct hunt_options o = {.seeds = seeds};
    enum hunt_failure got = HUNT_OK;
    struct err e = {{0}};
    CHECK_INT(hunt_seeds_prepare(s, &o, out, NULL, &got, &e), -1);
    CHECK_INT(got, why);
    CHECK_MSG(strncmp(e.msg, want, strlen(want)) == 0, "got '%s', expected '%s'", e.msg, want);
    CHECK_INT(check_dir_entries(out), 0);
}

/* A seed with a mistake stops the hunt before anything is fuzzed, at the place of the mistake. */
static void test_unparsable(struct session *s, const char *tmp)
{
    char seeds[4200], out[4200], bad[4200], want[4400];
    make_dirs(tmp, "bad", seeds, out, sizeof seeds);
    CHECK(hunt_files_write(seeds, "typo.sched", "caps events=on\ncpas multifd=on\nmigrate\n", bad, sizeof bad) == 0);
    snprintf(want, sizeof want, "%s:2:1: unknown action 'cpas'", bad);
    check_refused(s, seeds, out, HUNT_BAD_SCHEDULE, want);
}

/* No seed at all, and seeds that all crash: nothing to fuzz from, said as a bad input. */
static void test_nothing_to_start_from(struct session *s, const char *tmp)
{
    char seeds[4200], out[4200], want[4400];
    make_dirs(tmp, "empty", seeds, out, sizeof seeds);
    snprintf(want, sizeof want, "no *.sched seeds in '%s' (see --seeds)", seeds);
    check_refused(s, seeds, out, HUNT_BAD_INPUT, want);
    CHECK(hunt_files_write(seeds, "crash.sched", crash_text, NULL, 0) == 0);
    snprintf(want, sizeof want, "no usable seed in '%s': each was left out (see above)", seeds);
    check_refused(s, seeds, out, HUNT_BAD_INPUT, want);
}

/* No --seeds: the seeds are generated from the target's windows, a query inside each, and a plain
 * migration; none crashes by itself, none carries a command that changes anything in a window. */
static void test_generated(struct session *s, const char *tmp)
{
    char out[4200];
    snprintf(out, sizeof out, "%s/generated-seeds", tmp);
    CHECK(mkdir(out, 0755) == 0);
    struct notes n = {{0}, 0, 0};
    enum hunt_failure why = HUNT_OK;
    struct err e = {{0}};
    int kept = prepare_noted(s, NULL, out, &n, &why, &e);
    CHECK_MSG(kept >= 8, "kept %d: %s; notes:\n%s", kept, e.msg, n.text);
    CHECK_INT(why, HUNT_OK);
    CHECK_INT(check_dir_entries(out), kept);
    static const char *const names[] = {"plain-migration", "failed-reset-all", "cancelled", "completed"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.bin", out, names[i]);
        FILE *f = fopen(path, "rb");
        CHECK_MSG(f != NULL, "no generated seed %s", path);
        uint8_t buf[4096];
        size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f)
            fclose(f);
        struct schedule *got = schedule_decode(buf, len);
        CHECK(got != NULL);
        /* what lands in a window is a query: no capability or parameter is changed after `migrate` */
        bool migrated = false;
        for (size_t l = 0; got && l < got->nlines; l++)
            for (size_t a = 0; a < got->lines[l].nacts; a++) {
                enum sched_action_kind k = got->lines[l].acts[a].kind;
                CHECK_MSG(!(migrated && (k == ACT_CAPS || k == ACT_PARAMS)), "%s changes a setting in its window:\n%s",
                          names[i], schedule_print(got));
                migrated |= k == ACT_MIGRATE;
            }
        schedule_free(got);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char tmp[512];
    struct session *s = sim_session();
    if (!check_mkdtemp(tmp, sizeof tmp) || !s)
        return check_exit();
    test_kept_and_left_out(s, tmp);
    test_unparsable(s, tmp);
    test_nothing_to_start_from(s, tmp);
    test_generated(s, tmp);
    session_free(s);
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

/* What a hunt leaves for scripts (fuzz/ci-job, CI, a person with grep): signatures.txt, one
 * "SIGNATURE<TAB>CRASHES/TRIALS<TAB>REPRODUCER<TAB>PHASE" line per crash with the crashes of exactly that
 * signature counted, and summary.json with the hunt's settings, AFL++'s counts, the crashes and whether
 * it was interrupted; a file that cannot be written is an error that names it. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hunt.h"
#include "hunt_files.h"

#define YANK "SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed"
#define MUTEX "SIGABRT qemu_mutex_lock_impl: Assertion `mutex->initialized' failed"

/* A case of `crashes` crashes with its signature (and `other` with another one) in `trials` replays. */
static void add_case(struct triage *t, const char *sig, const char *phase, unsigned crashes, unsigned other,
                     unsigned trials, const char *file)
{
    struct triage_case *c = &t->cases[t->n++];
    memset(c, 0, sizeof *c);
    c->signature = strdup(sig);
    c->phase = phase;
    c->source = strdup("out/afl/default/crashes/id:000000,sig:06");
    c->inputs = 2;
    c->file = file ? strdup(file) : NULL;
    repeat_init(&c->rate);
    for (unsigned i = 0; i < trials; i++)
        verdict_stats_add(&c->rate.stats, i < crashes + other ? VERDICT_CRASH : VERDICT_PASS,
                          i < crashes ? sig : i < crashes + other ? MUTEX : NULL, 1000);
}

static void test_signatures(const char *tmp, const struct triage *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/signatures.txt", tmp);
    struct err e = {{0}};
    CHECK_INT(hunt_signatures_write(path, t, &e), 0);
    char *text = hunt_files_read(path);
    CHECK_STR(text, YANK "\t18/20\tout/crashes/sigabrt-yank-after-failed.sched\tfailed\n"
                    "SIGSEGV\t5/20\t\tcancelling\n");
    free(text);

    snprintf(path, sizeof path, "%s/no-such-dir/signatures.txt", tmp);
    CHECK_INT(hunt_signatures_write(path, t, &e), -1);
    char want[4400];
    snprintf(want, sizeof want, "cannot write %s", path);
    CHECK_STR(e.msg, want);
}

static const char *str_field(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static long long int_field(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : -1;
}

static void test_summary(const char *tmp, const struct triage *t)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", tmp);
    struct hunt_options o = {.jobs = 2};
    struct trial_profile prof;
    profile_init(&prof);
    CHECK_INT(profile_set(&prof, "without", "params", &(struct err){{0}}), 0);
    session_defaults(&prof, PROFILE_FOR_HUNT);
    struct afl_progress p = {.execs = 123456, .paths = 42, .crashes = 7};
    struct err e = {{0}};
    CHECK_INT(hunt_summary_write(path, &prof, &o, &p, t, true, &e), 0);
    json_object *sum = json_object_from_file(path);
    CHECK(sum != NULL);
    if (!sum)
        return;
    CHECK_STR(str_field(sum, "target"), "sim:qemu-7.2");
    CHECK_INT(int_field(sum, "jobs"), 2);
    CHECK_STR(str_field(sum, "without"), "params");
    CHECK_INT(int_field(sum, "execs"), 123456);
    CHECK_INT(int_field(sum, "paths"), 42);
    CHECK_INT(int_field(sum, "afl_crashes"), 7);
    CHECK_INT(int_field(sum, "unreproduced"), 3);
    CHECK_STR(str_field(sum, "interrupted"), "true");
    json_object *crashes;
    CHECK(json_object_object_get_ex(sum, "crashes", &crashes) && json_object_array_length(crashes) == 2);
    json_object *c0 = json_object_array_get_idx(crashes, 0), *c1 = json_object_array_get_idx(crashes, 1);
    CHECK_STR(str_field(c0, "signature"), YANK);
    CHECK_STR(str_field(c0, "phase"), "failed");
    CHECK_INT(int_field(c0, "crashes"), 18);
    CHECK_INT(int_field(c0, "trials"), 20);
    CHECK_STR(str_field(c0, "reproducer"), "out/crashes/sigabrt-yank-after-failed.sched");
    CHECK_STR(str_field(c1, "signature"), "SIGSEGV");
    CHECK_INT(int_field(c1, "crashes"), 5);
    json_object *repro;
    CHECK(json_object_object_get_ex(c1, "reproducer", &repro) && repro == NULL); /* not written */
    json_object_put(sum);

    /* a hunt that ran to its end without AFL++ counts, as a joined hunt with nothing found writes it */
    struct triage none = {0};
    struct hunt_options plain = {.jobs = 1};
    struct trial_profile failing;
    profile_init(&failing);
    CHECK_INT(profile_set(&failing, "target", "sim:failing", &e), 0);
    struct afl_progress zero = {0};
    CHECK_INT(hunt_summary_write(path, &failing, &plain, &zero, &none, false, &e), 0);
    sum = json_object_from_file(path);
    CHECK(sum != NULL);
    CHECK_STR(str_field(sum, "without"), "");
    CHECK_STR(str_field(sum, "interrupted"), "false");
    CHECK(json_object_object_get_ex(sum, "crashes", &crashes) && json_object_array_length(crashes) == 0);
    json_object_put(sum);

    snprintf(path, sizeof path, "%s/no-such-dir/summary.json", tmp);
    CHECK_INT(hunt_summary_write(path, &prof, &o, &p, t, false, &e), -1);
    char want[4400];
    snprintf(want, sizeof want, "cannot write %s", path);
    CHECK_STR(e.msg, want);
    profile_clear(&prof);
    profile_clear(&failing);
}

int main(void)
{
    char tmp[512];
    if (!check_mkdtemp(tmp, sizeof tmp))
        return check_exit();
    struct triage t = {0};
    t.cases = calloc(2, sizeof *t.cases);
    t.unreproduced = 3;
    /* 18 of 20 replays crashed with the yank assertion and one with another assertion: 18/20, not 19/20 */
    add_case(&t, YANK, "failed", 18, 1, 20, "out/crashes/sigabrt-yank-after-failed.sched");
    add_case(&t, "SIGSEGV", "cancelling", 5, 0, 20, NULL);
    test_signatures(tmp, &t);
    test_summary(tmp, &t);
    triage_free(&t);
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

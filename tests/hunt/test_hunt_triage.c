/* Triage on sim:qemu-7.2, without AFL++, of inputs as AFL++ saves them (binary schedules): a hang of the
 * target is a finding grouped as a crash is, by its signature (the threads it waits in), minimized and
 * written as a reproducer that says it hung; a hang the schedule made itself (a stall held while the
 * migration runs) is no finding; a crash beside them is its own group; signatures.txt lists each group. */
#include <signal.h>
#include <sys/stat.h>

#include "check.h"
#include "hunt.h"
#include "hunt_files.h"
#include "triage.h"

/* migrate_cancel while the multifd channels are stuck writing to a destination that stopped reading: the
 * model's live_migration sleeps through it (docs/findings/cancel-hang-multifd.md). Two inputs, one with a
 * line that changes nothing, so minimization has something to drop. */
static const char hang_a[] = "caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all; wait 128ms; cancel\n";
static const char hang_b[] = "caps events=on multifd=on\nmigrate\nafter 1MiB on any: query\n"
                             "after 4MiB on any: stall all; wait 128ms; cancel\n";
/* The same stall without the cancel: the migration waits for its peer, as it may. */
static const char held[] = "caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all\n";
/* libvirt's reaction with the window held open: the yank assertion every time. */
static const char crash[] = "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
                            "after 8MiB on any: reset all; freeze live_migration 256ms\n"
                            "on failed +1ms: caps multifd=off\n";

#define HANG_SIG                                                                                                     \
    "hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)"

/* DIR/NAME: `text` encoded as AFL++ would have saved it. */
static void write_input(const char *dir, const char *name, const char *text, char *path, size_t n)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), name, &e);
    uint8_t *bin = NULL;
    size_t len = 0;
    CHECK_MSG(s && schedule_encode(s, &bin, &len, &e) == 0, "%s: %s", name, e.msg);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(bin, 1, len, f) == len);
    if (f)
        fclose(f);
    free(bin);
    schedule_free(s);
}

/* Triage's progress, on stderr (what the test saw when it fails); `arg` counts the inputs said to be no
 * finding. */
static void say(void *arg, const char *message)
{
    fprintf(stderr, "triage: %s\n", message);
    *(unsigned *)arg += strstr(message, ": no finding (crash, violation or hang of the target) in 3 replays") != NULL;
}

static const struct triage_case *find(const struct triage *t, const char *sig)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->cases[i].signature, sig) == 0)
            return &t->cases[i];
    return NULL;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char tmp[512];
    if (!check_mkdtemp(tmp, sizeof tmp))
        return check_exit();
    struct err e = {{0}};
    struct trial_profile p;
    profile_init(&p);
    CHECK(profile_set(&p, "target", "sim:qemu-7.2", &e) == 0 && profile_set(&p, "deadline", "400ms", &e) == 0);
    session_defaults(&p, PROFILE_FOR_HUNT);
    struct session *s = session_new(&p, &e);
    CHECK_MSG(s && session_start(s, 0, NULL, 0, &e) == 0, "%s", e.msg);

    char files[4][4200];
    /* named as AFL++ names its crash inputs: the time each was saved, in ms into the session */
    write_input(tmp, "id:000000,sig:06,src:000002,time:5120,execs:41,op:havoc,rep:2", hang_a, files[0], sizeof files[0]);
    write_input(tmp, "id:000001,sig:06,src:000000,time:2310,execs:17,op:splice", hang_b, files[1], sizeof files[1]);
    write_input(tmp, "id:000002", held, files[2], sizeof files[2]);
    write_input(tmp, "id:000003", crash, files[3], sizeof files[3]);
    char *list[4] = {files[0], files[1], files[2], files[3]};
    struct triage t;
    struct triage_options o = {.trials = 3, .minimize = true, .min = {.trials = 2, .max_candidates = 6}};
    unsigned none = 0;
    CHECK_MSG(s && triage_run(s, list, 4, &o, say, &none, &t, &e) == 0, "%s", e.msg);
    CHECK_INT(none, 1);

    /* two groups: the hang (both inputs) and the crash; the held stall is not a finding */
    CHECK_INT(t.inputs, 4);
    CHECK_INT(t.unreproduced, 1);
    CHECK_INT(t.n, 2);
    const struct triage_case *h = find(&t, HANG_SIG);
    CHECK_MSG(h != NULL, "no case '%s' among %zu", HANG_SIG, t.n);
    if (h) {
        CHECK_INT(h->inputs, 2);
        CHECK_MSG(h->first_found_s > 2.309 && h->first_found_s < 2.311, "first found at %.3f s", h->first_found_s);
        CHECK_STR(h->phase, "cancelling");
        CHECK_INT(repeat_signature_count(&h->rate, HANG_SIG), 3);
        char *text = schedule_print(h->sched);
        CHECK_MSG(text && !strstr(text, "query"), "the hang's reproducer kept the query:\n%s", text);
        free(text);
    }
    const struct triage_case *y = find(&t, "SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed");
    CHECK(y != NULL);
    CHECK(!y || y->first_found_s < 0); /* its input's name carries no time */
    CHECK(triage_input_time("a/b/id:000003,time:0,execs:1") == 0);
    CHECK(triage_input_time("a/time:77/id:000003") < 0);
    CHECK(triage_input_time("id:000003,time:12x") < 0);

    /* written as a hunt writes them: a reproducer that says it hung, and a line in signatures.txt */
    char dir[4300], sigs[4300];
    snprintf(dir, sizeof dir, "%s/crashes", tmp);
    snprintf(sigs, sizeof sigs, "%s/signatures.txt", tmp);
    CHECK_MSG(triage_write(&t, dir, session_profile(s), &e) == 0, "%s", e.msg);
    CHECK_MSG(hunt_signatures_write(sigs, &t, &e) == 0, "%s", e.msg);
    char *repro = h && h->file ? hunt_files_read(h->file) : NULL;
    CHECK_MSG(repro && strstr(repro, "# signature: " HANG_SIG "\n") && strstr(repro, "# hung 3/3 on sim:qemu-7.2") &&
                  strstr(repro, "# the migration was cancelling when it hung\n"),
              "reproducer:\n%s", repro ? repro : "(none)");
    /* the hang's window is the target's own timing and says so; the crash's is held by its freeze */
    CHECK_MSG(repro && strstr(repro, "\n# it freezes no thread: "), "reproducer:\n%s", repro ? repro : "(none)");
    free(repro);
    repro = y && y->file ? hunt_files_read(y->file) : NULL;
    CHECK_MSG(repro && strstr(repro, "freeze live_migration") && !strstr(repro, "# it freezes no thread"),
              "reproducer:\n%s", repro ? repro : "(none)");
    free(repro);
    char *list_text = hunt_files_read(sigs);
    CHECK_MSG(list_text && strstr(list_text, HANG_SIG "\t3/3\t") && strstr(list_text, "\tcancelling\n"),
              "signatures.txt:\n%s", list_text ? list_text : "(none)");
    free(list_text);

    triage_free(&t);
    session_free(s);
    profile_clear(&p);
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

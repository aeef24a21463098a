/* harness_trial: the AFL++ harness for timing schedules. Each input is a binary schedule, decoded (every
 * byte string is a schedule) and run as one trial on the same path `qmprace run` uses, against the target
 * and under the trial profile in QMPRACE_HARNESS_PROFILE (default: a hunt's on sim:qemu-7.2, the simulated
 * VMM in this process; `qemu` runs a real QEMU, kept alive across inputs where safe). What happened inside the target becomes coverage
 * (feedback.c); a crash of the target becomes abort() of the harness, which AFL++ records.
 *
 * The profile comes through the environment, because afl-fuzz passes the harness no per-run arguments of
 * ours: QMPRACE_HARNESS_PROFILE is profile_print's JSON ({"target":"qemu","ram":"64MiB","deadline":"500ms",
 * "without":"params"}); fields it leaves out take a hunt's defaults for the target (profile.h).
 * With a plain compiler it replays files and prints each verdict on stderr.
 *
 * It keeps a tally of its inputs (tally.h) in the file TALLY_ENV names: how many ran a migration, how many
 * ran none, how many were refused, written at most once a second and before a finding ends the process
 * (AFL++ forks a new one, which goes on from the file). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afl_main.h"
#include "feedback.h"
#include "mono.h"
#include "profile.h"
#include "schedule.h"
#include "session.h"
#include "tally.h"

struct harness {
    struct session *session; /* no signals: AFL++ stops the harness by signals of its own */
    bool timing; /* the target repeats timings exactly: feedback may use them */
    const char *tally_path; /* NULL: no tally kept */
    struct tally tally;
    uint64_t tally_written_us;
    bool started; /* this process started its session (start) */
};

static struct harness h;

/* What every harness process of this instance shares, made once before AFL++'s fork server starts
 * (afl_main_run): the profile, the session and the vocabulary the hunt learned. A QEMU target probes its
 * binary here (two short runs, about 110 ms on 7.2): AFL++ starts a new harness after each finding, and
 * each would probe again. Nothing here opens a socket or starts a process that outlives it: those are the
 * forked process's own (start). */
static void prepare(void)
{
    struct err e = {{0}};
    struct trial_profile p;
    profile_init(&p);
    const char *text = getenv("QMPRACE_HARNESS_PROFILE");
    if (text && *text && profile_parse(&p, text, &e) < 0) {
        fprintf(stderr, "qmprace-harness: QMPRACE_HARNESS_PROFILE: %s\n", e.msg);
        exit(2);
    }
    session_defaults(&p, PROFILE_FOR_HUNT);
    h.session = session_new(&p, &e);
    profile_clear(&p); /* the session keeps its own copy */
    if (!h.session) {
        fprintf(stderr, "qmprace-harness: %s\n", e.msg);
        exit(2);
    }
    /* The hunt learned the target before it started AFL++: take what it learned (QMPRACE_HARNESS_VOCAB)
     * rather than ask QEMU for its 200 KB schema again in every harness process (about 90 ms of a start
     * on 7.2). Without it, the session asks. */
    const char *vpath = getenv("QMPRACE_HARNESS_VOCAB");
    json_object *vj = vpath && *vpath ? json_object_from_file(vpath) : NULL;
    if (vj)
        (void)session_adopt_vocab(h.session, vj, &(struct err){{0}});
    json_object_put(vj);
}

/* Started once per process, on its first input (after AFL++'s fork server forked it). */
static void start(void)
{
    struct err e = {{0}};
    if (session_start(h.session, SESSION_TRIALS, NULL, 0, &e) < 0) {
        fprintf(stderr, "qmprace-harness: %s\n", e.msg);
        exit(3);
    }
    /* a hang that is no finding is only counted here: the stacks that would name it are not read */
    session_set_quick_hangs(h.session, true);
    /* a QEMU replaced after such a hang (it did not settle) costs a swap, not a start and a slow first
     * migration: the next one is started and warmed up while trials run */
    target_keep_spare(session_target(h.session), true);
    h.timing = target_caps(session_target(h.session)).deterministic;
    h.tally_path = getenv(TALLY_ENV);
    if (h.tally_path && !*h.tally_path)
        h.tally_path = NULL;
    if (h.tally_path) /* an earlier process of this instance ended at a finding: go on from its count */
        tally_read(h.tally_path, &h.tally);
    h.started = true;
}

/* The tally to its file, once a second, and always before the process ends at a finding. */
static void tally_flush(bool now)
{
    uint64_t t = mono_now_us();
    if (!h.tally_path || (!now && t - h.tally_written_us < 1000000))
        return;
    h.tally_written_us = t;
    (void)tally_write(h.tally_path, &h.tally, &(struct err){{0}}); /* a lost count is not worth a stop */
}

static void emit(void *arg, unsigned key, unsigned count)
{
    unsigned char *present = arg;
    if (key < FEEDBACK_KEYS)
        present[key] = 1;
#ifndef __AFL_COMPILER
    /* replay mode: QMPRACE_HARNESS_FEATURES=1 lists the features, to see what AFL++ would see */
    if (getenv("QMPRACE_HARNESS_FEATURES"))
        fprintf(stderr, "feature %u x%u %s\n", key, count, feedback_key_family(key));
#else
    (void)count;
#endif
}

/* Replay mode says one line per input (a verdict, or why it did not run), so that a list of replays
 * lines up with the files given; under AFL++ nothing is printed. */
static void say(const char *what, const char *detail)
{
#ifndef __AFL_COMPILER
    fprintf(stderr, "qmprace-harness: %s%s%s\n", what, detail && *detail ? ": " : "", detail ? detail : "");
#else
    (void)what;
    (void)detail;
#endif
}

static int one(const uint8_t *buf, size_t len)
{
    uint64_t t0 = mono_now_us();
    if (!h.started) {
        start();
        uint64_t t1 = mono_now_us();
        tally_start(&h.tally, t1 - t0);
        t0 = t1;
    }
    struct schedule *s = schedule_decode(buf, len);
    if (!s) {
        say("not run", "not a schedule");
        return 0;
    }
    struct err e = {{0}};
    int found = 0;
    struct trial_result r;
    int rc = session_trial(h.session, s, &r, &e);
    if (rc == -1) {
        fprintf(stderr, "qmprace-harness: the target could not be started: %s\n", e.msg);
        exit(3);
    }
    tally_add(&h.tally, rc, &r, mono_now_us() - t0);
    if (rc == 0) {
        static unsigned char present[FEEDBACK_KEYS];
        memset(present, 0, sizeof present);
        feedback_features(&r, h.timing, emit, present);
        feedback_map_put(present);
        found = verdict_is_finding(r.verdict, r.signature); /* a crash, a property that did not hold, a hang */
        say(verdict_name(r.verdict), r.signature);
    } else {
        say("not run", e.msg); /* refused (a name this target lacks), or interrupted */
    }
    trial_result_clear(&r);
    schedule_free(s);
    tally_flush(found);
    return found;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    prepare();
    return afl_main_run(argc, argv, "qmprace-harness", one);
}

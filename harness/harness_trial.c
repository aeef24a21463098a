/* harness_trial: the AFL++ harness for timing schedules. Each input is a binary schedule, decoded (every
 * byte string is a schedule) and run as one trial on the same path `qmprace run` uses, against the target
 * named by QMPRACE_HARNESS_TARGET (default sim:qemu-7.2: the simulated VMM in this process; `qemu` runs a
 * real QEMU, kept alive across inputs where safe). What happened inside the target becomes coverage
 * (feedback.c); a crash of the target becomes abort() of the harness, which AFL++ records.
 *
 * Settings (environment, because afl-fuzz passes the harness no per-run arguments of ours):
 *   QMPRACE_HARNESS_TARGET    target spec (sim:MODEL, qemu[:PATH], qmp:...)   default sim:qemu-7.2
 *   QMPRACE_HARNESS_DEADLINE  trial deadline (a hang is a feature, not a crash) default 200ms
 *   QMPRACE_HARNESS_RAM       guest RAM                                       default 32MiB
 *   QMPRACE_HARNESS_WITHOUT   actions left out of every schedule (e.g. params) default none
 * With a plain compiler it replays files and prints each verdict on stderr. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afl_main.h"
#include "feedback.h"
#include "schedule.h"
#include "session.h"
#include "units.h"

struct harness {
    unsigned without;
    struct session *session; /* no signals: AFL++ stops the harness by signals of its own */
    struct trial_env *env;
    struct trial_options opt;
    bool timing; /* the target repeats timings exactly: feedback may use them */
};

static struct harness h;

static const char *setting(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Set up once, on the first input (after AFL++'s fork server has forked us). */
static void setup(void)
{
    struct err e = {{0}};
    uint64_t ram = 0, deadline = 0;
    const char *ram_s = setting("QMPRACE_HARNESS_RAM", "32MiB"); /* 0: the target's own default */
    const char *dl_s = setting("QMPRACE_HARNESS_DEADLINE", "200ms");
    if (units_parse_size(ram_s, strlen(ram_s), &ram, &e) < 0 ||
        units_parse_duration(dl_s, strlen(dl_s), &deadline, &e) < 0 || !deadline) {
        fprintf(stderr, "qmprace-harness: bad setting: %s\n", e.msg[0] ? e.msg : "deadline must be > 0");
        exit(2);
    }
    struct target_options topt = {.ram_bytes = ram};
    h.session = session_new(setting("QMPRACE_HARNESS_TARGET", "sim:qemu-7.2"), &topt, &e);
    if (!h.session) {
        fprintf(stderr, "qmprace-harness: %s\n", e.msg);
        exit(2);
    }
    if (session_start(h.session, SESSION_TRIALS, &e) < 0) {
        fprintf(stderr, "qmprace-harness: %s\n", e.msg);
        exit(3);
    }
    h.env = session_env(h.session, &e);
    h.timing = target_caps(session_target(h.session)).deterministic;
    h.opt.deadline_us = deadline;
    if (schedule_action_mask_parse(setting("QMPRACE_HARNESS_WITHOUT", ""), &h.without, &e) < 0) {
        fprintf(stderr, "qmprace-harness: QMPRACE_HARNESS_WITHOUT: %s\n", e.msg);
        exit(2);
    }
}

static void emit(void *arg, unsigned key, unsigned count)
{
    (void)arg;
    feedback_map_hit(key, count);
#ifndef __AFL_COMPILER
    /* replay mode: QMPRACE_HARNESS_FEATURES=1 lists the features, to see what AFL++ would see */
    if (getenv("QMPRACE_HARNESS_FEATURES"))
        fprintf(stderr, "feature %u x%u\n", key, count);
#endif
}

static int one(const uint8_t *buf, size_t len)
{
    if (!h.env)
        setup();
    struct schedule *s = schedule_decode(buf, len);
    if (!s)
        return 0;
    schedule_without(s, h.without);
    struct err e = {{0}};
    int found = 0;
    if (trial_check(s, session_target(h.session), &e) == 0) {
        struct trial_result r;
        int rc = trial_run(h.env, s, &h.opt, &r, &e);
        if (rc < 0) {
            fprintf(stderr, "qmprace-harness: the target could not be started: %s\n", e.msg);
            exit(3);
        }
        if (rc == 0) {
            feedback_features(&r, h.timing, emit, NULL);
            found = r.verdict == VERDICT_CRASH;
#ifndef __AFL_COMPILER
            fprintf(stderr, "qmprace-harness: %s%s%s\n", verdict_name(r.verdict), r.signature[0] ? ": " : "",
                    r.signature);
#endif
        }
        trial_result_clear(&r);
    }
    schedule_free(s);
    return found;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return afl_main_run(argc, argv, "qmprace-harness", one);
}

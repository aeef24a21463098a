/* verdict: what a trial's outcome means and how outcomes add up. A crash gets a normalized signature
 * ("SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed"): the signal plus
 * QEMU's fatal message without program name, build path or line number, so the same bug gives the same
 * signature on the simulated VMM, on Debian's QEMU and on a developer's build. Rates come with 95% Wilson
 * score intervals, which stay honest at 0/N and N/N where a plain +-2 sigma does not. */
#ifndef QMPRACE_VERDICT_H
#define QMPRACE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum verdict {
    VERDICT_PASS,      /* the target survived and settled */
    VERDICT_CRASH,     /* the target died */
    VERDICT_HANG,      /* a deadline passed first */
    VERDICT_VIOLATION, /* the target settled, but a property does not hold (props.h) */
};
const char *verdict_name(enum verdict v);
/* What a hunt looks for, triage groups and minimization keeps: a crash, a violation, or a hang of the
 * target (`signature`: the hang's reason). Crash and violation signatures share one list: a violation's
 * starts with VERDICT_VIOLATION_PREFIX. */
bool verdict_is_finding(enum verdict v, const char *signature);
#define VERDICT_VIOLATION_PREFIX "violation: "
/* A hang's reason when the deadline came while a schedule line still waited (for a trigger, or a `wait`
 * longer than the deadline): the schedule, not the target, is what did not end, so no finding. A hang with
 * a command unanswered or a migration that did not settle after the schedule ended is one. */
#define VERDICT_HANG_SCHEDULE "schedule still running"
/* ... and when what did not end waits on what the schedule still holds: a thread it froze, or a channel
 * it stalls while the migration runs (a migration may wait for a peer that stopped reading; a cancel, a
 * failure's cleanup or a QMP command may not): "held by the schedule: main stalled; did not settle: ..." */
#define VERDICT_HANG_HELD "held by the schedule"
/* ... when the migration waits, as QEMU means it to, for a command the schedule never sent: `pre-switchover`
 * for migrate-continue (pause-before-switchover), `postcopy-paused` for a recovery:
 * "waits for a command: migrate-continue; did not settle: migration pre-switchover" */
#define VERDICT_HANG_COMMAND "waits for a command"
/* ... and when the migration goes to qmprace's sink (no destination VMM), which never answers, and every
 * thread the others wait for waits to read from it (the return path, a completion waiting for the
 * destination's reply): "waits for the sink: it never answers; did not settle: ..." */
#define VERDICT_HANG_SINK "waits for the sink"
/* ... and when the migration still runs and its bytes still flowed just before the deadline (a rate
 * limit, a guest that dirties faster than the link): slow, not stuck; a longer --deadline would see it end.
 * "still migrating: its bytes still flowed at the deadline; did not settle: migration active" */
#define VERDICT_HANG_SLOW "still migrating"
/* A hang's reason, alone or after the blocked threads ("<stacks> (<reason>)"), is a finding unless it is
 * one of those five. */
bool verdict_hang_is_finding(const char *reason);
/* Whether a hang's reason (alone, or in the parentheses that close such a signature) starts with `what`,
 * one of the VERDICT_HANG_* above. */
bool verdict_hang_reason_is(const char *reason, const char *what);
/* A hang's signature among findings (triage, minimization, reports): its reason after this. */
#define VERDICT_HANG_PREFIX "hang: "
/* Which finding a finding's signature names, by its prefix: VERDICT_VIOLATION, VERDICT_HANG or VERDICT_CRASH. */
enum verdict verdict_of_signature(const char *signature);
/* "crashed", "hung", "violated" (a property), "passed": what a trial did, for a reproducer's header. */
const char *verdict_past(enum verdict v);

/* Fills `out` with the crash signature for a death by `signo` (0: unknown, e.g. only the QMP connection
 * was seen dying) whose fatal message was `message` (may be NULL). */
void verdict_signature(int signo, const char *message, char *out, size_t n);
/* QEMU's fatal message without "prog: " and "path/file.c:LINE: " prefixes and the final period. */
void verdict_normalize_message(const char *message, char *out, size_t n);
/* "SIGABRT", "SIGSEGV", "signal 42". */
const char *verdict_signal_name(int signo, char *buf, size_t n);

/* 95% Wilson score interval for k successes in n trials (n = 0 gives [0, 1]). */
void verdict_wilson(unsigned k, unsigned n, double *lo, double *hi);

struct verdict_count {
    char *key;
    unsigned count;
};

/* Outcomes of many trials of one schedule. */
struct verdict_stats {
    unsigned trials, crashes, hangs, violations;
    struct verdict_count *sigs; /* crash and violation signatures, most frequent first after verdict_stats_sort */
    size_t nsigs;
    struct verdict_count *hang_reasons;
    size_t nhang;
    /* trials that did not run as written (a trial_miss not expected), and every miss by its text;
     * `never_fired`: lines that never fired on purpose (a status this target never reports) */
    unsigned unexercised;
    struct verdict_count *misses, *never_fired;
    size_t nmisses, nnever;
    uint64_t *durations_us;
    size_t ndur, capdur;
};

void verdict_stats_init(struct verdict_stats *s);
void verdict_stats_free(struct verdict_stats *s);
/* `what` is the crash or violation signature or the hang reason (ignored for a pass). */
void verdict_stats_add(struct verdict_stats *s, enum verdict v, const char *what, uint64_t duration_us);
/* One miss of the trial just added (see struct trial_miss); call verdict_stats_unexercised once for a trial
 * that had any that was not expected. */
void verdict_stats_add_miss(struct verdict_stats *s, const char *what, bool expected);
void verdict_stats_unexercised(struct verdict_stats *s);
void verdict_stats_sort(struct verdict_stats *s);
uint64_t verdict_stats_median_us(const struct verdict_stats *s);

#endif

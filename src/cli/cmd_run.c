/* cmd_run: `qmprace run SCHEDULE... [options]`: run each schedule N times against one target, print
 * crash rates with intervals and signatures (and a timeline), optionally JSON. Exit status: 0 no crash,
 * 1 a crash, 2 bad input, 3 the target could not be started, 4 no crash but trials that did not run as
 * written, 5 no crash but trials that hung, 130/143 interrupted (partial results are still printed and
 * written). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_compare.h"
#include "cmd_json.h"
#include "cmd_opts.h"
#include "cmd_progress.h"
#include "html_report.h"
#include "vocab_target.h"
#include "mono.h"
#include "repeat.h"
#include "report.h"
#include "schedule.h"
#include "target.h"
#include "cmd_session.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: qmprace run SCHEDULE... [options]\n"
               "Run each schedule against a target, N times, and report how often the target crashed.\n"
               "\n"
               "Options:\n"
               "  -n, --repeat N          trials per schedule (default 1, at most 1000000)\n"
               "      --json FILE|-       write one JSON object per schedule to FILE (- for stdout;\n"
               "                          the text report then goes to stderr)\n"
               "      --report FILE.html  write a self-contained page for a bug report: the target, the\n"
               "                          profile, the rates, each schedule and its trial as a sequence diagram\n"
               "      --timeline          show the timeline of the first crashing trial\n"
               "                          (else the first hang, else the first trial)\n"
               "      --compare SPEC      run the same schedules on a second target (the build with a patch)\n"
               "                          and class each: closed (a finding on --target, none on SPEC), left\n"
               "                          open (on both), new (on SPEC only: a finding, or a command refused\n"
               "                          that --target accepted), same; exit 1 when SPEC has a finding\n"
               "                          (left open or new); --json then writes one object per schedule\n"
               "                          with its class and both runs\n"
               "  -q, --quiet             no progress line\n"
               "  -h, --help              this text\n"
               "The trial profile:\n");
    cmd_profile_usage(f, PROFILE_FOR_RUN);
    fprintf(f,
            "\n"
            "A reproducer written by qmprace carries the conditions it was measured under in a header line\n"
            "`" PROFILE_HEADER "{...}` (target, RAM, deadline, actions left out, ...): run uses them, so\n"
            "it replays at the stated rate; an option given here overrides its field.\n"
            "\n"
            "%s"
            "\n"
            "Exit status: 0 no crash or hang, and every trial ran as written; 1 a crash, or a property that\n"
            "did not hold (a violation); 2 bad input or usage;\n"
            "3 the target could not be started; 4 no crash or hang, but some trials did not run as written (a\n"
            "hold that held nothing, a fault that hit no channel, a name the target refused, a line that never\n"
            "fired: the report says which); 5 no crash, but some trials hung (passed --deadline; the report says\n"
            "what each hang waited for and which lines it never ran); 130/143 interrupted by SIGINT/SIGTERM.\n",
            target_help());
}

struct sched_run {
    struct schedule *sched;
    struct repeat rep; /* its trials, and the one whose timeline is shown */
    unsigned refused;  /* trials in which the target refused a command */
};

/* The progress line, on a terminal only. */
struct progress {
    const char *name;
    struct cmd_progress when;
};

static void progress(void *arg, unsigned done, unsigned total, const struct verdict_stats *s)
{
    struct progress *p = arg;
    bool final = done == total;
    if (!cmd_progress_due(&p->when, mono_now_us(), final))
        return;
    fprintf(stderr, "\r%s: trial %u/%u, %u crashed, %u hung%s", p->name, done, total, s->crashes, s->hangs,
            final ? "\n" : "");
}

static struct report run_report(const struct sched_run *sr, const struct trial_profile *prof)
{
    struct report r = {sr->sched->name, prof->target, (struct verdict_stats *)&sr->rep.stats,
                       sr->rep.shown.timeline, sr->rep.shown_trial, verdict_name(sr->rep.shown.verdict),
                       sr->rep.interrupted, prof};
    return r;
}

static int write_json(const char *path, struct sched_run *runs, size_t n, const struct trial_profile *prof,
                      bool timeline)
{
    json_object *lines = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].rep.stats.trials)
            continue;
        struct report rep = run_report(&runs[i], prof);
        json_object_array_add(lines, report_json(&rep, timeline));
    }
    int rc = cmd_json_lines("run", path, lines, JSON_C_TO_STRING_PLAIN);
    json_object_put(lines);
    return rc;
}

/* The arguments of `qmprace run`. */
struct run_args {
    const char *json_path, *report_path;
    const char *compare; /* --compare SPEC */
    uint64_t repeat;
    bool timeline, quiet;
    struct trial_profile cli;  /* what the options say */
    struct trial_profile prof; /* what the trials run under: the schedules' header, then cli, then defaults */
    char **files;              /* the schedules */
    size_t nfiles;
};

/* Parses the options into `a`. Returns -1 to go on, else the exit status (after --help or saying why). */
static int cmd_run_parse(int argc, char **argv, struct run_args *a)
{
    static const struct option longopts[] = {
        CMD_PROFILE_OPTIONS,
        {"repeat", required_argument, NULL, 'n'}, {"json", required_argument, NULL, 'j'},
        {"timeline", no_argument, NULL, 'T'},     {"report", required_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"compare", required_argument, NULL, 'C'}, {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:qh", longopts, NULL)) != -1) {
        int po = cmd_profile_option("run", c, optarg, &a->cli);
        if (po < 0)
            return EXIT_USAGE;
        if (po > 0)
            continue;
        switch (c) {
        case 'n':
            if (!cmd_opt_count("run", "--repeat", optarg, 1, 1000000, &a->repeat))
                return EXIT_USAGE;
            break;
        case 'j':
            a->json_path = optarg;
            break;
        case 'R':
            a->report_path = optarg;
            break;
        case 'T':
            a->timeline = true;
            break;
        case 'C':
            a->compare = optarg;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            return cmd_usage_error("run", "bad option");
        }
    }
    if (optind >= argc)
        return cmd_usage_error("run", "no schedule given");
    if (a->compare && a->report_path)
        return cmd_usage_error("run", "--report does not show a comparison: write each build's page with its own "
                                      "run, or use explore --compare --report");
    if (a->compare) { /* a target spec that cannot be is said before A's trials, not after */
        struct err e = {{0}};
        struct target *t = target_new(a->compare, &(struct target_options){0}, &e);
        if (!t)
            return cmd_usage_error("run", "--compare: %s", e.msg);
        target_free(t);
    }
    a->files = argv + optind;
    a->nfiles = (size_t)(argc - optind);
    return -1;
}

/* Loads every schedule. Returns -1 to go on, else the exit status. */
static int cmd_run_load(const struct run_args *a, struct sched_run *runs)
{
    struct err e = {{0}};
    for (size_t i = 0; i < a->nfiles; i++) {
        runs[i].sched = schedule_load(a->files[i], &e);
        if (!runs[i].sched) {
            fprintf(stderr, "%s\n", e.msg);
            return EXIT_USAGE;
        }
        repeat_init(&runs[i].rep);
    }
    return -1;
}

/* The session under the profile the trials run under (cmd_profile_resolve), with every schedule admitted
 * before the first trial runs: what is wrong with one is said before anything runs. Returns -1 to go on
 * (with *sp set), else the exit status. */
static int cmd_run_open(struct run_args *a, struct sched_run *runs, struct session **sp)
{
    int rc = cmd_profile_resolve("run", a->files, a->nfiles, &a->cli, PROFILE_FOR_RUN, &a->prof);
    if (rc >= 0)
        return rc;
    struct schedule **scheds = calloc(a->nfiles, sizeof *scheds);
    if (!scheds)
        return EXIT_USAGE;
    for (size_t i = 0; i < a->nfiles; i++)
        scheds[i] = runs[i].sched;
    rc = cmd_session_open("run", &a->prof, SESSION_SIGNALS | SESSION_TRIALS, scheds, a->nfiles, sp);
    free(scheds);
    return rc;
}

/* Counts a trial in which the target refused a command. */
static void count_refused(void *arg, const struct trial_result *t)
{
    struct sched_run *sr = arg;
    for (size_t i = 0; i < timeline_count(t->timeline); i++) {
        const struct tl_entry *en = timeline_get(t->timeline, i);
        if (en->kind == TL_QMP_IN && en->arg == TL_REFUSED) {
            sr->refused++;
            return;
        }
    }
}

/* Runs each schedule's trials until done or interrupted. Returns EXIT_OK, or EXIT_TARGET when the target
 * failed (said on stderr). */
static int cmd_run_trials(const struct run_args *a, struct session *s, struct sched_run *runs)
{
    struct err e = {{0}};
    bool show_progress = !a->quiet && a->repeat > 1 && isatty(STDERR_FILENO);
    for (size_t i = 0; i < a->nfiles && !session_signal(s); i++) {
        struct sched_run *sr = &runs[i];
        struct progress pr = {.name = sr->sched->name};
        cmd_progress_init(&pr.when);
        int rc = 0;
        for (unsigned k = 0; k < a->repeat && rc == 0 && !sr->rep.interrupted; k++) {
            rc = repeat_run_each(s, sr->sched, 1, &sr->rep, count_refused, sr, &e);
            if (rc == 0 && show_progress)
                progress(&pr, k + 1, (unsigned)a->repeat, &sr->rep.stats);
        }
        if (rc < 0) {
            if (show_progress)
                fputc('\n', stderr);
            fprintf(stderr, "qmprace run: %s: trial %u: %s\n", target_spec(session_target(s)),
                    sr->rep.stats.trials + 1, e.msg);
            return EXIT_TARGET;
        }
        if (sr->rep.interrupted)
            break;
    }
    return EXIT_OK;
}

/* --report: the page, with each schedule that ran. */
static int cmd_run_html(const struct run_args *a, const struct session *s, const struct sched_run *runs)
{
    const struct trial_profile *prof = session_profile(s);
    struct report *items = calloc(a->nfiles, sizeof *items);
    if (!items)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < a->nfiles; i++)
        if (runs[i].rep.stats.trials)
            items[n++] = run_report(&runs[i], prof);
    struct html_target t = {prof->target, target_vocab(session_target(s))->version, QMPRACE_VERSION};
    struct err e = {{0}};
    int rc = html_report_run(a->report_path, &t, prof, items, n, &e);
    if (rc < 0)
        fprintf(stderr, "qmprace run: --report: %s\n", e.msg);
    free(items);
    return rc;
}

/* The exit status so far, raised by one schedule's trials: a crash or a property violated (1) over a hang
 * (5) over trials not run as written (4) over none (0); a usage or target error stays. */
static int cmd_run_status(int rc, const struct verdict_stats *st)
{
    static const int rank[] = {[EXIT_OK] = 0, [EXIT_UNEXERCISED] = 1, [EXIT_HANG] = 2, [EXIT_CRASH] = 3};
    int want = st->crashes || st->violations ? EXIT_CRASH
               : st->hangs                 ? EXIT_HANG
               : st->unexercised           ? EXIT_UNEXERCISED
                                           : EXIT_OK;
    bool finding = rc == EXIT_OK || rc == EXIT_UNEXERCISED || rc == EXIT_HANG || rc == EXIT_CRASH;
    return finding && rank[want] > rank[rc] ? want : rc;
}

/* Prints each schedule's report (and writes the JSON); returns the exit status so far, raised to
 * EXIT_CRASH by a crash and to EXIT_USAGE by JSON that could not be written. */
static int cmd_run_report_all(const struct run_args *a, const struct session *s, struct sched_run *runs, int rc)
{
    const struct trial_profile *prof = session_profile(s);
    const struct target *target = session_target(s);
    FILE *out = a->json_path && strcmp(a->json_path, "-") == 0 ? stderr : stdout;
    for (size_t i = 0; i < a->nfiles; i++) {
        struct sched_run *sr = &runs[i];
        if (!sr->rep.stats.trials)
            continue;
        verdict_stats_sort(&sr->rep.stats);
        struct report rep = run_report(sr, prof);
        report_text(out, &rep, a->timeline);
        rc = cmd_run_status(rc, &sr->rep.stats);
    }
    if (!target_caps(target).death)
        for (size_t i = 0; i < a->nfiles; i++)
            if (runs[i].rep.stats.crashes) {
                fprintf(out, "note: %s shows a crash only as its QMP connection dying; qmprace cannot see the "
                             "signal or message there\n", target_spec(target));
                break;
            }
    if (a->json_path && write_json(a->json_path, runs, a->nfiles, prof, a->timeline) < 0 &&
        (rc < EXIT_USAGE || rc == EXIT_UNEXERCISED || rc == EXIT_HANG))
        rc = EXIT_USAGE;
    if (a->report_path && cmd_run_html(a, s, runs) < 0 && (rc < EXIT_USAGE || rc == EXIT_UNEXERCISED || rc == EXIT_HANG))
        rc = EXIT_USAGE;
    return rc;
}

/* `rc` raised by a run's trials that are not findings: hung (5) over not run as written (4) over 0. */
static int cmd_run_quiet_status(int rc, const struct sched_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct verdict_stats st = runs[i].rep.stats;
        st.crashes = st.violations = 0;
        rc = cmd_run_status(rc, &st);
    }
    return rc;
}

/* An interrupt before the first trial ended leaves no report to print: say so, rather than nothing. */
static void cmd_run_say_nothing_ran(const struct sched_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (runs[i].rep.stats.trials)
            return;
    fprintf(stderr, "qmprace run: interrupted before the first trial ended: nothing to report\n");
}

/* --compare: the comparison of each schedule's runs on A and B, as text and (with --json) one object per
 * schedule. Returns the exit status: 1 when B has a finding (left open or new), else what A's and B's
 * trials that hung or did not run as written say. */
static int cmd_run_compare_report(const struct run_args *a, const struct trial_profile *pa,
                                  const struct trial_profile *pb, const struct sched_run *ra,
                                  const struct sched_run *rb)
{
    FILE *out = a->json_path && strcmp(a->json_path, "-") == 0 ? stderr : stdout;
    fprintf(out, "A = %s\nB = %s\n", pa->target, pb->target);
    unsigned counts[CMP_CLASS_COUNT] = {0}, on_b = 0;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < a->nfiles; i++) {
        if (!ra[i].rep.stats.trials || !rb[i].rep.stats.trials)
            continue;
        enum compare_class k = compare_classify(&ra[i].rep.stats, ra[i].refused, &rb[i].rep.stats, rb[i].refused);
        counts[k]++;
        on_b += k == CMP_OPEN || k == CMP_NEW;
        char sa[300], sb[300];
        cmd_compare_story(&ra[i].rep.stats, ra[i].refused, sa, sizeof sa);
        cmd_compare_story(&rb[i].rep.stats, rb[i].refused, sb, sizeof sb);
        fprintf(out, "%s: %s: A %s; B %s\n", compare_class_name(k), ra[i].sched->name, sa, sb);
        json_object *o = json_object_new_object();
        struct report rep_a = run_report(&ra[i], pa), rep_b = run_report(&rb[i], pb);
        json_object_object_add(o, "schedule", json_object_new_string(ra[i].sched->name));
        json_object_object_add(o, "class", json_object_new_string(compare_class_name(k)));
        json_object_object_add(o, "a", report_json(&rep_a, a->timeline));
        json_object_object_add(o, "b", report_json(&rep_b, a->timeline));
        json_object_array_add(arr, o);
    }
    fprintf(out, "%u closed, %u left open, %u new, %u same\n", counts[CMP_CLOSED], counts[CMP_OPEN], counts[CMP_NEW],
            counts[CMP_SAME]);
    int rc = on_b ? EXIT_CRASH : cmd_run_quiet_status(cmd_run_quiet_status(EXIT_OK, ra, a->nfiles), rb, a->nfiles);
    if (a->json_path && cmd_json_lines("run", a->json_path, arr, JSON_C_TO_STRING_PLAIN) < 0)
        rc = EXIT_USAGE;
    json_object_put(arr);
    return rc;
}

/* --compare: the same schedules, the same profile but the target, on B; then both side by side. */
static int cmd_run_compare(struct run_args *a, struct sched_run *ra)
{
    struct trial_profile pb;
    struct err e = {{0}};
    if (profile_copy(&pb, &a->prof, &e) < 0 || profile_set(&pb, "target", a->compare, &e) < 0) {
        profile_clear(&pb);
        return cmd_usage_error("run", "--compare: %s", e.msg);
    }
    struct sched_run *rb = calloc(a->nfiles, sizeof *rb);
    struct schedule **scheds = calloc(a->nfiles, sizeof *scheds);
    struct session *sb = NULL;
    int rc = rb && scheds ? -1 : EXIT_USAGE;
    for (size_t i = 0; rc < 0 && i < a->nfiles; i++) {
        rb[i].sched = scheds[i] = ra[i].sched; /* borrowed: freed with A's */
        repeat_init(&rb[i].rep);
    }
    if (rc < 0)
        rc = cmd_session_open("run", &pb, SESSION_SIGNALS | SESSION_TRIALS, scheds, a->nfiles, &sb);
    if (rc < 0) {
        rc = cmd_run_trials(a, sb, rb);
        if (rc == EXIT_OK) {
            /* B's own report, as a run of it alone prints it; then the two side by side */
            struct run_args only_text = *a;
            only_text.json_path = only_text.report_path = NULL;
            cmd_run_report_all(&only_text, sb, rb, EXIT_OK);
            rc = cmd_run_compare_report(a, &a->prof, &pb, ra, rb);
        }
        if (session_signal(sb))
            rc = 128 + session_signal(sb);
    }
    session_free(sb);
    for (size_t i = 0; rb && i < a->nfiles; i++)
        repeat_clear(&rb[i].rep);
    free(rb);
    free(scheds);
    profile_clear(&pb);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_args a = {.repeat = 1};
    profile_init(&a.cli);
    profile_init(&a.prof);
    int rc = cmd_run_parse(argc, argv, &a);
    if (rc >= 0) {
        profile_clear(&a.cli);
        return rc;
    }
    /* Everything that can be wrong with the input is found before the first trial runs. */
    struct sched_run *runs = calloc(a.nfiles, sizeof *runs);
    struct session *s = NULL;
    if (!runs)
        rc = EXIT_USAGE;
    if (rc < 0)
        rc = cmd_run_load(&a, runs);
    if (rc < 0)
        rc = cmd_run_open(&a, runs, &s);
    if (rc < 0 && a.compare) {
        /* A's own report first (its JSON is written with the comparison) */
        struct run_args only_text = a;
        only_text.json_path = NULL;
        rc = cmd_run_report_all(&only_text, s, runs, cmd_run_trials(&a, s, runs));
        if (session_signal(s))
            rc = 128 + session_signal(s);
        else if (rc != EXIT_TARGET && rc != EXIT_USAGE) {
            session_free(s); /* one target at a time: A's QEMU ends before B's starts */
            s = NULL;
            rc = cmd_run_compare(&a, runs);
        }
    } else if (rc < 0) {
        rc = cmd_run_report_all(&a, s, runs, cmd_run_trials(&a, s, runs));
        if (session_signal(s)) {
            rc = 128 + session_signal(s);
            cmd_run_say_nothing_ran(runs, a.nfiles);
        }
    }
    session_free(s);
    for (size_t i = 0; runs && i < a.nfiles; i++) {
        schedule_free(runs[i].sched);
        repeat_clear(&runs[i].rep);
    }
    free(runs);
    profile_clear(&a.cli);
    profile_clear(&a.prof);
    return rc;
}

/* cmd_run: `qmprace run SCHEDULE... [options]`: run each schedule N times against one target, print
 * crash rates with intervals and signatures (and a timeline), optionally JSON. Exit status: 0 no crash,
 * 1 a crash, 2 bad input, 3 the target could not be started, 4 no crash but trials that did not run as
 * written, 130/143 interrupted (partial results are still printed and written). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "cmd_progress.h"
#include "html_report.h"
#include "vocab_target.h"
#include "mono.h"
#include "repeat.h"
#include "report.h"
#include "schedule.h"
#include "session.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace run SCHEDULE... [options]\n"
            "Run each schedule against a target, N times, and report how often the target crashed.\n"
            "\n"
            "Options:\n"
            "  -t, --target SPEC    where to run (default " PROFILE_DEFAULT_TARGET ")\n"
            "  -n, --repeat N       trials per schedule (default 1, at most 1000000)\n"
            "      --json FILE|-    write one JSON object per schedule to FILE (- for stdout;\n"
            "                       the text report then goes to stderr)\n"
            "      --report FILE.html  write a self-contained page for a bug report: the target, the\n"
            "                       profile, the rates, each schedule and its trial as a sequence diagram\n"
            "      --timeline       show the timeline of the first crashing trial\n"
            "                       (else the first hang, else the first trial)\n"
            "      --deadline DUR   a trial that takes longer is a hang (default 10s)\n"
            "      --ram SIZE       guest RAM of the target (default: the target's; sim and qemu: 256MiB)\n"
            "      --without ACTIONS leave these actions out of every schedule, e.g. params\n"
            "      --qemu-arg ARG   qemu: one more argument for the QEMUs it starts (repeatable; after\n"
            "                       qmprace's own, e.g. --qemu-arg=-cpu --qemu-arg=max)\n"
            "      --fresh          qemu: a new QEMU for every trial (default: reuse one after each pass)\n"
            "      --dest sink|qemu qemu: migrate into the sink (default) or a real destination QEMU\n"
            "                       started for each trial\n"
            "  -q, --quiet          no progress line\n"
            "  -h, --help           this text\n"
            "\n"
            "A reproducer written by qmprace carries the conditions it was measured under in a header line\n"
            "`" PROFILE_HEADER "{...}` (target, RAM, deadline, actions left out, ...): run uses them, so\n"
            "it replays at the stated rate; an option given here overrides its field.\n"
            "\n"
            "%s"
            "\n"
            "Exit status: 0 no crash, and every trial ran as written; 1 a crash; 2 bad input or usage; 3 the\n"
            "target could not be started; 4 no crash, but some trials did not run as written (a hold that held\n"
            "nothing, a fault that hit no channel, a name the target refused, a line that never fired: the\n"
            "report says which); 130/143 interrupted by SIGINT/SIGTERM.\n",
            target_help());
}

struct sched_run {
    struct schedule *sched;
    struct repeat rep; /* its trials, and the one whose timeline is shown */
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
    FILE *f = stdout;
    char *tmp = NULL;
    if (strcmp(path, "-") != 0) {
        if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
            return -1;
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "qmprace run: --json: %s: %m\n", tmp);
            free(tmp);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!runs[i].rep.stats.trials)
            continue;
        struct report rep = run_report(&runs[i], prof);
        json_object *o = report_json(&rep, timeline);
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    }
    if (f == stdout) {
        fflush(f);
        return 0;
    }
    int rc = 0;
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "qmprace run: --json: cannot write %s: %m\n", path);
        unlink(tmp);
        rc = -1;
    }
    free(tmp);
    return rc;
}

/* The arguments of `qmprace run`. */
struct run_args {
    const char *json_path, *report_path;
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
        {"target", required_argument, NULL, 't'}, {"repeat", required_argument, NULL, 'n'},
        {"json", required_argument, NULL, 'j'},   {"timeline", no_argument, NULL, 'T'},
        {"deadline", required_argument, NULL, 'd'}, {"ram", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"qemu-arg", required_argument, NULL, 'A'}, {"fresh", no_argument, NULL, 'F'},
        {"dest", required_argument, NULL, 'D'}, {"without", required_argument, NULL, 'W'},
        {"report", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!cmd_opt_profile("run", "--target", "target", optarg, &a->cli))
                return EXIT_USAGE;
            break;
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
        case 'd':
            if (!cmd_opt_profile("run", "--deadline", "deadline", optarg, &a->cli))
                return EXIT_USAGE;
            break;
        case 'r':
            if (!cmd_opt_profile("run", "--ram", "ram", optarg, &a->cli))
                return EXIT_USAGE;
            break;
        case 'W':
            if (!cmd_opt_profile("run", "--without", "without", optarg, &a->cli))
                return EXIT_USAGE;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'A':
            if (!cmd_opt_profile("run", "--qemu-arg", "arg", optarg, &a->cli))
                return EXIT_USAGE;
            break;
        case 'F':
            if (!cmd_opt_profile("run", "--fresh", "fresh", "yes", &a->cli))
                return EXIT_USAGE;
            break;
        case 'D':
            if (!cmd_opt_profile("run", "--dest", "dest", optarg, &a->cli))
                return EXIT_USAGE;
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
    a->files = argv + optind;
    a->nfiles = (size_t)(argc - optind);
    return -1;
}

/* Loads every schedule, and the trace points they wait for (a target that must switch trace points on
 * needs to know which). Returns -1 to go on, else the exit status. */
static int cmd_run_load(const struct run_args *a, struct sched_run *runs, const char ***trace_events,
                        size_t *ntrace_events)
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
    for (size_t i = 0; i < a->nfiles; i++)
        for (size_t k = 0; k < runs[i].sched->nlines; k++)
            if (runs[i].sched->lines[k].trig.kind == TRIG_TRACE) {
                const char **v = realloc(*trace_events, (*ntrace_events + 1) * sizeof *v);
                if (!v)
                    return EXIT_USAGE;
                *trace_events = v;
                (*trace_events)[(*ntrace_events)++] = runs[i].sched->lines[k].trig.trace_event;
            }
    return -1;
}

/* The profile the trials run under (cmd_profile_resolve), and each schedule with its actions left out.
 * Returns -1 to go on, else the exit status. */
static int cmd_run_profile(struct run_args *a, struct sched_run *runs)
{
    int rc = cmd_profile_resolve("run", a->files, a->nfiles, &a->cli, PROFILE_FOR_RUN, &a->prof);
    if (rc >= 0)
        return rc;
    if ((a->prof.nargs || a->prof.fresh || a->prof.dest_vmm) && strncmp(a->prof.target, "qemu", 4) != 0)
        return cmd_usage_error("run", "--qemu-arg, --fresh and --dest are for --target qemu[:PATH]");
    for (size_t i = 0; i < a->nfiles; i++)
        schedule_without(runs[i].sched, a->prof.without);
    return -1;
}

/* Every schedule against the target (trial_check); -1 after saying why one cannot run there. */
static int cmd_run_check(const struct run_args *a, const struct sched_run *runs, const struct target *target)
{
    struct err e = {{0}};
    for (size_t i = 0; i < a->nfiles; i++)
        if (trial_check(runs[i].sched, target, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            return -1;
        }
    return 0;
}

/* The target, checked against every schedule before the first trial runs, then the trials' session.
 * Returns -1 to go on (with *sp set), else the exit status. */
static int cmd_run_open(const struct run_args *a, const struct sched_run *runs,
                        const char *const *trace_events, size_t ntrace_events, struct session **sp)
{
    struct err e = {{0}};
    struct target_options topt = profile_target_options(&a->prof);
    topt.trace_events = trace_events;
    topt.ntrace_events = ntrace_events;
    struct session *s = *sp = session_new(a->prof.target, &topt, &e);
    if (!s)
        return cmd_usage_error("run", "%s", e.msg);
    struct target *target = session_target(s);
    if (target_warning(target))
        fprintf(stderr, "qmprace run: warning: %s\n", target_warning(target));
    /* What can be told from the target's kind first, then what it says it knows (starting it to ask) */
    if (cmd_run_check(a, runs, target) < 0)
        return EXIT_USAGE;
    if (session_start(s, SESSION_SIGNALS | SESSION_TRIALS, &e) < 0) {
        fprintf(stderr, "qmprace run: %s\n", e.msg);
        return EXIT_TARGET;
    }
    if (cmd_run_check(a, runs, target) < 0)
        return EXIT_USAGE;
    return -1;
}

/* Runs each schedule's trials until done or interrupted. Returns EXIT_OK, or EXIT_TARGET when the target
 * failed (said on stderr). */
static int cmd_run_trials(const struct run_args *a, struct session *s, struct sched_run *runs)
{
    struct err e = {{0}};
    bool show_progress = !a->quiet && a->repeat > 1 && isatty(STDERR_FILENO);
    struct trial_options topts = {.deadline_us = a->prof.deadline_us};
    for (size_t i = 0; i < a->nfiles && !session_signal(s); i++) {
        struct sched_run *sr = &runs[i];
        struct progress pr = {.name = sr->sched->name};
        cmd_progress_init(&pr.when);
        if (repeat_run(session_env(s, NULL), sr->sched, &topts, (unsigned)a->repeat, &sr->rep,
                       show_progress ? progress : NULL, &pr, &e) < 0) {
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
static int cmd_run_html(const struct run_args *a, const struct target *target, const struct sched_run *runs)
{
    struct report *items = calloc(a->nfiles, sizeof *items);
    if (!items)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < a->nfiles; i++)
        if (runs[i].rep.stats.trials)
            items[n++] = run_report(&runs[i], &a->prof);
    struct html_target t = {a->prof.target, target_vocab(target)->version, QMPRACE_VERSION};
    struct err e = {{0}};
    int rc = html_report_run(a->report_path, &t, &a->prof, items, n, &e);
    if (rc < 0)
        fprintf(stderr, "qmprace run: --report: %s\n", e.msg);
    free(items);
    return rc;
}

/* Prints each schedule's report (and writes the JSON); returns the exit status so far, raised to
 * EXIT_CRASH by a crash and to EXIT_USAGE by JSON that could not be written. */
static int cmd_run_report_all(const struct run_args *a, const struct target *target, struct sched_run *runs, int rc)
{
    FILE *out = a->json_path && strcmp(a->json_path, "-") == 0 ? stderr : stdout;
    for (size_t i = 0; i < a->nfiles; i++) {
        struct sched_run *sr = &runs[i];
        if (!sr->rep.stats.trials)
            continue;
        verdict_stats_sort(&sr->rep.stats);
        struct report rep = run_report(sr, &a->prof);
        report_text(out, &rep, a->timeline);
        if (sr->rep.stats.crashes && (rc == EXIT_OK || rc == EXIT_UNEXERCISED))
            rc = EXIT_CRASH;
        else if (sr->rep.stats.unexercised && rc == EXIT_OK)
            rc = EXIT_UNEXERCISED;
    }
    if (!target_caps(target).death)
        for (size_t i = 0; i < a->nfiles; i++)
            if (runs[i].rep.stats.crashes) {
                fprintf(out, "note: %s shows a crash only as its QMP connection dying; qmprace cannot see the "
                             "signal or message there\n", target_spec(target));
                break;
            }
    if (a->json_path && write_json(a->json_path, runs, a->nfiles, &a->prof, a->timeline) < 0 &&
        (rc < EXIT_USAGE || rc == EXIT_UNEXERCISED))
        rc = EXIT_USAGE;
    if (a->report_path && cmd_run_html(a, target, runs) < 0 && (rc < EXIT_USAGE || rc == EXIT_UNEXERCISED))
        rc = EXIT_USAGE;
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
    const char **trace_events = NULL;
    size_t ntrace_events = 0;
    struct session *s = NULL;
    if (!runs)
        rc = EXIT_USAGE;
    if (rc < 0)
        rc = cmd_run_load(&a, runs, &trace_events, &ntrace_events);
    if (rc < 0)
        rc = cmd_run_profile(&a, runs);
    if (rc < 0)
        rc = cmd_run_open(&a, runs, trace_events, ntrace_events, &s);
    if (rc < 0) {
        rc = cmd_run_report_all(&a, session_target(s), runs, cmd_run_trials(&a, s, runs));
        if (session_signal(s))
            rc = 128 + session_signal(s);
    }
    session_free(s);
    for (size_t i = 0; runs && i < a.nfiles; i++) {
        schedule_free(runs[i].sched);
        repeat_clear(&runs[i].rep);
    }
    free(runs);
    profile_clear(&a.cli);
    profile_clear(&a.prof);
    free(trace_events);
    return rc;
}

/* cmd_run: `qmprace run SCHEDULE... [options]`: run each schedule N times against one target, print
 * crash rates with intervals and signatures (and a timeline), optionally JSON. Exit status: 0 no crash,
 * 1 a crash, 2 bad input, 3 the target could not be started, 130/143 interrupted (partial results are
 * still printed and written). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "mono.h"
#include "repeat.h"
#include "report.h"
#include "schedule.h"
#include "target.h"
#include "trial.h"

#define DEFAULT_TARGET "sim:qemu-7.2"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace run SCHEDULE... [options]\n"
            "Run each schedule against a target, N times, and report how often the target crashed.\n"
            "\n"
            "Options:\n"
            "  -t, --target SPEC    where to run (default " DEFAULT_TARGET ")\n"
            "  -n, --repeat N       trials per schedule (default 1, at most 1000000)\n"
            "      --json FILE|-    write one JSON object per schedule to FILE (- for stdout;\n"
            "                       the text report then goes to stderr)\n"
            "      --timeline       show the timeline of the first crashing trial\n"
            "                       (else the first hang, else the first trial)\n"
            "      --deadline DUR   a trial that takes longer is a hang (default 10s)\n"
            "      --ram SIZE       guest RAM of the target (default: the target's; sim and qemu: 256MiB)\n"
            "      --qemu-arg ARG   qemu: one more argument for the QEMUs it starts (repeatable; after\n"
            "                       qmprace's own, e.g. --qemu-arg=-cpu --qemu-arg=max)\n"
            "      --fresh          qemu: a new QEMU for every trial (default: reuse one after each pass)\n"
            "      --dest sink|qemu qemu: migrate into the sink (default) or a real destination QEMU\n"
            "                       started for each trial\n"
            "  -q, --quiet          no progress line\n"
            "  -h, --help           this text\n"
            "\n"
            "%s"
            "\n"
            "Exit status: 0 no crash, 1 a crash, 2 bad input or usage, 3 the target could not be started,\n"
            "130/143 interrupted by SIGINT/SIGTERM.\n",
            target_help());
}

struct run_state {
    struct trial_env *env;
    int signo;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct run_state *rs = arg;
    if (!rs->signo)
        rs->signo = (int)sig;
    trial_env_interrupt(rs->env);
}

struct sched_run {
    struct schedule *sched;
    struct repeat rep; /* its trials, and the one whose timeline is shown */
};

/* The progress line on a terminal, at most five times a second. */
struct progress {
    const char *name;
    uint64_t last_us;
};

static void progress(void *arg, unsigned done, unsigned total, const struct verdict_stats *s)
{
    struct progress *p = arg;
    uint64_t now = mono_now_us();
    bool final = done == total;
    if (!final && now - p->last_us < 200000)
        return;
    p->last_us = now;
    fprintf(stderr, "\r%s: trial %u/%u, %u crashed, %u hung%s", p->name, done, total, s->crashes, s->hangs,
            final ? "\n" : "");
}

static struct report run_report(const struct sched_run *sr, const char *target)
{
    struct report r = {sr->sched->name, target, (struct verdict_stats *)&sr->rep.stats, sr->rep.shown.timeline,
                       sr->rep.shown_trial, verdict_name(sr->rep.shown.verdict), sr->rep.interrupted};
    return r;
}

static int write_json(const char *path, struct sched_run *runs, size_t n, const char *target, bool timeline)
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
        struct report rep = run_report(&runs[i], target);
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

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'}, {"repeat", required_argument, NULL, 'n'},
        {"json", required_argument, NULL, 'j'},   {"timeline", no_argument, NULL, 'T'},
        {"deadline", required_argument, NULL, 'd'}, {"ram", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"qemu-arg", required_argument, NULL, 'A'}, {"fresh", no_argument, NULL, 'F'},
        {"dest", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    const char *target_spec_arg = DEFAULT_TARGET, *json_path = NULL;
    uint64_t repeat = 1, deadline = 0, ram = 0;
    bool timeline = false, quiet = false, fresh = false, dest_vmm = false;
    /* --qemu-arg values point into argv: nothing to free. */
    const char **vmm_args = NULL;
    size_t nvmm_args = 0;
    const char **trace_events = NULL;
    size_t ntrace_events = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            target_spec_arg = optarg;
            break;
        case 'n':
            if (!cmd_opt_count("run", "--repeat", optarg, 1, 1000000, &repeat))
                return EXIT_USAGE;
            break;
        case 'j':
            json_path = optarg;
            break;
        case 'T':
            timeline = true;
            break;
        case 'd':
            if (!cmd_opt_duration("run", "--deadline", optarg, &deadline))
                return EXIT_USAGE;
            if (!deadline)
                return cmd_usage_error("run", "--deadline: must be more than 0");
            break;
        case 'r':
            if (!cmd_opt_size("run", "--ram", optarg, &ram))
                return EXIT_USAGE;
            break;
        case 'q':
            quiet = true;
            break;
        case 'A': {
            const char **v = realloc(vmm_args, (nvmm_args + 1) * sizeof *v);
            if (!v) {
                free(vmm_args);
                return EXIT_USAGE;
            }
            vmm_args = v;
            vmm_args[nvmm_args++] = optarg;
            break;
        }
        case 'F':
            fresh = true;
            break;
        case 'D':
            if (strcmp(optarg, "qemu") == 0)
                dest_vmm = true;
            else if (strcmp(optarg, "sink") == 0)
                dest_vmm = false;
            else {
                free(vmm_args);
                return cmd_usage_error("run", "--dest: expected sink or qemu, got '%s'", optarg);
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            free(vmm_args);
            return cmd_usage_error("run", "bad option");
        }
    }
    if (optind >= argc) {
        free(vmm_args);
        return cmd_usage_error("run", "no schedule given");
    }
    if ((nvmm_args || fresh || dest_vmm) && strncmp(target_spec_arg, "qemu", 4) != 0) {
        free(vmm_args);
        return cmd_usage_error("run", "--qemu-arg, --fresh and --dest are for --target qemu[:PATH]");
    }

    /* Everything that can be wrong with the input is found before the first trial runs. */
    size_t n = (size_t)(argc - optind);
    struct sched_run *runs = calloc(n, sizeof *runs);
    if (!runs) {
        free(vmm_args);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    struct err e = {{0}};
    struct target *target = NULL;
    struct event_base *base = NULL;
    struct trial_env *env = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    struct run_state rs = {0};
    for (size_t i = 0; i < n; i++) {
        runs[i].sched = schedule_load(argv[optind + (int)i], &e);
        if (!runs[i].sched) {
            fprintf(stderr, "%s\n", e.msg);
            rc = EXIT_USAGE;
            goto out;
        }
        repeat_init(&runs[i].rep);
    }
    /* A target that must switch trace points on needs to know which ones the schedules wait for. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < runs[i].sched->nlines; k++)
            if (runs[i].sched->lines[k].trig.kind == TRIG_TRACE) {
                const char **v = realloc(trace_events, (ntrace_events + 1) * sizeof *v);
                if (!v) {
                    rc = EXIT_USAGE;
                    goto out;
                }
                trace_events = v;
                trace_events[ntrace_events++] = runs[i].sched->lines[k].trig.trace_event;
            }
    struct target_options topt = {.ram_bytes = ram,
                                  .vmm_args = vmm_args,
                                  .nvmm_args = nvmm_args,
                                  .trace_events = trace_events,
                                  .ntrace_events = ntrace_events,
                                  .fresh = fresh,
                                  .dest_vmm = dest_vmm};
    target = target_new(target_spec_arg, &topt, &e);
    if (!target) {
        rc = cmd_usage_error("run", "%s", e.msg);
        goto out;
    }
    if (target_warning(target))
        fprintf(stderr, "qmprace run: warning: %s\n", target_warning(target));
    for (size_t i = 0; i < n; i++)
        if (trial_check(runs[i].sched, target, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            rc = EXIT_USAGE;
            goto out;
        }

    base = mono_event_base_new();
    if (!base) {
        fprintf(stderr, "qmprace run: cannot create an event loop\n");
        rc = EXIT_TARGET;
        goto out;
    }
    env = trial_env_new(base, target, &e);
    if (!env) {
        fprintf(stderr, "qmprace run: cannot set up the fault proxy: %s\n", e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    rs.env = env;
    sigint = evsignal_new(base, SIGINT, on_signal, &rs);
    sigterm = evsignal_new(base, SIGTERM, on_signal, &rs);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);

    bool show_progress = !quiet && repeat > 1 && isatty(STDERR_FILENO);
    FILE *out = json_path && strcmp(json_path, "-") == 0 ? stderr : stdout;
    struct trial_options topts = {.deadline_us = deadline};
    for (size_t i = 0; i < n && !rs.signo; i++) {
        struct sched_run *sr = &runs[i];
        struct progress pr = {sr->sched->name, 0};
        if (repeat_run(env, sr->sched, &topts, (unsigned)repeat, &sr->rep, show_progress ? progress : NULL, &pr,
                       &e) < 0) {
            if (show_progress)
                fputc('\n', stderr);
            fprintf(stderr, "qmprace run: %s: trial %u: %s\n", target_spec(target), sr->rep.stats.trials + 1,
                    e.msg);
            rc = EXIT_TARGET;
            break;
        }
        if (sr->rep.interrupted)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        struct sched_run *sr = &runs[i];
        if (!sr->rep.stats.trials)
            continue;
        verdict_stats_sort(&sr->rep.stats);
        struct report rep = run_report(sr, target_spec(target));
        report_text(out, &rep, timeline);
        if (sr->rep.stats.crashes && rc == EXIT_OK)
            rc = EXIT_CRASH;
    }
    if (!target_caps(target).death)
        for (size_t i = 0; i < n; i++)
            if (runs[i].rep.stats.crashes) {
                fprintf(out, "note: %s shows a crash only as its QMP connection dying; qmprace cannot see the "
                             "signal or message there\n", target_spec(target));
                break;
            }
    if (json_path && write_json(json_path, runs, n, target_spec(target), timeline) < 0 && rc < EXIT_USAGE)
        rc = EXIT_USAGE;
    if (rs.signo)
        rc = 128 + rs.signo;
out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    trial_env_free(env);
    target_free(target);
    if (base)
        event_base_free(base);
    for (size_t i = 0; i < n; i++) {
        schedule_free(runs[i].sched);
        repeat_clear(&runs[i].rep);
    }
    free(runs);
    free(vmm_args);
    free(trace_events);
    return rc;
}

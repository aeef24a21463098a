/* cmd_minimize: `qmprace minimize SCHEDULE --target T`: shrink a crashing schedule found elsewhere (a
 * hunt on another machine, a bug report) to the smallest one that still crashes the same way at a similar
 * rate, and print it (or write it with -o). Exit status: 0 minimized (or already minimal), 1 the schedule
 * does not crash the target at all, 2 bad input or usage, 3 the target could not be started, 130/143
 * interrupted (the best so far is still printed). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "minimize.h"
#include "mono.h"
#include "repeat.h"
#include "target.h"

#define DEFAULT_TARGET "sim:qemu-7.2"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace minimize SCHEDULE [options]\n"
            "Shrink a crashing schedule while it keeps crashing with the same signature at a similar rate.\n"
            "\n"
            "  -t, --target SPEC      where it crashes (default " DEFAULT_TARGET ")\n"
            "  -n, --trials N         trials per candidate (default 10) and for the rates (x2)\n"
            "      --keep RATIO       a candidate must keep this share of the original rate (default 0.8)\n"
            "      --max-candidates N give up after N candidates (default 150)\n"
            "      --time DUR         give up after DUR (default 5m)\n"
            "      --deadline DUR     one trial's deadline (default 10s)\n"
            "      --ram SIZE         guest RAM of the target\n"
            "  -o, --output FILE      write the result there instead of stdout\n"
            "  -q, --quiet            no progress on stderr\n"
            "  -h, --help             this text\n");
}

struct mini {
    struct event_base *base;
    struct trial_env *env;
    int signo;
    bool quiet;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct mini *m = arg;
    if (!m->signo)
        m->signo = (int)sig;
    trial_env_interrupt(m->env);
}

static void on_progress(void *arg, const char *what, bool kept, unsigned crashes, unsigned trials)
{
    const struct mini *m = arg;
    if (!m->quiet)
        fprintf(stderr, "minimize: %-50s %u/%u %s\n", what, crashes, trials, kept ? "kept" : "");
}

int cmd_minimize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'}, {"trials", required_argument, NULL, 'n'},
        {"keep", required_argument, NULL, 'k'},   {"max-candidates", required_argument, NULL, 'c'},
        {"time", required_argument, NULL, 'T'},   {"deadline", required_argument, NULL, 'd'},
        {"ram", required_argument, NULL, 'r'},    {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *spec = DEFAULT_TARGET, *output = NULL;
    struct minimize_options mo = {0};
    uint64_t v, deadline = 0, ram = 0;
    struct mini m = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            spec = optarg;
            break;
        case 'n':
            if (!cmd_opt_count("minimize", "--trials", optarg, 1, 10000, &v))
                return EXIT_USAGE;
            mo.trials = (unsigned)v;
            break;
        case 'k': {
            char *end;
            mo.keep = strtod(optarg, &end);
            if (*end || mo.keep <= 0 || mo.keep > 1)
                return cmd_usage_error("minimize", "--keep: a ratio above 0 and at most 1, got '%s'", optarg);
            break;
        }
        case 'c':
            if (!cmd_opt_count("minimize", "--max-candidates", optarg, 1, 100000, &v))
                return EXIT_USAGE;
            mo.max_candidates = (unsigned)v;
            break;
        case 'T':
            if (!cmd_opt_duration("minimize", "--time", optarg, &mo.max_time_us))
                return EXIT_USAGE;
            break;
        case 'd':
            if (!cmd_opt_duration("minimize", "--deadline", optarg, &deadline))
                return EXIT_USAGE;
            break;
        case 'r':
            if (!cmd_opt_size("minimize", "--ram", optarg, &ram))
                return EXIT_USAGE;
            break;
        case 'o':
            output = optarg;
            break;
        case 'q':
            m.quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            return cmd_usage_error("minimize", "bad option");
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error("minimize", optind >= argc ? "no schedule given" : "one schedule at a time");
    struct err e = {{0}};
    struct schedule *s = schedule_load(argv[optind], &e);
    if (!s) {
        fprintf(stderr, "%s\n", e.msg);
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    struct schedule *small = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    struct repeat before, after;
    repeat_init(&before);
    repeat_init(&after);
    struct target_options topt = {.ram_bytes = ram};
    struct target *target = target_new(spec, &topt, &e);
    if (!target) {
        rc = cmd_usage_error("minimize", "%s", e.msg);
        goto out;
    }
    if (trial_check(s, target, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    m.base = mono_event_base_new();
    m.env = m.base ? trial_env_new(m.base, target, &e) : NULL;
    if (!m.env) {
        fprintf(stderr, "qmprace minimize: cannot set up the fault proxy: %s\n", e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    sigint = evsignal_new(m.base, SIGINT, on_signal, &m);
    sigterm = evsignal_new(m.base, SIGTERM, on_signal, &m);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);
    struct trial_options trial = {.deadline_us = deadline};
    unsigned rate_trials = 2 * (mo.trials ? mo.trials : 10);
    if (repeat_run(m.env, s, &trial, rate_trials, &before, NULL, NULL, &e) < 0) {
        fprintf(stderr, "qmprace minimize: %s: %s\n", spec, e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    const char *sig = repeat_top_signature(&before);
    if (!sig) {
        if (!m.signo)
            fprintf(stderr, "qmprace minimize: %s did not crash %s in %u trials: nothing to keep\n", argv[optind],
                    spec, before.stats.trials);
        rc = m.signo ? 128 + m.signo : EXIT_CRASH;
        goto out;
    }
    unsigned base = repeat_signature_count(&before, sig);
    if (!m.quiet)
        fprintf(stderr, "minimize: keeping %s (%u/%u)\n", sig, base, before.stats.trials);
    struct minimize_stats st;
    int mrc = minimize_run(m.env, s, sig, base, before.stats.trials, &trial, &mo, on_progress, &m, &small, &st, &e);
    if (mrc < 0) {
        fprintf(stderr, "qmprace minimize: %s: %s\n", spec, e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    if (!m.signo && repeat_run(m.env, small, &trial, rate_trials, &after, NULL, NULL, &e) < 0) {
        fprintf(stderr, "qmprace minimize: %s: %s\n", spec, e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    char *text = schedule_print(small);
    FILE *f = output ? fopen(output, "w") : stdout;
    if (!f || !text) {
        fprintf(stderr, "qmprace minimize: cannot write %s\n", output ? output : "the result");
        free(text);
        rc = EXIT_USAGE;
        goto out;
    }
    fprintf(f, "# minimized by qmprace minimize from %s: %u of %u candidates kept%s\n", argv[optind], st.accepted,
            st.candidates, st.out_of_budget ? " (stopped by its budget)" : "");
    fprintf(f, "# signature: %s\n# crashed %u/%u on %s (the original: %u/%u)\n%s", sig,
            repeat_signature_count(&after, sig), after.stats.trials, spec, base, before.stats.trials, text);
    free(text);
    if (f != stdout && fclose(f) != 0) {
        fprintf(stderr, "qmprace minimize: cannot write %s\n", output);
        rc = EXIT_USAGE;
    }
    if (m.signo)
        rc = 128 + m.signo;
out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    repeat_clear(&before);
    repeat_clear(&after);
    schedule_free(small);
    schedule_free(s);
    trial_env_free(m.env);
    target_free(target);
    if (m.base)
        event_base_free(m.base);
    return rc;
}

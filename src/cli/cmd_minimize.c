/* cmd_minimize: `qmprace minimize SCHEDULE --target T`: shrink a crashing schedule found elsewhere (a
 * hunt on another machine, a bug report) to the smallest one that still crashes the same way at a similar
 * rate, and print it (or write it with -o). Exit status: 0 minimized (or already minimal), 1 the schedule
 * does not crash the target at all, 2 bad input or usage, 3 the target could not be started, 130/143
 * interrupted (the best so far is still printed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "minimize.h"
#include "repeat.h"
#include "cmd_session.h"


static void usage(FILE *f)
{
    fprintf(f, "Usage: qmprace minimize SCHEDULE [options]\n"
               "Shrink a schedule with a finding (a crash, a property violation or a hang) while it keeps that\n"
               "finding, with the same signature, at a similar rate.\n"
               "\n"
               "  -n, --trials N          trials per candidate (default 10) and for the rates (x2)\n"
               "      --keep RATIO        a candidate must keep this share of the original rate (default 0.8)\n"
               "      --max-candidates N  give up after N candidates (default 150)\n"
               "      --time DUR          give up after DUR (default 5m)\n"
               "  -o, --output FILE       write the result there instead of stdout\n"
               "  -q, --quiet             no progress on stderr\n"
               "  -h, --help              this text\n"
               "The trial profile:\n");
    cmd_profile_usage(f, PROFILE_FOR_RUN);
    fprintf(f, "\n"
               "A reproducer's `" PROFILE_HEADER "{...}` header gives the target, RAM, deadline, ... unless an\n"
               "option here does; the result carries the profile it was measured under.\n");
}

/* The arguments of `qmprace minimize`. */
struct mini_args {
    const char *output;
    char *file;
    struct minimize_options mo;
    struct trial_profile cli, prof; /* the options'; what the trials run under */
    bool quiet;
};

static void on_progress(void *arg, const char *what, bool kept, unsigned crashes, unsigned trials)
{
    const struct mini_args *a = arg;
    if (!a->quiet)
        fprintf(stderr, "minimize: %-50s %u/%u %s\n", what, crashes, trials, kept ? "kept" : "");
}

/* Parses the options into `a`. Returns -1 to go on, else the exit status (after --help or saying why). */
static int cmd_minimize_parse(int argc, char **argv, struct mini_args *a)
{
    static const struct option longopts[] = {
        CMD_PROFILE_OPTIONS,
        {"trials", required_argument, NULL, 'n'}, {"keep", required_argument, NULL, 'k'},
        {"max-candidates", required_argument, NULL, 'c'}, {"time", required_argument, NULL, 'T'},
        {"output", required_argument, NULL, 'o'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:o:qh", longopts, NULL)) != -1) {
        int po = cmd_profile_option("minimize", c, optarg, &a->cli);
        if (po < 0)
            return EXIT_USAGE;
        if (po > 0)
            continue;
        switch (c) {
        case 'n':
            if (!cmd_opt_count("minimize", "--trials", optarg, 1, 10000, &v))
                return EXIT_USAGE;
            a->mo.trials = (unsigned)v;
            break;
        case 'k': {
            char *end;
            a->mo.keep = strtod(optarg, &end);
            if (*end || a->mo.keep <= 0 || a->mo.keep > 1)
                return cmd_usage_error("minimize", "--keep: a ratio above 0 and at most 1, got '%s'", optarg);
            break;
        }
        case 'c':
            if (!cmd_opt_count("minimize", "--max-candidates", optarg, 1, 100000, &v))
                return EXIT_USAGE;
            a->mo.max_candidates = (unsigned)v;
            break;
        case 'T':
            if (!cmd_opt_duration("minimize", "--time", optarg, &a->mo.max_time_us))
                return EXIT_USAGE;
            break;
        case 'o':
            a->output = optarg;
            break;
        case 'q':
            a->quiet = true;
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
    a->file = argv[optind];
    return cmd_profile_resolve("minimize", &a->file, 1, &a->cli, PROFILE_FOR_RUN, &a->prof);
}

/* Prints (or writes to -o) the minimized schedule with what it keeps and the rates before and after.
 * Returns EXIT_OK, or EXIT_USAGE when it cannot be written. */
static int cmd_minimize_write(const struct mini_args *a, const struct trial_profile *p, const struct schedule *small,
                              const char *sig,
                              const struct minimize_stats *st, const struct repeat *before,
                              const struct repeat *after)
{
    char *text = schedule_print(small), *prof = profile_print(p);
    FILE *f = text && prof ? a->output ? fopen(a->output, "w") : stdout : NULL;
    if (!f) {
        fprintf(stderr, "qmprace minimize: cannot write %s\n", a->output ? a->output : "the result");
        free(text);
        free(prof);
        return EXIT_USAGE;
    }
    fprintf(f, "# minimized by qmprace minimize from %s: %u of %u candidates kept%s\n", a->file, st->accepted,
            st->candidates, st->out_of_budget ? " (stopped by its budget)" : "");
    fprintf(f, "# signature: %s\n# %s %u/%u on %s (the original: %u/%u)\n" PROFILE_HEADER "%s\n%s", sig,
            verdict_past(verdict_of_signature(sig)),
            repeat_signature_count(after, sig), after->stats.trials, p->target,
            repeat_signature_count(before, sig), before->stats.trials, prof, text);
    free(text);
    free(prof);
    if (f != stdout && fclose(f) != 0) {
        fprintf(stderr, "qmprace minimize: cannot write %s\n", a->output);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The rate of `s`, minimization while the same signature keeps that rate, the new rate, and the result.
 * Returns the exit status. */
static int cmd_minimize_run(const struct mini_args *a, struct session *ses, struct schedule *s)
{
    struct err e = {{0}};
    const struct trial_profile *p = session_profile(ses);
    unsigned rate_trials = 2 * (a->mo.trials ? a->mo.trials : 10);
    struct schedule *small = NULL;
    struct minimize_stats st;
    struct repeat before, after;
    repeat_init(&before);
    repeat_init(&after);
    const char *sig = NULL;
    int rc = EXIT_TARGET, signo;
    if (repeat_run(ses, s, rate_trials, &before, NULL, NULL, &e) < 0)
        goto failed;
    signo = session_signal(ses);
    if (!(sig = repeat_top_signature(&before))) {
        if (!signo)
            fprintf(stderr, "qmprace minimize: %s had no finding (no crash, violation or hang) on %s in %u trials: nothing to keep\n", a->file,
                    p->target, before.stats.trials);
        rc = signo ? 128 + signo : EXIT_CRASH;
        goto out;
    }
    unsigned base = repeat_signature_count(&before, sig);
    if (!a->quiet)
        fprintf(stderr, "minimize: keeping %s (%u/%u)\n", sig, base, before.stats.trials);
    if (minimize_run(ses, s, sig, base, before.stats.trials, &a->mo, on_progress, (void *)a, &small, &st, &e) < 0)
        goto failed;
    if (!session_signal(ses) && repeat_run(ses, small, rate_trials, &after, NULL, NULL, &e) < 0)
        goto failed;
    rc = cmd_minimize_write(a, p, small, sig, &st, &before, &after);
    if (session_signal(ses))
        rc = 128 + session_signal(ses);
    goto out;
failed:
    fprintf(stderr, "qmprace minimize: %s: %s\n", p->target, e.msg);
out:
    repeat_clear(&before);
    repeat_clear(&after);
    schedule_free(small);
    return rc;
}

int cmd_minimize(int argc, char **argv)
{
    struct mini_args a = {0};
    int rc = cmd_minimize_parse(argc, argv, &a);
    if (rc >= 0) {
        profile_clear(&a.cli);
        profile_clear(&a.prof);
        return rc;
    }
    struct err e = {{0}};
    struct schedule *s = schedule_load(a.file, &e);
    if (!s) {
        fprintf(stderr, "%s\n", e.msg);
        profile_clear(&a.cli);
        profile_clear(&a.prof);
        return EXIT_USAGE;
    }
    struct session *ses = NULL;
    rc = cmd_session_open("minimize", &a.prof, SESSION_SIGNALS | SESSION_TRIALS, &s, 1, &ses);
    if (rc < 0)
        rc = cmd_minimize_run(&a, ses, s);
    session_free(ses);
    schedule_free(s);
    profile_clear(&a.cli);
    profile_clear(&a.prof);
    return rc;
}

/* cmd_hunt: `qmprace hunt`: the main job, on the command line: its options, the progress line and what
 * the hunt says, and the exit status. The hunt itself is hunt_run() (src/hunt/hunt.c): seeds AFL++ with
 * seeds generated from the target's windows or given (encoded, minus seeds that already crash the target),
 * runs afl-fuzz on the schedule harness,
 * stops at the time limit or (with --until-crash) at the first crash, then triages what it found into
 * minimized reproducers with rates and reports under DIR/crashes/. Exit status: 0 nothing found, 1 crashes
 * found, 2 bad input or usage (also: AFL++ or the harness missing), 3 the target could not be started or
 * afl-fuzz gave up before its first input (its reason is said), 130/143 interrupted (what was found so
 * far is still triaged and written). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "cmd_paths.h"
#include "cmd_progress.h"
#include "cmd_session.h"
#include "allow.h"
#include "ci_report.h"
#include "html_report.h"
#include "hunt.h"
#include "mono.h"
#include "vocab_target.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace hunt [options]\n"
            "Fuzz timing schedules with AFL++ against a target until a crash or the time limit, then turn\n"
            "each crash into a minimized reproducer with its crash rate.\n"
            "A crash here is any finding: the target died, a property did not hold after it settled\n"
            "(\"violation: ...\"), or it hung on its own (\"hang: ...\", named by where its threads wait; not a\n"
            "hang the schedule made by what it still stalls or freezes).\n"
            "\n"
            "Options:\n"
            "      --time DUR          how long AFL++ runs (default 10m)\n"
            "      --until-crash[=TEXT] stop at the first crash (whose signature contains TEXT, if given;\n"
            "                          e.g. --until-crash=yank_unregister_instance)\n"
            "  -j, --jobs N            afl-fuzz instances on one sync dir (default 1)\n"
            "  -o, --out DIR           where everything goes (default hunt-DATE-TIME; must be new or empty)\n"
            "      --join DIR          add secondary instances to the hunt whose --out is DIR (on a directory\n"
            "                          shared between machines, e.g. over NFS): its seeds and dictionary are\n"
            "                          used, and this process's triage goes to DIR/crashes-HOST-PID/\n"
            "      --seeds DIR         text schedules to start from (default: generated from the target: a\n"
            "                          plain migration, and every window `explore` can open on it with a\n"
            "                          query inside); seeds that already crash the target are left out\n"
            "      --dict FILE         schedule lines AFL++ may splice in (default: the hunt lines shipped\n"
            "                          with qmprace, fuzz/hunt-lines.sched in a checkout)\n"
            "      --triage-trials N   replays per crash input (default 20)\n"
            "      --no-minimize       keep reproducers as AFL++ found them\n"
            "      --harness PATH      the AFL++ harness (default: the one built or installed with qmprace)\n"
            "      --mutator PATH|none the structure-aware mutator AFL++ runs before its own (default: the\n"
            "                          one built or installed with qmprace); none: AFL++'s byte mutations only\n"
            "      --allow FILE        known crashes, one per line (# comments): SIGNATURE, or STATUS: SIGNATURE\n"
            "                          (only after that migration status); they are reported but do not make\n"
            "                          the exit status 1\n"
            "      --junit FILE        write a JUnit XML report (a test case per crash, failed if not allowed)\n"
            "      --sarif FILE        write a SARIF 2.1.0 log (a result per crash, reproducer attached)\n"
            "      --report FILE.html  write a self-contained page: each crash with its rate, reproducer and a\n"
            "                          crashing replay as a sequence diagram\n"
            "  -q, --quiet             no progress line\n"
            "  -h, --help              this text\n"
            "The trial profile (every trial here, in the harness and in each reproducer's header):\n");
    cmd_profile_usage(f, PROFILE_FOR_HUNT);
    fprintf(f,
            "\n"
            "Out: DIR/crashes/SLUG.sched (the reproducer; `qmprace run` it) and SLUG.txt (rate, timeline),\n"
            "DIR/summary.json and DIR/signatures.txt (a \"SIGNATURE<tab>K/N<tab>REPRODUCER<tab>PHASE\" line\n"
            "per crash; PHASE: the migration status before it), DIR/afl (AFL++'s own), DIR/seeds, DIR/logs.\n"
            "\n"
            "Exit status: 0 nothing found (with --allow: nothing outside the allow-list), 1 crashes found, 2 bad\n"
            "input or usage, 3 the target could not be started or afl-fuzz gave up before its first input (its\n"
            "reason is said), 130/143 interrupted.\n");
}

/* The arguments of `qmprace hunt`, and how it shows what the hunt says. */
struct cmd_hunt_state {
    const char *out, *harness_arg, *join, *mutator_arg;
    const char *allow_path, *junit_path, *sarif_path, *report_path, *time_arg;
    struct allow_list allow;
    struct hunt_options o;
    struct trial_profile prof; /* what the options say, then the hunt's defaults: the session's */
    char *dict;                /* the shipped one, when no option names it */
    bool quiet;
    char outbuf[64];    /* the default --out, hunt-DATE-TIME */
    char join_name[40]; /* with --join: this process's instances there, and the suffix of its files */
    struct cmd_progress when; /* timed by the hunt's elapsed time */
};

static bool parse_time(const char *arg, uint64_t *us)
{
    if (!cmd_opt_duration("hunt", "--time", arg, us))
        return false;
    if (*us < 1000000 || *us > 7ull * 24 * 3600 * 1000000) {
        fprintf(stderr, "qmprace hunt: --time: from 1 second to 7 days\n");
        return false;
    }
    return true;
}

/* The progress line: on a terminal rewritten every tick, elsewhere a line every 10 s, and the last one. */
static void cmd_hunt_show(void *arg, const struct hunt_progress *p)
{
    struct cmd_hunt_state *h = arg;
    if (h->quiet || !cmd_progress_due(&h->when, p->elapsed_us, p->final))
        return;
    unsigned s = (unsigned)(p->elapsed_us / 1000000);
    const struct afl_progress *a = &p->afl;
    /* AFL++'s executions beside what they were: migration trials (the rate that matters), and the share
     * of inputs that ran no migration or were refused */
    const struct tally *t = &a->tally;
    uint64_t inputs = t->migrations + t->no_migration + t->refused;
    double secs = a->elapsed_us ? a->elapsed_us / 1e6 : 1.0;
    char eps[32] = "-"; /* AFL++ says its rate only once it has run a few seconds */
    if (a->execs_per_sec > 0)
        snprintf(eps, sizeof eps, "%.0f", a->execs_per_sec);
    fprintf(stderr,
            "%shunt: %u:%02u elapsed, %s execs/s (%.1f migration trials/s; %.0f%% no migration, %.0f%% refused), "
            "%llu execs, %u paths, %u crash%s%s",
            h->when.tty ? "\r" : "", s / 60, s % 60, eps, t->migrations / secs,
            inputs ? 100.0 * t->no_migration / inputs : 0.0, inputs ? 100.0 * t->refused / inputs : 0.0,
            (unsigned long long)a->execs, a->paths, a->crashes, a->crashes == 1 ? "" : "es",
            h->when.tty && !p->final ? "   " : "\n");
}

/* A warning or an error: always said, even with -q. */
static void cmd_hunt_warn(void *arg, const char *text)
{
    (void)arg;
    fprintf(stderr, "qmprace hunt: %s\n", text);
}

static void cmd_hunt_crash(void *arg, const char *text)
{
    const struct cmd_hunt_state *h = arg;
    if (!h->quiet)
        fprintf(stderr, "%shunt: %s\n", h->when.tty ? "\r" : "", text);
}

static void cmd_hunt_triage(void *arg, const char *text)
{
    const struct cmd_hunt_state *h = arg;
    if (!h->quiet)
        fprintf(stderr, "triage: %s\n", text);
}

/* Parses the options into `h`. Returns -1 to go on, else the exit status (after --help or saying why). */
static int cmd_hunt_parse(int argc, char **argv, struct cmd_hunt_state *h)
{
    static const struct option longopts[] = {
        CMD_PROFILE_OPTIONS,
        {"time", required_argument, NULL, 'T'},
        {"until-crash", optional_argument, NULL, 'U'},   {"jobs", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},     {"seeds", required_argument, NULL, 'S'},
        {"dict", required_argument, NULL, 'D'},
        {"triage-trials", required_argument, NULL, 'n'}, {"no-minimize", no_argument, NULL, 'M'},
        {"harness", required_argument, NULL, 'H'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"join", required_argument, NULL, 'J'},
        {"mutator", required_argument, NULL, 'X'}, {"allow", required_argument, NULL, 'a'},
        {"junit", required_argument, NULL, 'u'},   {"sarif", required_argument, NULL, 's'},
        {"report", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    struct hunt_options *o = &h->o;
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:j:o:qh", longopts, NULL)) != -1) {
        int po = cmd_profile_option("hunt", c, optarg, &h->prof);
        if (po < 0)
            return EXIT_USAGE;
        if (po > 0)
            continue;
        switch (c) {
        case 'T':
            if (!parse_time(optarg, &o->time_us))
                return EXIT_USAGE;
            h->time_arg = optarg;
            break;
        case 'a':
            h->allow_path = optarg;
            break;
        case 'u':
            h->junit_path = optarg;
            break;
        case 's':
            h->sarif_path = optarg;
            break;
        case 'R':
            h->report_path = optarg;
            break;
        case 'U':
            o->until_crash = true;
            o->until_text = optarg && *optarg ? optarg : NULL;
            break;
        case 'j':
            if (!cmd_opt_count("hunt", "--jobs", optarg, 1, 64, &v))
                return EXIT_USAGE;
            o->jobs = (unsigned)v;
            break;
        case 'o':
            h->out = optarg;
            break;
        case 'S':
            o->seeds = optarg;
            break;
        case 'D':
            o->dict = optarg;
            break;
        case 'n':
            if (!cmd_opt_count("hunt", "--triage-trials", optarg, 1, 10000, &v))
                return EXIT_USAGE;
            o->triage_trials = (unsigned)v;
            break;
        case 'M':
            o->minimize = false;
            break;
        case 'H':
            h->harness_arg = optarg;
            break;
        case 'J':
            h->join = optarg;
            break;
        case 'X':
            h->mutator_arg = optarg;
            break;
        case 'q':
            h->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            return cmd_usage_error("hunt", "bad option");
        }
    }
    if (optind < argc)
        return cmd_usage_error("hunt", "unexpected argument '%s'", argv[optind]);
    /* Trials as short as the race needs: the target kind's small guest and short deadline */
    session_defaults(&h->prof, PROFILE_FOR_HUNT);
    struct err e = {{0}};
    if (h->allow_path && allow_load(h->allow_path, &h->allow, &e) < 0)
        return cmd_usage_error("hunt", "--allow: %s", e.msg);
    return -1;
}

/* Where the hunt goes: --join DIR (as HOST-PID), --out DIR, or hunt-DATE-TIME. Returns -1 to go on, else
 * the exit status. */
static int cmd_hunt_where(struct cmd_hunt_state *h)
{
    if (h->join) {
        if (h->out)
            return cmd_usage_error("hunt", "--join and --out do not go together: --join names the hunt's --out");
        h->out = h->join;
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[strcspn(host, ".")] = '\0'; /* a short, file-name-safe name */
        snprintf(h->join_name, sizeof h->join_name, "%.24s-%d", host, (int)getpid());
        h->o.join_name = h->join_name;
    }
    if (!h->out) {
        time_t now = time(NULL);
        strftime(h->outbuf, sizeof h->outbuf, "hunt-%Y%m%d-%H%M%S", localtime(&now));
        h->out = h->outbuf;
    }
    h->o.out = h->out;
    return -1;
}

/* AFL++ and the harness, each with how to get it when it is missing. Returns -1 to go on, else the exit
 * status. */
static int cmd_hunt_tools(struct cmd_hunt_state *h, char **afl, char **harness, char **mutator)
{
    *afl = afl_fuzz_find();
    *harness = h->harness_arg ? strdup(h->harness_arg) : cmd_shipped_path(CMD_HARNESS);
    bool no_mutator = h->mutator_arg && strcmp(h->mutator_arg, "none") == 0;
    *mutator = no_mutator ? NULL : h->mutator_arg ? strdup(h->mutator_arg) : cmd_shipped_path(CMD_MUTATOR);
    if (!*afl) {
        fprintf(stderr, "qmprace hunt: AFL++ is not installed (no afl-fuzz on PATH).\n"
                        "Install it with:  apt-get install afl++   then rebuild qmprace so its harness is built.\n");
        return EXIT_USAGE;
    }
    if (!*harness || access(*harness, X_OK) != 0) {
        fprintf(stderr, "qmprace hunt: no AFL++ harness at %s.\n"
                        "It is built with qmprace when afl-clang-fast is installed (apt-get install afl++, then\n"
                        "rerun cmake and build), or name one with --harness.\n",
                *harness ? *harness : "(unknown)");
        return EXIT_USAGE;
    }
    if (*mutator && access(*mutator, R_OK) != 0) {
        if (h->mutator_arg) {
            fprintf(stderr, "qmprace hunt: --mutator %s: %s\n", *mutator, strerror(errno));
            return EXIT_USAGE;
        }
        fprintf(stderr, "qmprace hunt: warning: no structure-aware mutator at %s: AFL++'s byte mutations only\n",
                *mutator);
        free(*mutator);
        *mutator = NULL;
    }
    if (!h->o.dict)
        h->o.dict = h->dict = cmd_shipped_path(CMD_HUNT_DICT);
    h->o.afl_fuzz = *afl;
    h->o.harness = *harness;
    h->o.mutator = *mutator;
    return -1;
}

/* What the hunt found, on stdout. Returns the exit status, from the one so far: 1 for a crash, unless
 * every crash is in the --allow list. */
static int cmd_hunt_print(const struct cmd_hunt_state *h, const struct hunt_result *r, const char *spec, int rc)
{
    const struct triage *t = &r->triage;
    if (t->n) {
        printf("%zu crash%s found on %s:\n", t->n, t->n == 1 ? "" : "es", spec);
        bool fresh = false;
        for (size_t i = 0; i < t->n; i++) {
            const struct triage_case *c = &t->cases[i];
            unsigned k = repeat_signature_count(&c->rate, c->signature);
            bool known = allow_match(&h->allow, c->signature, c->phase);
            fresh |= !known;
            printf("  %s%s\n    after `%s`; %u/%u replays crashed; reproducer %s\n", c->signature,
                   known ? "  (known: in the allow-list)" : "", c->phase, k, c->rate.stats.trials,
                   c->file ? c->file : "(not written)");
        }
        if (rc == EXIT_OK && fresh)
            rc = EXIT_CRASH;
    } else if (rc == EXIT_OK) {
        printf("no crash found on %s (%llu execs)%s\n", spec, (unsigned long long)r->afl.execs,
               t->unreproduced ? "; AFL++ saved inputs that did not crash again in their replays" : "");
    }
    printf("summary: %s\n", r->dirs.summary);
    return rc;
}

/* --report. Returns the exit status, raised to EXIT_USAGE when the page cannot be written. */
static int cmd_hunt_html(const struct cmd_hunt_state *h, const struct hunt_result *r, const struct session *s, int rc)
{
    if (!h->report_path)
        return rc;
    const struct trial_profile *prof = session_profile(s);
    const struct vocab_target *vt = target_vocab(session_target(s));
    struct html_target t = {prof->target, vt ? vt->version : "", QMPRACE_VERSION};
    struct err e = {{0}};
    if (html_report_hunt(h->report_path, &t, prof, &r->triage, &r->afl, &e) < 0) {
        fprintf(stderr, "qmprace hunt: --report: %s\n", e.msg);
        rc = rc == EXIT_OK || rc == EXIT_CRASH ? EXIT_USAGE : rc;
    }
    return rc;
}

/* --junit and --sarif. Returns the exit status, raised to EXIT_USAGE when one cannot be written. */
static int cmd_hunt_ci(const struct cmd_hunt_state *h, const struct hunt_result *r, const struct session *s,
                       uint64_t elapsed_us, int rc)
{
    bool interrupted = session_signal(s) != 0;
    if (!h->junit_path && !h->sarif_path)
        return rc;
    const struct triage *t = &r->triage;
    struct ci_finding *f = calloc(t->n + 1, sizeof *f);
    if (!f) {
        fprintf(stderr, "qmprace hunt: out of memory for the CI reports\n");
        return rc == EXIT_OK || rc == EXIT_CRASH ? EXIT_USAGE : rc;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct triage_case *c = &t->cases[i];
        f[i] = (struct ci_finding){c->signature, c->phase, c->file, repeat_signature_count(&c->rate, c->signature),
                                   c->rate.stats.trials, allow_match(&h->allow, c->signature, c->phase)};
    }
    struct ci_run run = {"hunt", QMPRACE_VERSION, session_profile(s), h->time_arg ? h->time_arg : "10m", elapsed_us,
                         interrupted, f, t->n};
    struct err e = {{0}};
    if (h->junit_path && ci_junit_write(h->junit_path, &run, &e) < 0) {
        fprintf(stderr, "qmprace hunt: --junit: %s\n", e.msg);
        rc = rc == EXIT_OK || rc == EXIT_CRASH ? EXIT_USAGE : rc;
    }
    if (h->sarif_path && ci_sarif_write(h->sarif_path, &run, &e) < 0) {
        fprintf(stderr, "qmprace hunt: --sarif: %s\n", e.msg);
        rc = rc == EXIT_OK || rc == EXIT_CRASH ? EXIT_USAGE : rc;
    }
    free(f);
    return rc;
}

/* The exit status a hunt's failure means (see cmd.h). */
static int cmd_hunt_status(enum hunt_failure f)
{
    return f == HUNT_OK ? EXIT_OK : f == HUNT_TARGET ? EXIT_TARGET : EXIT_USAGE;
}

/* Runs the hunt and says how it went. Returns the exit status. */
static int cmd_hunt_go(struct cmd_hunt_state *h, struct session *s)
{
    struct err e = {{0}};
    cmd_progress_init(&h->when);
    uint64_t start = mono_now_us();
    struct hunt_hooks hooks = {.progress = cmd_hunt_show, .warning = cmd_hunt_warn, .error = cmd_hunt_warn,
                               .crash = cmd_hunt_crash, .triage = cmd_hunt_triage, .arg = h};
    struct hunt_result r;
    int rc;
    if (hunt_run(s, &h->o, &hooks, &r, &e) < 0) {
        if (r.failure == HUNT_BAD_OPTION)
            cmd_usage_error("hunt", "%s", e.msg);
        else if (r.failure == HUNT_BAD_SCHEDULE)
            fprintf(stderr, "%s\n", e.msg); /* FILE:LINE:COL: ..., as every schedule error */
        else
            fprintf(stderr, "qmprace hunt: %s\n", e.msg);
        rc = cmd_hunt_status(r.failure);
    } else {
        rc = cmd_hunt_print(h, &r, target_spec(session_target(s)), cmd_hunt_status(r.failure));
        rc = cmd_hunt_ci(h, &r, s, mono_now_us() - start, rc);
        rc = cmd_hunt_html(h, &r, s, rc);
        if (session_signal(s))
            rc = 128 + session_signal(s);
    }
    hunt_result_clear(&r);
    return rc;
}

int cmd_hunt(int argc, char **argv)
{
    struct cmd_hunt_state h = {.o = {.time_us = 600ull * 1000000,
                                     .jobs = 1, .triage_trials = 20, .minimize = true}};
    profile_init(&h.prof);
    int rc = cmd_hunt_parse(argc, argv, &h);
    struct session *s = NULL;
    char *afl = NULL, *harness = NULL, *mutator = NULL;
    if (rc < 0)
        rc = cmd_hunt_tools(&h, &afl, &harness, &mutator);
    if (rc < 0)
        rc = cmd_hunt_where(&h);
    if (rc < 0) /* the target is asked what it knows when the seeds run */
        rc = cmd_session_open("hunt", &h.prof, SESSION_SIGNALS, NULL, 0, &s);
    if (rc < 0)
        rc = cmd_hunt_go(&h, s);
    session_free(s);
    free(afl);
    free(harness);
    free(mutator);
    allow_free(&h.allow);
    profile_clear(&h.prof);
    free(h.dict);
    return rc;
}

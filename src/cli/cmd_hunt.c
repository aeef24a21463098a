/* cmd_hunt: `qmprace hunt`: the main job. Seeds AFL++ with the corpus (encoded, minus seeds that already
 * crash the target), runs afl-fuzz on the schedule harness with a live progress line, stops at the time
 * limit or (with --until-crash) at the first crash, then triages what it found into minimized reproducers
 * with rates and reports under DIR/crashes/. Exit status: 0 nothing found, 1 crashes found, 2 bad input or
 * usage (also: AFL++ or the harness missing), 3 the target could not be started, 130/143 interrupted (what
 * was found so far is still triaged and written). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "afl_fuzz.h"
#include "cmd.h"
#include "cmd_opts.h"
#include "mono.h"
#include "schedule.h"
#include "target.h"
#include "triage.h"
#include "trial.h"
#include "units.h"

#define DEFAULT_TARGET "sim:qemu-7.2"
#define MAX_SEEDS 256

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace hunt [options]\n"
            "Fuzz timing schedules with AFL++ against a target until a crash or the time limit, then turn\n"
            "each crash into a minimized reproducer with its crash rate.\n"
            "\n"
            "Options:\n"
            "  -t, --target SPEC       where to hunt (default " DEFAULT_TARGET ")\n"
            "      --time DUR          how long AFL++ runs (default 10m; a bare number is seconds)\n"
            "      --until-crash[=TEXT] stop at the first crash (whose signature contains TEXT, if given;\n"
            "                          e.g. --until-crash=yank_unregister_instance)\n"
            "  -j, --jobs N            afl-fuzz instances on one sync dir (default 1)\n"
            "  -o, --out DIR           where everything goes (default hunt-DATE-TIME; must be new or empty)\n"
            "      --join DIR          add secondary instances to the hunt whose --out is DIR (on a directory\n"
            "                          shared between machines, e.g. over NFS): its seeds and dictionary are\n"
            "                          used, and this process's triage goes to DIR/crashes-HOST-PID/\n"
            "      --seeds DIR         text schedules to start from (default corpus); seeds that already\n"
            "                          crash the target are left out\n"
            "      --dict FILE         schedule lines AFL++ may splice in (default fuzz/hunt-lines.sched)\n"
            "      --without ACTIONS   leave these actions out of every schedule tried, e.g. params\n"
            "      --deadline DUR      one trial's deadline (default 200ms on sim:, 5s elsewhere)\n"
            "      --ram SIZE          guest RAM (default 32MiB on sim:, the target's default elsewhere)\n"
            "      --triage-trials N   replays per crash input (default 20)\n"
            "      --no-minimize       keep reproducers as AFL++ found them\n"
            "      --harness PATH      the AFL++ harness (default: the one built next to qmprace)\n"
            "  -q, --quiet             no progress line\n"
            "  -h, --help              this text\n"
            "\n"
            "Out: DIR/crashes/SLUG.sched (the reproducer; `qmprace run` it) and SLUG.txt (rate, timeline),\n"
            "DIR/summary.json and DIR/signatures.txt (a \"SIGNATURE<tab>K/N<tab>REPRODUCER<tab>PHASE\" line\n"
            "per crash; PHASE: the migration status before it), DIR/afl (AFL++'s own), DIR/seeds, DIR/logs.\n"
            "\n"
            "Exit status: 0 nothing found, 1 crashes found, 2 bad input or usage, 3 the target could not be\n"
            "started, 130/143 interrupted.\n");
}

struct hunt {
    const char *target_spec, *out, *seeds, *dict_src, *harness_arg;
    uint64_t time_us, deadline_us, ram;
    unsigned jobs, triage_trials, without;
    bool until_crash, minimize, quiet;
    const char *without_list;
    const char *until_text; /* --until-crash=TEXT */
    const char *join;       /* --join DIR: a hunt another process or machine runs the main instance of */
    char join_name[40];     /* this process's instances there, and the suffix of its output files */
    struct event_base *base;
    int signo;
    struct trial_env *env; /* while trials run in this process */
    struct afl_jobs *afl;  /* while afl-fuzz runs */
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct hunt *h = arg;
    if (!h->signo)
        h->signo = (int)sig;
    if (h->env)
        trial_env_interrupt(h->env);
    event_base_loopbreak(h->base);
}

static bool parse_time(const char *arg, uint64_t *us)
{
    char *end;
    unsigned long long secs = strtoull(arg, &end, 10);
    if (*arg && !*end && arg[0] != '-') {
        if (secs == 0 || secs > 7 * 24 * 3600) {
            fprintf(stderr, "qmprace hunt: --time: from 1 second to 7 days\n");
            return false;
        }
        *us = secs * 1000000ull;
        return true;
    }
    if (!cmd_opt_duration("hunt", "--time", arg, us))
        return false;
    if (*us < 1000000) {
        fprintf(stderr, "qmprace hunt: --time: at least 1s\n");
        return false;
    }
    return true;
}

static char *harness_path(const char *arg)
{
    if (arg)
        return strdup(arg);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    char *p = NULL;
    return asprintf(&p, "%s/afl/harness/qmprace-harness", exe) > 0 ? p : NULL;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "qmprace hunt: %s: %s\n", path, strerror(errno));
    return -1;
}

static bool dir_empty_or_missing(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT;
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    closedir(d);
    return empty;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Text schedules in DIR, sorted. */
static size_t list_schedules(const char *dir, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    char **v = calloc(MAX_SEEDS, sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d)) && n < MAX_SEEDS) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".sched") == 0 &&
            asprintf(&v[n], "%s/%s", dir, de->d_name) > 0)
            n++;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static int write_bytes(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Encodes the seeds that do not crash the target into DIR/seeds. Returns how many, or -1 (exit status
 * in *rc). */
static int prepare_seeds(struct hunt *h, struct target *target, const char *seed_dir, int *rc)
{
    char **files;
    size_t n = list_schedules(h->seeds, &files);
    if (!n) {
        fprintf(stderr, "qmprace hunt: no *.sched seeds in '%s' (see --seeds)\n", h->seeds);
        free(files);
        *rc = EXIT_USAGE;
        return -1;
    }
    struct err e = {{0}};
    h->env = trial_env_new(h->base, target, &e);
    if (!h->env) {
        fprintf(stderr, "qmprace hunt: cannot set up the fault proxy: %s\n", e.msg);
        *rc = EXIT_TARGET;
        goto fail;
    }
    struct trial_options topt = {.deadline_us = h->deadline_us};
    int kept = 0;
    for (size_t i = 0; i < n && !h->signo; i++) {
        struct schedule *s = schedule_load(files[i], &e);
        if (!s) {
            fprintf(stderr, "%s\n", e.msg);
            *rc = EXIT_USAGE;
            goto fail;
        }
        schedule_without(s, h->without);
        uint8_t *bin = NULL;
        size_t len = 0;
        if (trial_check(s, target, &e) < 0 || schedule_encode(s, &bin, &len, &e) < 0) {
            fprintf(stderr, "qmprace hunt: seed left out: %s\n", e.msg);
            schedule_free(s);
            continue;
        }
        struct trial_result r;
        int trc = trial_run(h->env, s, &topt, &r, &e);
        if (trc < 0) {
            fprintf(stderr, "qmprace hunt: %s: %s\n", target_spec(target), e.msg);
            free(bin);
            schedule_free(s);
            *rc = EXIT_TARGET;
            goto fail;
        }
        if (trc == 0 && r.verdict == VERDICT_CRASH) {
            fprintf(stderr, "qmprace hunt: seed left out: %s already crashes the target (%s)\n", files[i],
                    r.signature);
        } else if (trc == 0) {
            char path[8400];
            snprintf(path, sizeof path, "%s/%.*s.bin", seed_dir, (int)(strlen(base_name(files[i])) - 6),
                     base_name(files[i]));
            if (write_bytes(path, bin, len) == 0)
                kept++;
        }
        trial_result_clear(&r);
        free(bin);
        schedule_free(s);
    }
    trial_env_free(h->env);
    h->env = NULL;
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    if (!kept && !h->signo) {
        fprintf(stderr, "qmprace hunt: no usable seed in '%s': each was left out (see above)\n", h->seeds);
        *rc = EXIT_USAGE;
        return -1;
    }
    return kept;
fail:
    trial_env_free(h->env);
    h->env = NULL;
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    return -1;
}

/* Each line of the dictionary schedule, encoded, as one AFL++ dictionary token. */
static const char *prepare_dict(struct hunt *h, const char *path_out)
{
    struct err e = {{0}};
    if (!h->dict_src || access(h->dict_src, R_OK) != 0)
        return NULL;
    struct schedule *s = schedule_load(h->dict_src, &e);
    if (!s) {
        fprintf(stderr, "qmprace hunt: dictionary left out: %s\n", e.msg);
        return NULL;
    }
    schedule_without(s, h->without);
    FILE *f = fopen(path_out, "w");
    if (!f) {
        schedule_free(s);
        return NULL;
    }
    unsigned tokens = 0;
    for (size_t i = 0; i < s->nlines; i++) {
        struct schedule one = {.lines = &s->lines[i], .nlines = 1, .name = s->name};
        uint8_t *bin = NULL;
        size_t len = 0;
        if (schedule_encode(&one, &bin, &len, &e) < 0)
            continue;
        fprintf(f, "line_%zu=\"", i + 1);
        for (size_t k = 0; k < len; k++)
            fprintf(f, "\\x%02x", bin[k]);
        fprintf(f, "\"\n");
        free(bin);
        tokens++;
    }
    schedule_free(s);
    fclose(f);
    return tokens ? path_out : NULL;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void show(const struct hunt *h, uint64_t elapsed_us, const struct afl_progress *p, bool tty, bool final)
{
    if (h->quiet)
        return;
    unsigned s = (unsigned)(elapsed_us / 1000000);
    fprintf(stderr, "%shunt: %u:%02u elapsed, %.0f execs/s, %llu execs, %u paths, %u crash%s%s", tty ? "\r" : "",
            s / 60, s % 60, p->execs_per_sec, (unsigned long long)p->execs, p->paths, p->crashes,
            p->crashes == 1 ? "" : "es", tty && !final ? "   " : "\n");
}

/* Live triage: each crash input AFL++ saves is replayed once here as soon as it appears, so the user sees
 * what was found while the hunt goes on, and --until-crash=TEXT can stop at the crash it is after. */
struct live {
    char **seen;
    size_t nseen;
    bool matched;
};

static bool live_seen(const struct live *l, const char *file)
{
    for (size_t i = 0; i < l->nseen; i++)
        if (strcmp(l->seen[i], file) == 0)
            return true;
    return false;
}

static void live_check(struct hunt *h, struct target *target, const char *sync_dir, struct live *l, bool tty)
{
    char **files;
    size_t n = afl_crash_files(sync_dir, 200, &files);
    unsigned replayed = 0;
    for (size_t i = 0; i < n; i++) {
        if (replayed >= 4 || live_seen(l, files[i]) || h->signo) {
            free(files[i]);
            continue;
        }
        char **ns = realloc(l->seen, (l->nseen + 1) * sizeof *ns);
        if (!ns) {
            free(files[i]);
            continue;
        }
        l->seen = ns;
        l->seen[l->nseen++] = files[i];
        replayed++;
        struct err e = {{0}};
        if (!h->env && !(h->env = trial_env_new(h->base, target, &e)))
            continue;
        struct schedule *s = triage_load_input(files[i], h->without);
        if (!s)
            continue;
        struct trial_options topt = {.deadline_us = h->deadline_us};
        struct trial_result r;
        if (trial_run(h->env, s, &topt, &r, &e) == 0) {
            const char *what = r.verdict == VERDICT_CRASH ? r.signature : "did not crash again on replay";
            if (!h->quiet)
                fprintf(stderr, "%shunt: crash %zu: %s\n", tty ? "\r" : "", l->nseen, what);
            if (r.verdict == VERDICT_CRASH && (!h->until_text || strstr(r.signature, h->until_text)))
                l->matched = true;
        }
        trial_result_clear(&r);
        schedule_free(s);
    }
    free(files);
}

static void live_free(struct live *l)
{
    for (size_t i = 0; i < l->nseen; i++)
        free(l->seen[i]);
    free(l->seen);
}

static void triage_say(void *arg, const char *msg)
{
    const struct hunt *h = arg;
    if (!h->quiet)
        fprintf(stderr, "triage: %s\n", msg);
}

int cmd_hunt(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'},  {"time", required_argument, NULL, 'T'},
        {"until-crash", optional_argument, NULL, 'U'},   {"jobs", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},     {"seeds", required_argument, NULL, 'S'},
        {"dict", required_argument, NULL, 'D'},    {"without", required_argument, NULL, 'W'},
        {"deadline", required_argument, NULL, 'd'}, {"ram", required_argument, NULL, 'r'},
        {"triage-trials", required_argument, NULL, 'n'}, {"no-minimize", no_argument, NULL, 'M'},
        {"harness", required_argument, NULL, 'H'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"join", required_argument, NULL, 'J'},
        {NULL, 0, NULL, 0},
    };
    struct hunt h = {.target_spec = DEFAULT_TARGET, .seeds = "corpus", .dict_src = "fuzz/hunt-lines.sched",
                     .time_us = 600ull * 1000000, .jobs = 1, .triage_trials = 20, .minimize = true};
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:j:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            h.target_spec = optarg;
            break;
        case 'T':
            if (!parse_time(optarg, &h.time_us))
                return EXIT_USAGE;
            break;
        case 'U':
            h.until_crash = true;
            h.until_text = optarg && *optarg ? optarg : NULL;
            break;
        case 'j':
            if (!cmd_opt_count("hunt", "--jobs", optarg, 1, 64, &v))
                return EXIT_USAGE;
            h.jobs = (unsigned)v;
            break;
        case 'o':
            h.out = optarg;
            break;
        case 'S':
            h.seeds = optarg;
            break;
        case 'D':
            h.dict_src = optarg;
            break;
        case 'W': {
            struct err e;
            if (schedule_action_mask_parse(optarg, &h.without, &e) < 0)
                return cmd_usage_error("hunt", "--without: %s", e.msg);
            h.without_list = optarg;
            break;
        }
        case 'd':
            if (!cmd_opt_duration("hunt", "--deadline", optarg, &h.deadline_us))
                return EXIT_USAGE;
            if (!h.deadline_us)
                return cmd_usage_error("hunt", "--deadline: must be more than 0");
            break;
        case 'r':
            if (!cmd_opt_size("hunt", "--ram", optarg, &h.ram))
                return EXIT_USAGE;
            break;
        case 'n':
            if (!cmd_opt_count("hunt", "--triage-trials", optarg, 1, 10000, &v))
                return EXIT_USAGE;
            h.triage_trials = (unsigned)v;
            break;
        case 'M':
            h.minimize = false;
            break;
        case 'H':
            h.harness_arg = optarg;
            break;
        case 'J':
            h.join = optarg;
            break;
        case 'q':
            h.quiet = true;
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
    bool sim = strncmp(h.target_spec, "sim:", 4) == 0;
    if (!h.deadline_us)
        h.deadline_us = sim ? 200000 : 5000000;
    if (!h.ram && sim)
        h.ram = 32ull << 20;

    int rc = EXIT_OK;
    struct err e = {{0}};
    struct target_options topt = {.ram_bytes = h.ram};
    struct target *target = target_new(h.target_spec, &topt, &e);
    if (!target)
        return cmd_usage_error("hunt", "%s", e.msg);
    char *afl = afl_fuzz_find();
    char *harness = harness_path(h.harness_arg);
    char outbuf[64], dir[4096], seed_dir[4200], sync_dir[4200], log_dir[4200], dict[4200], crash_dir[4200];
    struct event *sigint = NULL, *sigterm = NULL, *tick = NULL;
    struct triage tri = {0};
    struct afl_progress prog = {0};
    char **crashes = NULL;
    size_t ncrashes = 0;
    if (!afl) {
        fprintf(stderr, "qmprace hunt: AFL++ is not installed (no afl-fuzz on PATH).\n"
                        "Install it with:  apt-get install afl++   then rebuild qmprace so its harness is built.\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (!harness || access(harness, X_OK) != 0) {
        fprintf(stderr, "qmprace hunt: no AFL++ harness at %s.\n"
                        "It is built with qmprace when afl-clang-fast is installed (apt-get install afl++, then\n"
                        "rerun cmake and build), or name one with --harness.\n",
                harness ? harness : "(unknown)");
        rc = EXIT_USAGE;
        goto out;
    }
    if (h.join) {
        if (h.out) {
            rc = cmd_usage_error("hunt", "--join and --out do not go together: --join names the hunt's --out");
            goto out;
        }
        h.out = h.join;
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[strcspn(host, ".")] = '\0'; /* a short, file-name-safe name */
        snprintf(h.join_name, sizeof h.join_name, "%.24s-%d", host, (int)getpid());
    }
    if (!h.out) {
        time_t now = time(NULL);
        strftime(outbuf, sizeof outbuf, "hunt-%Y%m%d-%H%M%S", localtime(&now));
        h.out = outbuf;
    }
    if (!h.join && !dir_empty_or_missing(h.out)) {
        rc = cmd_usage_error("hunt", "--out: '%s' exists and is not empty", h.out);
        goto out;
    }
    snprintf(dir, sizeof dir, "%s", h.out);
    snprintf(seed_dir, sizeof seed_dir, "%s/seeds", dir);
    snprintf(sync_dir, sizeof sync_dir, "%s/afl", dir);
    snprintf(log_dir, sizeof log_dir, "%s/logs", dir);
    snprintf(dict, sizeof dict, "%s/dict", dir);
    snprintf(crash_dir, sizeof crash_dir, "%s/crashes%s%s", dir, h.join ? "-" : "", h.join_name);
    if (h.join && (access(seed_dir, R_OK) != 0 || access(sync_dir, R_OK) != 0)) {
        rc = cmd_usage_error("hunt", "--join: '%s' is not a running hunt's directory (no seeds/ and afl/)", dir);
        goto out;
    }
    if (make_dir(dir) || make_dir(seed_dir) || make_dir(log_dir)) {
        rc = EXIT_USAGE;
        goto out;
    }

    h.base = mono_event_base_new();
    if (!h.base) {
        rc = EXIT_TARGET;
        goto out;
    }
    sigint = evsignal_new(h.base, SIGINT, on_signal, &h);
    sigterm = evsignal_new(h.base, SIGTERM, on_signal, &h);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);

    if (!h.join && prepare_seeds(&h, target, seed_dir, &rc) < 0)
        goto out;
    if (h.signo)
        goto summary;
    const char *dict_path = h.join ? (access(dict, R_OK) == 0 ? dict : NULL) : prepare_dict(&h, dict);

    /* afl-fuzz runs the harness in its own processes; it needs the target described in its environment */
    char env_target[512], env_deadline[64], env_ram[64], env_without[128];
    char dl[32], ram[32];
    units_format_duration(h.deadline_us, dl, sizeof dl);
    units_format_size(h.ram, ram, sizeof ram);
    snprintf(env_target, sizeof env_target, "QMPRACE_HARNESS_TARGET=%s", h.target_spec);
    snprintf(env_deadline, sizeof env_deadline, "QMPRACE_HARNESS_DEADLINE=%s", dl);
    snprintf(env_ram, sizeof env_ram, "QMPRACE_HARNESS_RAM=%s", h.ram ? ram : "0"); /* 0: the target's default */
    snprintf(env_without, sizeof env_without, "QMPRACE_HARNESS_WITHOUT=%s", h.without_list ? h.without_list : "");
    const char *env[] = {env_target, env_deadline, env_ram, env_without, NULL};
    unsigned seconds = (unsigned)(h.time_us / 1000000);
    struct afl_job_options ao = {
        .afl_fuzz = afl, .harness = harness, .seeds_dir = seed_dir, .sync_dir = sync_dir, .log_dir = log_dir,
        .dict = dict_path, .jobs = h.jobs, .seconds = seconds,
        .timeout_ms = (unsigned)(h.deadline_us / 1000) * 3 + 1000, .until_crash = h.until_crash && !h.until_text, .env = env,
        .join_name = h.join ? h.join_name : NULL,
    };
    h.afl = afl_jobs_start(&ao, &e);
    if (!h.afl) {
        fprintf(stderr, "qmprace hunt: cannot start afl-fuzz: %s\n", e.msg);
        rc = EXIT_TARGET;
        goto out;
    }
    bool tty = isatty(STDERR_FILENO);
    uint64_t start = mono_now_us(), last_line = 0;
    struct live live = {0};
    tick = evtimer_new(h.base, on_tick, h.base);
    for (;;) {
        struct timeval tv = mono_tv(200000);
        evtimer_add(tick, &tv);
        event_base_dispatch(h.base);
        afl_jobs_poll(h.afl, &prog);
        if (prog.crashes > live.nseen)
            live_check(&h, target, sync_dir, &live, tty);
        uint64_t now = mono_now_us();
        if (tty || now - last_line >= 10000000) {
            show(&h, now - start, &prog, tty, false);
            last_line = now;
        }
        if (h.signo || !prog.running || (h.until_crash && live.matched) || now - start > h.time_us + 30000000)
            break;
    }
    live_free(&live);
    trial_env_free(h.env);
    h.env = NULL;
    afl_jobs_stop(h.afl, 5000);
    afl_jobs_poll(h.afl, &prog);
    show(&h, mono_now_us() - start, &prog, tty, true);
    if (prog.exit_status > 0 && !h.signo && prog.crashes == 0 && prog.execs == 0)
        fprintf(stderr, "qmprace hunt: afl-fuzz stopped early (status %d); see %s/afl-*.log\n", prog.exit_status,
                log_dir);

    ncrashes = afl_crash_files(sync_dir, 200, &crashes);
    if (ncrashes) {
        h.env = trial_env_new(h.base, target, &e);
        if (!h.env) {
            fprintf(stderr, "qmprace hunt: cannot set up the fault proxy: %s\n", e.msg);
            rc = EXIT_TARGET;
            goto summary;
        }
        struct trial_options trial = {.deadline_us = h.deadline_us};
        struct triage_options to = {.trials = h.triage_trials, .without = h.without, .minimize = h.minimize,
                                    .trial = &trial};
        if (triage_run(h.env, crashes, ncrashes, &to, triage_say, &h, &tri, &e) < 0) {
            fprintf(stderr, "qmprace hunt: triage: %s: %s\n", target_spec(target), e.msg);
            rc = EXIT_TARGET;
        }
        if (triage_write(&tri, crash_dir, target_spec(target), &e) < 0) {
            fprintf(stderr, "qmprace hunt: %s\n", e.msg);
            rc = EXIT_USAGE;
        }
    }

summary:;
    json_object *sum = json_object_new_object();
    json_object_object_add(sum, "target", json_object_new_string(target_spec(target)));
    json_object_object_add(sum, "jobs", json_object_new_int64(h.jobs));
    json_object_object_add(sum, "without", json_object_new_string(h.without_list ? h.without_list : ""));
    json_object_object_add(sum, "execs", json_object_new_int64((int64_t)prog.execs));
    json_object_object_add(sum, "paths", json_object_new_int64(prog.paths));
    json_object_object_add(sum, "afl_crashes", json_object_new_int64(prog.crashes));
    json_object_object_add(sum, "unreproduced", json_object_new_int64(tri.unreproduced));
    json_object_object_add(sum, "interrupted", json_object_new_boolean(h.signo != 0 || tri.interrupted));
    json_object_object_add(sum, "crashes", triage_json(&tri));
    char sum_path[4200];
    snprintf(sum_path, sizeof sum_path, "%s/summary%s%s.json", dir, h.join ? "-" : "", h.join_name);
    if (json_object_to_file_ext(sum_path, sum, JSON_C_TO_STRING_PRETTY) < 0)
        fprintf(stderr, "qmprace hunt: cannot write %s\n", sum_path);
    json_object_put(sum);
    /* the same list, one "SIGNATURE<TAB>CRASHES/TRIALS<TAB>REPRODUCER<TAB>PHASE" line each, for scripts */
    char sig_path[4200];
    snprintf(sig_path, sizeof sig_path, "%s/signatures%s%s.txt", dir, h.join ? "-" : "", h.join_name);
    FILE *sf = fopen(sig_path, "w");
    for (size_t i = 0; sf && i < tri.n; i++)
        fprintf(sf, "%s\t%u/%u\t%s\t%s\n", tri.cases[i].signature,
                repeat_signature_count(&tri.cases[i].rate, tri.cases[i].signature), tri.cases[i].rate.stats.trials,
                tri.cases[i].file ? tri.cases[i].file : "", tri.cases[i].phase);
    if (!sf || fclose(sf) != 0)
        fprintf(stderr, "qmprace hunt: cannot write %s\n", sig_path);

    if (tri.n) {
        printf("%zu crash%s found on %s:\n", tri.n, tri.n == 1 ? "" : "es", target_spec(target));
        for (size_t i = 0; i < tri.n; i++) {
            unsigned k = repeat_signature_count(&tri.cases[i].rate, tri.cases[i].signature);
            printf("  %s\n    after `%s`; %u/%u replays crashed; reproducer %s\n", tri.cases[i].signature,
                   tri.cases[i].phase, k, tri.cases[i].rate.stats.trials,
                   tri.cases[i].file ? tri.cases[i].file : "(not written)");
        }
        if (rc == EXIT_OK)
            rc = EXIT_CRASH;
    } else if (rc == EXIT_OK) {
        printf("no crash found on %s (%llu execs)%s\n", target_spec(target), (unsigned long long)prog.execs,
               tri.unreproduced ? "; AFL++ saved inputs that did not crash again in their replays" : "");
    }
    printf("summary: %s\n", sum_path);
    if (h.signo)
        rc = 128 + h.signo;

out:
    for (size_t i = 0; i < ncrashes; i++)
        free(crashes[i]);
    free(crashes);
    triage_free(&tri);
    afl_jobs_free(h.afl);
    trial_env_free(h.env);
    if (tick)
        event_free(tick);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (h.base)
        event_base_free(h.base);
    target_free(target);
    free(afl);
    free(harness);
    return rc;
}

/* cmd_explore: `qmprace explore`: every command of the target's vocabulary inside every window qmprace
 * knows how to open, N times each, as a matrix (text, and --json: one object per cell), with a minimized
 * reproducer for each crashing cell. Exit status: 0 no crash, 1 crashes found, 2 bad input or usage, 3 the
 * target could not be started, 130/143 interrupted (the cells so far are printed and written). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_compare.h"
#include "cmd_json.h"
#include "cmd_opts.h"
#include "cmd_progress.h"
#include "cmd_session.h"
#include "explore.h"
#include "html_report.h"
#include "mono.h"
#include "vocab_target.h"


static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace explore [options]\n"
            "Send every command of the target's vocabulary (each capability on and off, each parameter\n"
            "changed, migrate, migrate_cancel, queries, stop, cont, ...) inside every window qmprace knows\n"
            "how to open, N times, and print the matrix: window x command -> crashes, refusals, hangs.\n"
            "\n"
            "Options:\n"
            "  -n, --repeat N        trials per cell (default 3)\n"
            "      --jobs N          run the cells in N worker processes, each with a target of its own (a\n"
            "                        QEMU each: N times the memory), a window's cells in one worker\n"
            "                        (default 1, at most 64); the reproducers are made afterwards, here\n"
            "      --windows LIST    only the windows whose names contain one of these comma-separated parts\n"
            "      --commands LIST   only the commands that contain one of these parts (e.g. multifd,query)\n"
            "  -o, --out DIR         write a minimized reproducer for each crashing cell there (default\n"
            "                        explore-DATE-TIME; must be new or empty)\n"
            "      --json FILE|-     one JSON object per cell (- for stdout; the table then goes to stderr)\n"
            "      --report FILE.html a self-contained page: the matrix as a coloured grid, each crashing\n"
            "                        cell with its reproducer and a crashing trial as a sequence diagram\n"
            "      --time DUR        an overall bound, minimization included (default 10m)\n"
            "      --no-minimize     write the crashing cells' schedules as they are\n"
            "      --compare SPEC    the same sweep on a second target (the build with a patch), and each\n"
            "                        cell classified: closed (a finding on --target, none on SPEC), left open\n"
            "                        (on both), new (on SPEC only: a finding, or the command refused that\n"
            "                        --target accepted), same; reproducers under OUT/a and OUT/b; exit 1 when\n"
            "                        SPEC has a finding (left open or new); with --report, the page shows\n"
            "                        the matrix coloured by class and both builds' reproducers\n"
            "  -q, --quiet           no progress line\n"
            "  -h, --help            this text\n"
            "The trial profile:\n");
    cmd_profile_usage(f, PROFILE_FOR_EXPLORE);
    fprintf(f, "\n"
               "Windows: each status of QEMU's migration that qmprace can reach and hold open, from what the\n"
               "target reports (its statuses and capabilities; --dest qemu for those that need a destination\n"
               "that answers); a window the target cannot open is listed after the matrix with the reason,\n"
               "and so is one whose reaction never fired in its first cell (its other cells are not run):\n");
    for (size_t i = 0; explore_route_name(i); i++)
        fprintf(f, "  %s\n", explore_route_name(i));
    fprintf(f, "\nExit status: 0 no crash, 1 crashes found, 2 bad input or usage, 3 the target could not be\n"
               "started, 130/143 interrupted.\n");
}

struct explore_args {
    const char *json_path, *out, *report_path;
    const char *compare; /* --compare SPEC: the same sweep on a second target, side by side */
    struct explore_options o;
    struct trial_profile prof;
    bool quiet;
    bool made_out; /* --out did not exist: this run made it */
    char outbuf[64];
    struct cmd_progress when;
};

/* Parses the options into `a`. Returns -1 to go on, else the exit status. */
static int cmd_explore_parse(int argc, char **argv, struct explore_args *a)
{
    static const struct option longopts[] = {
        CMD_PROFILE_OPTIONS,
        {"repeat", required_argument, NULL, 'n'},   {"windows", required_argument, NULL, 'W'},
        {"commands", required_argument, NULL, 'C'}, {"out", required_argument, NULL, 'o'},
        {"json", required_argument, NULL, 'j'},     {"report", required_argument, NULL, 'R'},
        {"time", required_argument, NULL, 'T'},     {"no-minimize", no_argument, NULL, 'M'},
        {"compare", required_argument, NULL, 'c'},  {"jobs", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:n:o:qh", longopts, NULL)) != -1) {
        int po = cmd_profile_option("explore", c, optarg, &a->prof);
        if (po < 0)
            return EXIT_USAGE;
        if (po > 0)
            continue;
        switch (c) {
        case 'n':
            if (!cmd_opt_count("explore", "--repeat", optarg, 1, 1000, &v))
                return EXIT_USAGE;
            a->o.repeat = (unsigned)v;
            break;
        case 'J':
            if (!cmd_opt_count("explore", "--jobs", optarg, 1, 64, &v))
                return EXIT_USAGE;
            a->o.jobs = (unsigned)v;
            break;
        case 'W':
            a->o.windows = optarg;
            break;
        case 'C':
            a->o.commands = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'R':
            a->report_path = optarg;
            break;
        case 'j':
            a->json_path = optarg;
            break;
        case 'T':
            if (!cmd_opt_duration("explore", "--time", optarg, &a->o.time_us))
                return EXIT_USAGE;
            if (a->o.time_us < 1000000)
                return cmd_usage_error("explore", "--time: at least 1s");
            break;
        case 'M':
            a->o.minimize = false;
            break;
        case 'c':
            a->compare = optarg;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            return cmd_usage_error("explore", "bad option");
        }
    }
    if (optind < argc)
        return cmd_usage_error("explore", "unexpected argument '%s'", argv[optind]);
    session_defaults(&a->prof, PROFILE_FOR_EXPLORE);
    return -1;
}

static void on_progress(void *arg, size_t done, size_t total, const struct explore_cell *c)
{
    struct explore_args *a = arg;
    bool tty = a->when.tty;
    if (a->quiet || !cmd_progress_due(&a->when, mono_now_us(), done == total))
        return;
    fprintf(stderr, "%sexplore: cell %zu/%zu: [%s] x [%.40s]: %u/%u crashed%s", tty ? "\r" : "", done, total,
            c->window->name, c->command, c->rep.stats.crashes, c->rep.stats.trials,
            tty && done != total ? "          " : "\n");
}

static void on_say(void *arg, const char *msg)
{
    const struct explore_args *a = arg;
    if (!a->quiet)
        fprintf(stderr, "explore: %s\n", msg);
}

/* "3/3 X" a crash, "0/3 r" refused, "0/3 h" a hang, "0/3 ?" not run as written, "0/3" passed. */
static void cell_text(const struct explore_cell *c, char *buf, size_t n)
{
    const struct verdict_stats *s = &c->rep.stats;
    const char *mark = s->crashes      ? " X"
                       : s->violations ? " V"
                       : c->refused    ? " r"
                       : s->hangs      ? " h"
                       : s->unexercised ? " ?"
                                        : "";
    snprintf(buf, n, "%u/%u%s", s->crashes + s->violations, s->trials, mark);
}

/* The matrix: a row per command, a column per window (numbered, with a legend). */
static void print_table(FILE *f, const struct explore_result *r)
{
    const struct explore_window *cols[16];
    size_t ncols = explore_columns(r, cols, 16);
    for (size_t k = 0; k < ncols; k++)
        fprintf(f, "  W%zu = %s\n", k + 1, cols[k]->name);
    fprintf(f, "%-52s", "command");
    for (size_t k = 0; k < ncols; k++)
        fprintf(f, " %9s%zu", "W", k + 1);
    fputc('\n', f);
    for (size_t i = 0; i < r->done; i++) {
        const struct explore_cell *c = &r->cells[i];
        if (!explore_row_starts(r, i))
            continue;
        fprintf(f, "%-52.52s", c->command);
        for (size_t k = 0; k < ncols; k++) {
            char cell[32] = "";
            const struct explore_cell *at = explore_cell_at(r, cols[k], c->command);
            if (at)
                cell_text(at, cell, sizeof cell);
            fprintf(f, " %10s", cell);
        }
        fputc('\n', f);
    }
    fprintf(f, "(K/N: K of N trials crashed or violated a property; X crash, V violation, r refused, h hang, ? did "
               "not run as written)\n");
}

static void print_crashes(FILE *f, const struct explore_result *r)
{
    for (size_t i = 0; i < r->done; i++) {
        const struct explore_cell *c = &r->cells[i];
        for (size_t k = 0; k < c->rep.stats.nsigs; k++)
            fprintf(f, "%s: [%s] x [%s]: %u/%u %s%s%s\n",
                    verdict_of_signature(c->rep.stats.sigs[k].key) == VERDICT_CRASH ? "crash" : "finding",
                    c->window->name, c->command,
                    c->rep.stats.sigs[k].count, c->rep.stats.trials, c->rep.stats.sigs[k].key,
                    k == 0 && c->reproducer ? "\n  reproducer: " : "", k == 0 && c->reproducer ? c->reproducer : "");
        if (!c->rep.stats.nsigs && c->rep.stats.nhang && !c->window_hangs) /* a hang of its own */
            fprintf(f, "hang: [%s] x [%s]: %u/%u %s%s%s\n", c->window->name, c->command, c->rep.stats.hang_reasons[0].count,
                    c->rep.stats.trials, c->rep.stats.hang_reasons[0].key, c->reproducer ? "\n  reproducer: " : "",
                    c->reproducer ? c->reproducer : "");
    }
}

/* The windows whose command was not always sent inside their status: a cell's 0/3 there says less. */
static void print_landing(FILE *f, const struct explore_result *r)
{
    for (size_t i = 0; i < r->windows.n; i++) {
        const struct explore_window *w = &r->windows.w[i];
        struct explore_landing l;
        explore_window_landing(r, w, &l);
        if (!l.sent || l.landed == l.sent)
            continue;
        char in[160] = "";
        for (int s = 0, n = 0; s < MIG_STATUS_COUNT; s++)
            if (w->statuses >> s & 1)
                snprintf(in + strlen(in), sizeof in - strlen(in), "%s`%s`", n++ ? " or " : "", vocab_status_name((enum mig_status)s));
        fprintf(f, "window %s: the command was sent in %s in %u of %u trials (otherwise in `%s`)\n", w->name, in, l.landed,
                l.sent, l.outside >= 0 ? vocab_status_name((enum mig_status)l.outside) : "?");
    }
}

static int write_json(const char *path, const struct explore_result *r)
{
    json_object *lines = json_object_new_array();
    for (size_t i = 0; i < r->done; i++)
        json_object_array_add(lines, explore_cell_json(&r->cells[i]));
    for (size_t i = 0; i < r->windows.nu; i++) { /* a window not opened: no cell, the reason */
        json_object *o = json_object_new_object();
        json_object_object_add(o, "window", json_object_new_string(r->windows.u[i].name));
        json_object_object_add(o, "unopened", json_object_new_string(r->windows.u[i].reason));
        json_object_array_add(lines, o);
    }
    int rc = cmd_json_lines("explore", path, lines, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(lines);
    return rc;
}

/* The reproducers' directory: given, or a new one named for now; it must be new or empty. */
static int cmd_explore_outdir(struct explore_args *a)
{
    if (!a->out) {
        time_t now = time(NULL);
        strftime(a->outbuf, sizeof a->outbuf, "explore-%Y%m%d-%H%M%S", localtime(&now));
        a->out = a->outbuf;
    }
    if (mkdir(a->out, 0755) == 0)
        a->made_out = true;
    else if (errno != EEXIST) {
        fprintf(stderr, "qmprace explore: %s: %m\n", a->out);
        return EXIT_USAGE;
    }
    if (rmdir(a->out) == 0 && mkdir(a->out, 0755) == 0) { /* it was empty */
        a->o.out = a->out;
        return -1;
    }
    return cmd_usage_error("explore", "--out: '%s' exists and is not empty", a->out);
}

/* The sweep, its table and what is written. Returns the exit status. */
static int cmd_explore_go(struct explore_args *a, struct session *s)
{
    struct err e = {{0}};
    const struct trial_profile *prof = session_profile(s);
    struct explore_result r = {0};
    struct explore_hooks h = {on_progress, on_say, a};
    int rc = EXIT_OK;
    if (explore_run(s, &a->o, &h, &r, &e) < 0) {
        fprintf(stderr, "qmprace explore: %s\n", e.msg);
        rc = r.usage ? EXIT_USAGE : EXIT_TARGET;
    }
    FILE *f = a->json_path && strcmp(a->json_path, "-") == 0 ? stderr : stdout;
    print_table(f, &r);
    print_crashes(f, &r);
    print_landing(f, &r);
    if (r.windows.nu)
        fprintf(f, "windows not opened on %s (%zu):\n", prof->target, r.windows.nu);
    for (size_t i = 0; i < r.windows.nu; i++)
        fprintf(f, "  %s: %s\n", r.windows.u[i].name, r.windows.u[i].reason);
    if (r.hanging_windows)
        fprintf(f, "note: %u window%s hung by %s on %s, whatever the command: %s other cells ran once each\n",
                r.hanging_windows, r.hanging_windows == 1 ? "" : "s", r.hanging_windows == 1 ? "itself" : "themselves",
                prof->target, r.hanging_windows == 1 ? "its" : "their");
    if (r.out_of_time)
        fprintf(f, "note: --time ran out after %zu of %zu cells\n", r.done, r.ncells);
    for (size_t i = 0; i < r.done && rc == EXIT_OK; i++)
        if (r.cells[i].rep.stats.crashes || r.cells[i].rep.stats.violations)
            rc = EXIT_CRASH;
    if (a->json_path && write_json(a->json_path, &r) < 0 && rc < EXIT_USAGE)
        rc = EXIT_USAGE;
    if (a->report_path) {
        struct html_target t = {prof->target, target_vocab(session_target(s))->version, QMPRACE_VERSION};
        if (html_report_explore(a->report_path, &t, prof, &r, &e) < 0) {
            fprintf(stderr, "qmprace explore: --report: %s\n", e.msg);
            if (rc < EXIT_USAGE)
                rc = EXIT_USAGE;
        }
    }
    if (session_signal(s))
        rc = 128 + session_signal(s);
    explore_result_free(&r);
    return rc;
}

/* One target's sweep, reproducers in `out` (NULL: none), under `prof`. Returns -1 to go on, else the exit
 * status (after saying why). */
static int cmd_explore_sweep(struct explore_args *a, const struct trial_profile *prof, const char *out,
                             struct explore_result *r, char *version, size_t version_len)
{
    struct session *s = NULL;
    int rc = cmd_session_open("explore", prof, SESSION_SIGNALS | SESSION_TRIALS, NULL, 0, &s);
    if (rc < 0) {
        struct explore_options o = a->o;
        o.out = out;
        struct explore_hooks h = {on_progress, on_say, a};
        struct err e = {{0}};
        if (explore_run(s, &o, &h, r, &e) < 0) {
            fprintf(stderr, "qmprace explore: %s: %s\n", prof->target, e.msg);
            rc = r->usage ? EXIT_USAGE : EXIT_TARGET;
        }
        if (session_signal(s))
            rc = 128 + session_signal(s);
        const struct vocab_target *vt = target_vocab(session_target(s));
        snprintf(version, version_len, "%s", vt ? vt->version : "");
    }
    session_free(s);
    return rc;
}

/* --compare: the sweep on --target (A), then on SPEC (B), and the cells side by side. */
static int cmd_explore_compare(struct explore_args *a)
{
    char out_a[4200] = "", out_b[4200] = "";
    if (a->o.out) {
        snprintf(out_a, sizeof out_a, "%s/a", a->o.out);
        snprintf(out_b, sizeof out_b, "%s/b", a->o.out);
        if (mkdir(out_a, 0755) < 0 || mkdir(out_b, 0755) < 0) {
            fprintf(stderr, "qmprace explore: %s: %m\n", a->o.out);
            return EXIT_USAGE;
        }
    }
    struct trial_profile pb;
    struct err e = {{0}};
    if (profile_copy(&pb, &a->prof, &e) < 0 || profile_set(&pb, "target", a->compare, &e) < 0) {
        profile_clear(&pb);
        return cmd_usage_error("explore", "--compare: %s", e.msg);
    }
    struct explore_result ra = {0}, rb = {0};
    char ver_a[128] = "", ver_b[128] = "";
    int rc = cmd_explore_sweep(a, &a->prof, out_a[0] ? out_a : NULL, &ra, ver_a, sizeof ver_a);
    if (rc < 0)
        rc = cmd_explore_sweep(a, &pb, out_b[0] ? out_b : NULL, &rb, ver_b, sizeof ver_b);
    FILE *f = a->json_path && strcmp(a->json_path, "-") == 0 ? stderr : stdout;
    if (ra.done) {
        unsigned on_b = cmd_compare_print(f, &ra, &rb, a->prof.target, pb.target);
        if (rc < 0)
            rc = on_b ? EXIT_CRASH : EXIT_OK;
        if (a->json_path && cmd_compare_json(a->json_path, &ra, &rb) < 0 && rc <= EXIT_CRASH)
            rc = EXIT_USAGE;
        struct html_target ta = {a->prof.target, ver_a, QMPRACE_VERSION}, tb = {pb.target, ver_b, QMPRACE_VERSION};
        if (a->report_path && html_report_compare(a->report_path, &ta, &tb, &a->prof, &ra, &rb, &e) < 0) {
            fprintf(stderr, "qmprace explore: --report: %s\n", e.msg);
            if (rc <= EXIT_CRASH)
                rc = EXIT_USAGE;
        }
    }
    if (out_a[0]) /* what got no reproducer is not left behind */
    {
        rmdir(out_a);
        rmdir(out_b);
    }
    explore_result_free(&ra);
    explore_result_free(&rb);
    profile_clear(&pb);
    return rc < 0 ? EXIT_OK : rc;
}

int cmd_explore(int argc, char **argv)
{
    struct explore_args a = {.o = {.minimize = true}};
    profile_init(&a.prof);
    cmd_progress_init(&a.when);
    struct session *s = NULL;
    int rc = cmd_explore_parse(argc, argv, &a);
    if (rc < 0)
        rc = cmd_explore_outdir(&a);
    if (rc < 0 && a.compare)
        rc = cmd_explore_compare(&a);
    if (rc < 0)
        rc = cmd_session_open("explore", &a.prof, SESSION_SIGNALS | SESSION_TRIALS, NULL, 0, &s);
    if (rc < 0)
        rc = cmd_explore_go(&a, s);
    /* a directory this run made that got no reproducer is not left behind (rmdir keeps a full one) */
    if (a.made_out)
        rmdir(a.o.out);
    profile_clear(&a.prof);
    session_free(s);
    return rc;
}

/* cmd_sim: `qmprace sim --listen unix:PATH|tcp:HOST:PORT [--model NAME]`: serve the simulated VMM so any
 * QMP client (qmprace with --target qmp:..., libvirt's tests, a script) can talk to it. Prints what the
 * modeled QEMU would print on its stderr, and one line per modeled death. Runs until SIGINT/SIGTERM, then
 * removes its socket file and exits 0. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opts.h"
#include "session.h"
#include "sim.h"
#include "verdict.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace sim --listen unix:PATH|tcp:HOST:PORT [--model NAME] [--ram SIZE] [--trace]\n"
            "Serve the simulated VMM over QMP until interrupted (Ctrl-C or SIGTERM).\n"
            "\n"
            "  -l, --listen ADDR  where to listen: a unix socket path (must not exist yet) or a loopback\n"
            "                     TCP address such as tcp:127.0.0.1:4444\n"
            "  -m, --model NAME   the behaviour to model (default qemu-7.2):\n");
    for (const char *const *m = sim_model_names(); *m; m++)
        fprintf(f, "                       %-10s %s\n", *m, sim_model_summary(sim_model_find(*m)));
    fprintf(f,
            "      --ram SIZE     guest RAM to migrate (default 256MiB)\n"
            "      --trace        print the modeled QEMU's trace points on stderr\n"
            "  -h, --help         this text\n"
            "\n"
            "A modeled crash closes the VMM's connections and prints QEMU's message; the next connection\n"
            "gets a fresh VMM, as if QEMU had been restarted.\n");
}

struct sim_cli {
    bool trace;
};

static void on_trace(void *arg, const char *thread, const char *event, const char *args)
{
    struct sim_cli *c = arg;
    if (c->trace)
        fprintf(stderr, "%s: %s %s\n", thread ? thread : "?", event, args ? args : "");
}

static void on_output(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s\n", line);
}

static void on_died(void *arg, int signo, const char *message)
{
    (void)arg;
    (void)message; /* already printed through on_output, as QEMU prints it */
    char sig[32];
    if (signo > 0)
        fprintf(stderr, "qmprace sim: the modeled QEMU died by %s; the next connection gets a fresh VMM\n",
                verdict_signal_name(signo, sig, sizeof sig));
    else
        fprintf(stderr, "qmprace sim: the modeled QEMU exited; the next connection gets a fresh VMM\n");
}

static void on_thread(void *arg, const char *thread, bool held)
{
    struct sim_cli *c = arg;
    if (c->trace)
        fprintf(stderr, "qmprace sim: thread %s %s\n", thread, held ? "held" : "released");
}

int cmd_sim(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"model", required_argument, NULL, 'm'},
        {"ram", required_argument, NULL, 'r'},    {"trace", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *model_name = "qemu-7.2";
    uint64_t ram = 0;
    struct sim_cli cli = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'm':
            model_name = optarg;
            break;
        case 'r':
            if (!cmd_opt_size("sim", "--ram", optarg, &ram))
                return EXIT_USAGE;
            break;
        case 'T':
            cli.trace = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            return cmd_usage_error("sim", "bad option");
        }
    }
    if (optind < argc)
        return cmd_usage_error("sim", "unexpected argument '%s'", argv[optind]);
    if (!listen)
        return cmd_usage_error("sim", "--listen is required");
    const struct sim_model *model = sim_model_find(model_name);
    if (!model)
        return cmd_usage_error("sim", "unknown model '%s'", model_name);

    struct err e = {{0}};
    struct session *ses = session_new(NULL, &e); /* no target: this serves one */
    if (!ses || session_start(ses, SESSION_SIGNALS, NULL, 0, &e) < 0) {
        fprintf(stderr, "qmprace sim: %s\n", e.msg);
        session_free(ses);
        return EXIT_TARGET;
    }
    struct event_base *base = session_base(ses);
    struct sim_config cfg = {.ram_bytes = ram};
    struct sim_hooks hooks = {on_trace, on_output, on_died, on_thread, &cli};
    struct sim_server *srv = sim_server_new(base, listen, model, &cfg, &hooks, &e);
    if (!srv) {
        fprintf(stderr, "qmprace sim: %s\n", e.msg);
        session_free(ses);
        return EXIT_USAGE;
    }
    fprintf(stderr, "qmprace sim: serving model %s on %s\n", model_name, listen);
    event_base_dispatch(base);
    fprintf(stderr, "qmprace sim: stopped after %u modeled death%s\n", sim_server_deaths(srv),
            sim_server_deaths(srv) == 1 ? "" : "s");
    sim_server_free(srv);
    session_free(ses);
    return EXIT_OK;
}

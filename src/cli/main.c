/* main: the `qmprace` program: picks the subcommand and sets what is process-wide (SIGPIPE ignored: a
 * peer that resets a socket we write to must give an error, not kill us). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef QMPRACE_VERSION
#define QMPRACE_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: qmprace COMMAND [options]\n"
            "Reproduce and fuzz races between QMP commands and QEMU's handling of a failed migration.\n"
            "\n"
            "Commands:\n"
            "  run SCHEDULE...      run schedules against a target, report crash rates and timelines\n"
            "  hunt                 fuzz schedules with AFL++ until a crash, then write reproducers\n"
            "  explore              every command inside every window it can open: the crash matrix\n"
            "  minimize SCHEDULE    shrink a crashing schedule to what still crashes the same way\n"
            "  schedule VERB ...    check, print, encode or decode schedules\n"
            "  sim --listen ADDR    serve the simulated VMM over QMP for any client\n"
            "  help                 this text\n"
            "\n"
            "'qmprace COMMAND --help' tells more. The README documents the schedule language.\n");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "hunt") == 0)
        return cmd_hunt(argc - 1, argv + 1);
    if (strcmp(cmd, "minimize") == 0)
        return cmd_minimize(argc - 1, argv + 1);
    if (strcmp(cmd, "explore") == 0)
        return cmd_explore(argc - 1, argv + 1);
    if (strcmp(cmd, "schedule") == 0)
        return cmd_schedule(argc - 1, argv + 1);
    if (strcmp(cmd, "sim") == 0)
        return cmd_sim(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("qmprace %s\n", QMPRACE_VERSION);
        return EXIT_OK;
    }
    fprintf(stderr, "qmprace: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

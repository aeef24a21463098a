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
            "  help [COMMAND]       this text, or COMMAND's (as 'qmprace COMMAND --help')\n"
            "\n"
            "'qmprace COMMAND --help' tells more; 'man qmprace' has every command's text. The README and\n"
            "docs/ document the schedule language.\n");
}

/* Runs subcommand argv[0] with its arguments; -1 for one that does not exist. */
static int dispatch(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } cmds[] = {
        {"run", cmd_run},           {"hunt", cmd_hunt},         {"minimize", cmd_minimize},
        {"explore", cmd_explore},   {"schedule", cmd_schedule}, {"sim", cmd_sim},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[0], cmds[i].name) == 0)
            return cmds[i].run(argc, argv);
    return -1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc == 3 && strcmp(cmd, "help") == 0) { /* qmprace help COMMAND */
            char *help_argv[] = {argv[2], "--help", NULL};
            int rc = dispatch(2, help_argv);
            if (rc >= 0)
                return rc;
            fprintf(stderr, "qmprace: no command '%s' to help with\n", argv[2]);
            usage(stderr);
            return EXIT_USAGE;
        }
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("qmprace %s\n", QMPRACE_VERSION);
        return EXIT_OK;
    }
    int rc = dispatch(argc - 1, argv + 1);
    if (rc >= 0)
        return rc;
    fprintf(stderr, "qmprace: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

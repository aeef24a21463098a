/* cmd: the subcommands of the `qmprace` program. Each takes the arguments after its name (argv[0] is
 * the subcommand) and returns the process exit status. Only these and main.c print or choose exit
 * statuses; everything under them returns errors. */
#ifndef QMPRACE_CMD_H
#define QMPRACE_CMD_H

/* Exit statuses, the same for every subcommand. */
enum {
    EXIT_OK = 0,         /* done; for `run`: no crash */
    EXIT_CRASH = 1,      /* `run`: at least one trial crashed the target; `schedule check`: -- */
    EXIT_USAGE = 2,      /* bad input or usage: a schedule error, an unknown option, a bad value */
    EXIT_TARGET = 3,     /* the target could not be started or reached */
    EXIT_UNEXERCISED = 4, /* `run`: no crash or hang, but trials that did not do what their schedule says */
    EXIT_HANG = 5,        /* `run`: no crash, but trials that hung (passed their deadline) */
    EXIT_INTERRUPT = 130 /* SIGINT; SIGTERM gives 143 */
};

int cmd_run(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_minimize(int argc, char **argv);
int cmd_explore(int argc, char **argv);

#endif

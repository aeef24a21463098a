/* sched_action: one descriptor per action of the schedule language, so adding an action is one row in
 * one table (src/schedule/actions.c) and, when its arguments take a new shape, one form file. Everything
 * that handles actions asks the descriptor: the parser and printer, the binary codec, minimization, and
 * the trial, which runs each class of action one way. Included by schedule.h. */
#ifndef QMPRACE_SCHED_ACTION_H
#define QMPRACE_SCHED_ACTION_H

#include <stddef.h>
#include <stdint.h>

/* How the trial runs an action. */
enum sched_action_class {
    SCHED_CLASS_QMP,   /* sends a QMP command and waits for its reply */
    SCHED_CLASS_FAULT, /* the fault proxy does it to migration channels (src/net/fault_NAME.c, by kind) */
    SCHED_CLASS_HOLD,  /* holds a target thread */
    SCHED_CLASS_WAIT,  /* pauses its line */
};

/* Flags of a descriptor. */
enum {
    SCHED_DUR_OPTIONAL = 1, /* fault form: a DUR may follow the channel (0: until the end of the trial) */
    SCHED_DUR_REQUIRED = 2, /* fault form: a DUR must follow the channel */
    SCHED_URI = 4,          /* the QMP arguments are {"uri": <the fault proxy>}: the action that starts the
                             * migration (`at +DUR` counts from when it is sent) */
};

struct sched_form;

struct sched_action_desc {
    const char *name;  /* as written: "stall" */
    const char *usage; /* "stall CHANNEL|all [DUR]" */
    enum sched_action_class cls;
    const char *qmp;   /* SCHED_CLASS_QMP: the command it sends; NULL for `qmp`, which carries its own */
    const struct sched_form *form;
    unsigned flags;
};

#endif

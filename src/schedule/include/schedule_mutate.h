/* schedule_mutate: one change to a schedule that keeps it a schedule, for the fuzzer.
 *
 * AFL++'s own mutations flip bits in the binary form. That form is total, so every result means
 * something, but the steps a race needs are structural: make a reaction come sooner (+10ms -> +1ms),
 * react to another status, change which capability a command sets, add a hold before a fault, take a
 * line from another input. A byte flip reaches those only by luck (a delay's exponent is one byte in
 * thirty); here each is one step. Nothing here knows which change crashes anything: every choice is
 * drawn from the whole vocabulary, so the same steps serve every window (failure, completion, cancel,
 * setup). One step puts any command of the vocabulary into any window: a line that waits for a
 * trigger gets a command drawn with every command equally likely (each `qmp` command of the binary
 * form's table counts as one, as `caps` or `cancel` does), where MUT_ACTION draws the kind of action
 * first and leaves each `qmp` command a ninth of one kind's share. One step is shaped like what a
 * management application does (libvirt after a failed migration): put back a setting the schedule made
 * earlier; which one, on which line, is drawn. The binary form's limits (64 lines, 4 actions a line,
 * multifd 0..7, 12-bit mantissas) are kept, so every result encodes. */
#ifndef QMPRACE_SCHEDULE_MUTATE_H
#define QMPRACE_SCHEDULE_MUTATE_H

#include <stdint.h>

#include "schedule.h"

struct sched_mutator {
    uint64_t rng;     /* xorshift state; any value but 0 (0 is taken as 1) */
    unsigned without; /* actions never added (1u << kind): a hunt's --without */
    /* the most an `after SIZE` is drawn or doubled to (0: no bound): the guest's RAM, since a trigger
     * past all a migration sends never fires and its trial runs as if the line were not there */
    uint64_t max_bytes;
};

/* The kinds of change, for names (AFL++ shows the last one in a queue file's name). */
enum sched_mutation {
    MUT_DELAY,       /* a trigger's or a wait's or hold's time: 0, halved, doubled, or drawn anew */
    MUT_SIZE,        /* an `after SIZE`: halved, doubled, or drawn anew */
    MUT_STATUS,      /* an `on STATUS` reacts to another status */
    MUT_TRIGGER,     /* a line gets a new trigger of any kind */
    MUT_ITEM,        /* one capability of a `caps` flips, or becomes another capability */
    MUT_ACTION,      /* an action is replaced by a new one of any kind */
    MUT_ADD_ACTION,  /* a new action on a line */
    MUT_DROP_ACTION, /* an action leaves a line that has more than one */
    MUT_SWAP,        /* two actions of a line change places */
    MUT_ADD_LINE,    /* a new line: any trigger, any action */
    MUT_DROP_LINE,   /* a line goes */
    MUT_COPY_LINE,   /* a line of the donor (another input), else of this schedule, is added */
    MUT_REVERT,      /* a capability set on one line is set back the other way on a later line */
    MUT_COMMAND,     /* a command inside a window (a line with a trigger) becomes any command, or is added */
    MUT_COUNT
};

const char *schedule_mutation_name(enum sched_mutation m);

/* Applies one change to `s`, using `donor` (may be NULL) for MUT_COPY_LINE. Returns the kind of change
 * made, or -1 when memory ran out (`s` is then still a valid schedule). A schedule that starts a
 * migration in order (`migrate` on a line without a trigger) still does after the change. */
int schedule_mutate(struct schedule *s, const struct schedule *donor, struct sched_mutator *m);

/* The enumeration of what a hunt's windows can hold, AFL++'s deterministic stage for schedules: each
 * line with a trigger (a window) x each command of the vocabulary (`caps`, `params`, `cancel`,
 * `query`, each `qmp` command of the binary form's table, less m->without): schedule_command_pairs
 * counts the pairs, schedule_put_command(s, m, i) puts pair i in (the line's first command replaced,
 * or the command added; a `caps` or `params` drawn), 1 done, 0 no such pair, -1 out of memory. In the
 * action table's order, never ranked: no window and no command comes first by what it is. */
size_t schedule_command_pairs(const struct schedule *s, const struct sched_mutator *m);
int schedule_put_command(struct schedule *s, struct sched_mutator *m, size_t i);

/* A hash of the windows `s` opens and how: each line's trigger (its kind, status or trace point and
 * count, its channel; not its delay or size) and each action but the commands the windows hold (their
 * kinds, capabilities, channels and threads; not their times). Two inputs that differ only in times,
 * or in what their windows hold, have one shape: the enumeration above need run once per shape. */
uint64_t schedule_window_shape(const struct schedule *s);

#endif

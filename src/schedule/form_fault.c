/* form_fault: faults on migration channels, `NAME CHANNEL|all [DUR]` (reset, close, stall): whether a
 * duration is taken, and whether it must be, is the descriptor's flags. In binary: a channel selector,
 * then the duration when the action takes one. */
#include "form.h"

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    unsigned flags = schedule_action_desc(a->kind)->flags;
    bool dur = flags & (SCHED_DUR_OPTIONAL | SCHED_DUR_REQUIRED);
    if (form_want_args(c, a, word, args, n, flags & SCHED_DUR_REQUIRED ? 2 : 1, dur ? 2 : 1,
                       flags & SCHED_DUR_REQUIRED ? "a channel and a duration" : "a channel") != 0 ||
        syn_chan(c, args[0], VOCAB_CH_ALL, &a->u.fault.chan) != 0)
        return -1;
    if (n < 2)
        return 0;
    if (syn_dur(c, args[1], &a->u.fault.dur_us) != 0)
        return -1;
    if (a->u.fault.dur_us == 0)
        return syn_fail(c, args[1].col, flags & SCHED_DUR_REQUIRED
                                            ? "'%s' needs a duration above 0"
                                            : "%s for 0 makes no sense; omit the duration to stall until the end",
                        schedule_action_name(a->kind));
    return 0;
}

static void print(FILE *f, const struct sched_action *a)
{
    char buf[16];
    fprintf(f, " %s", vocab_channel_name(a->u.fault.chan, buf, sizeof buf));
    if (a->u.fault.dur_us)
        syn_print_dur(f, " ", a->u.fault.dur_us);
}

static bool takes_dur(const struct sched_action *a)
{
    return schedule_action_desc(a->kind)->flags & (SCHED_DUR_OPTIONAL | SCHED_DUR_REQUIRED);
}

static int decode(struct rd *r, struct sched_action *a)
{
    a->u.fault.chan = bin_chan(bin_byte(r), CHAN_ALL);
    if (takes_dur(a)) {
        a->u.fault.dur_us = bin_dur16(bin_u16(r));
        /* 0 would not be valid text where a duration is required: the form reads it as the shortest */
        if (!a->u.fault.dur_us && (schedule_action_desc(a->kind)->flags & SCHED_DUR_REQUIRED))
            a->u.fault.dur_us = 1;
    }
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    if (bin_put_chan(w, a->u.fault.chan, CHAN_ALL) != 0)
        return -1;
    return takes_dur(a) ? bin_put_dur(w, a->u.fault.dur_us) : 0;
}

static uint64_t *duration(struct sched_action *a)
{
    return a->u.fault.dur_us ? &a->u.fault.dur_us : NULL;
}

const struct sched_form sched_form_fault = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .duration = duration,
};

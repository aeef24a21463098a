/* form_freeze: `freeze THREAD DUR`: hold a thread of the target. In binary: a thread selector
 * (live_migration, main, multifdsend_0..7), then the duration. */
#include "form.h"

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    if (form_want_args(c, a, word, args, n, 2, 2, "a thread and a duration") != 0)
        return -1;
    if (vocab_thread_parse(args[0].p, args[0].len, &a->u.freeze.thread) != 0)
        return syn_fail(c, args[0].col,
                        "expected a thread (main, live_migration, multifdsend_N or return_path; or QEMU 10's "
                        "mig/src/main, mig/src/send_N, mig/src/return), got '%.*s'",
                        TQ(args[0]));
    return syn_positive_dur(c, "freeze", args[1], &a->u.freeze.dur_us);
}

static void print(FILE *f, const struct sched_action *a)
{
    char buf[32];
    fprintf(f, " %s", vocab_thread_name(a->u.freeze.thread, buf, sizeof buf));
    syn_print_dur(f, " ", a->u.freeze.dur_us);
}

static int decode(struct rd *r, struct sched_action *a)
{
    unsigned b = bin_byte(r) % 10;
    a->u.freeze.thread = b == 0   ? (struct thread_ref){THR_LIVE_MIGRATION, 0}
                         : b == 1 ? (struct thread_ref){THR_MAIN, 0}
                                  : (struct thread_ref){THR_MULTIFDSEND, (int)b - 2};
    /* 0 would not be valid text ("freeze for 0"), so the form reads it as the shortest hold. */
    a->u.freeze.dur_us = bin_dur16(bin_u16(r));
    if (!a->u.freeze.dur_us)
        a->u.freeze.dur_us = 1;
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    struct thread_ref t = a->u.freeze.thread;
    unsigned b;
    if (t.kind == THR_LIVE_MIGRATION)
        b = 0;
    else if (t.kind == THR_MAIN)
        b = 1;
    else if (t.kind == THR_MULTIFDSEND && t.index >= 0 && t.index <= BIN_MAX_MULTIFD)
        b = 2 + (unsigned)t.index;
    else
        return bin_fail(w, "thread: only live_migration, main and multifdsend_0..multifdsend_7 fit");
    if (a->u.freeze.dur_us == 0)
        return bin_fail(w, "'freeze' for 0 (the binary form reads 0 as 1us)");
    return bin_put(w, b) == 0 ? bin_put_dur(w, a->u.freeze.dur_us) : -1;
}

static uint64_t *duration(struct sched_action *a)
{
    return &a->u.freeze.dur_us;
}

const struct sched_form sched_form_freeze = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .duration = duration,
};

/* form_freeze: `freeze THREAD DUR`: hold a thread of the target; and `thaw THREAD`: end its hold now (a
 * window held open for a command can close as soon as the command has landed, not at the hold's end). In
 * binary: a thread selector (live_migration, main, multifdsend_0..7), then freeze's duration. */
#include "form.h"

static int parse_thread(struct cur *c, const struct tok *arg, struct thread_ref *t)
{
    if (vocab_thread_parse(arg->p, arg->len, t) != 0)
        return syn_fail(c, arg->col,
                        "expected a thread (main, live_migration, multifdsend_N or return_path; or QEMU 10's "
                        "mig/src/main, mig/src/send_N, mig/src/return), got '%.*s'",
                        TQ(*arg));
    return 0;
}

static void print_thread(FILE *f, const struct sched_action *a)
{
    char buf[32];
    fprintf(f, " %s", vocab_thread_name(a->u.freeze.thread, buf, sizeof buf));
}

static void decode_thread(struct rd *r, struct sched_action *a)
{
    unsigned b = bin_byte(r) % 10;
    a->u.freeze.thread = b == 0   ? (struct thread_ref){THR_LIVE_MIGRATION, 0}
                         : b == 1 ? (struct thread_ref){THR_MAIN, 0}
                                  : (struct thread_ref){THR_MULTIFDSEND, (int)b - 2};
}

static int encode_thread(struct wr *w, const struct sched_action *a)
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
    return bin_put(w, b);
}

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    if (form_want_args(c, a, word, args, n, 2, 2, "a thread and a duration") != 0 ||
        parse_thread(c, &args[0], &a->u.freeze.thread) != 0)
        return -1;
    return syn_positive_dur(c, "freeze", args[1], &a->u.freeze.dur_us);
}

static void print(FILE *f, const struct sched_action *a)
{
    print_thread(f, a);
    syn_print_dur(f, " ", a->u.freeze.dur_us);
}

static int decode(struct rd *r, struct sched_action *a)
{
    decode_thread(r, a);
    /* 0 would not be valid text ("freeze for 0"), so the form reads it as the shortest hold. */
    a->u.freeze.dur_us = bin_dur16(bin_u16(r));
    if (!a->u.freeze.dur_us)
        a->u.freeze.dur_us = 1;
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    if (a->u.freeze.dur_us == 0)
        return bin_fail(w, "'freeze' for 0 (the binary form reads 0 as 1us)");
    return encode_thread(w, a) == 0 ? bin_put_dur(w, a->u.freeze.dur_us) : -1;
}

static uint64_t *duration(struct sched_action *a)
{
    return &a->u.freeze.dur_us;
}

const struct sched_form sched_form_freeze = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .duration = duration,
};

static int parse_thaw(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    if (form_want_args(c, a, word, args, n, 1, 1, "a thread") != 0)
        return -1;
    return parse_thread(c, &args[0], &a->u.freeze.thread);
}

static int decode_thaw(struct rd *r, struct sched_action *a)
{
    decode_thread(r, a);
    return 0;
}

const struct sched_form sched_form_thaw = {
    .parse = parse_thaw, .print = print_thread, .decode = decode_thaw, .encode = encode_thread,
};

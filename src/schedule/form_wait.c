/* form_wait: `wait DUR`: pause the line. */
#include "form.h"

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    if (form_want_args(c, a, word, args, n, 1, 1, "a duration") != 0)
        return -1;
    return syn_positive_dur(c, "wait", args[0], &a->u.wait_us);
}

static void print(FILE *f, const struct sched_action *a)
{
    syn_print_dur(f, " ", a->u.wait_us);
}

static int decode(struct rd *r, struct sched_action *a)
{
    a->u.wait_us = bin_dur16(bin_u16(r));
    if (!a->u.wait_us)
        a->u.wait_us = 1;
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    if (a->u.wait_us == 0)
        return bin_fail(w, "'wait' for 0 (the binary form reads 0 as 1us)");
    return bin_put_dur(w, a->u.wait_us);
}

static uint64_t *duration(struct sched_action *a)
{
    return &a->u.wait_us;
}

const struct sched_form sched_form_wait = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .duration = duration,
};

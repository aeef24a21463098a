/* form_caps: `caps NAME=on|off ...` -> migrate-set-capabilities. */
#include <stdlib.h>
#include <string.h>

#include "form.h"

#define BIN_MAX_CAPS 4

static int parse_item(struct cur *c, struct sched_action *a, struct tok t)
{
    struct tok name, value;
    bool on;
    if (!syn_split_item(t, &name, &value))
        return syn_fail(c, t.col, "expected NAME=on|off, got '%.*s'", TQ(t));
    int cap = vocab_cap_parse(name.p, name.len);
    if (cap < 0) {
        char hint[400];
        syn_suggest(hint, sizeof hint, name, vocab_cap_names(), true);
        return syn_fail(c, t.col, "unknown capability '%.*s'%s", TQ(name), hint);
    }
    if (!syn_bool(value, &on))
        return syn_fail(c, value.col, "'%s' takes on or off, got '%.*s'", vocab_cap_name(cap), TQ(value));
    if (schedule_add_cap(a, (enum mig_cap)cap, on) != 0)
        return syn_fail(c, t.col, "out of memory");
    a->u.caps.items[a->u.caps.n - 1].col = t.col;
    return 0;
}

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    return form_parse_items(c, a, word, args, n, "NAME=on|off", parse_item);
}

static void print(FILE *f, const struct sched_action *a)
{
    for (size_t i = 0; i < a->u.caps.n; i++)
        fprintf(f, " %s=%s", vocab_cap_name(a->u.caps.items[i].cap), a->u.caps.items[i].on ? "on" : "off");
}

/* A capability and its state in one byte: QEMU 7.2's capabilities as cap + on * CAP_COUNT_72 (0..41), the
 * later ones after them as 42 + (cap - CAP_COUNT_72) + on * (their count). Bytes past the last wrap into
 * the later ones, so every byte is a capability and a 7.2 capability's byte never changes. */
#define NEWER (CAP_COUNT - CAP_COUNT_72)

static void cap_of_byte(unsigned b, enum mig_cap *cap, bool *on)
{
    if (b < 2 * CAP_COUNT_72) {
        *cap = (enum mig_cap)(b % CAP_COUNT_72);
        *on = b / CAP_COUNT_72;
        return;
    }
    b = (b - 2 * CAP_COUNT_72) % (2 * NEWER);
    *cap = (enum mig_cap)(CAP_COUNT_72 + b % NEWER);
    *on = b / NEWER;
}

static unsigned byte_of_cap(enum mig_cap cap, bool on)
{
    if (cap < CAP_COUNT_72)
        return cap + (on ? CAP_COUNT_72 : 0);
    return 2 * CAP_COUNT_72 + (cap - CAP_COUNT_72) + (on ? NEWER : 0);
}

static int decode(struct rd *r, struct sched_action *a)
{
    unsigned n = 1 + bin_byte(r) % BIN_MAX_CAPS;
    for (unsigned i = 0; i < n; i++) {
        enum mig_cap cap;
        bool on;
        cap_of_byte(bin_byte(r), &cap, &on);
        if (schedule_add_cap(a, cap, on) != 0)
            return -1;
    }
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    if (a->u.caps.n < 1 || a->u.caps.n > BIN_MAX_CAPS)
        return bin_fail(w, "'caps' with %zu items: only 1 to %d fit", a->u.caps.n, BIN_MAX_CAPS);
    if (bin_put(w, (unsigned)a->u.caps.n - 1) != 0)
        return -1;
    for (size_t i = 0; i < a->u.caps.n; i++) {
        const struct sched_cap *c = &a->u.caps.items[i];
        if ((unsigned)c->cap >= CAP_COUNT)
            return bin_fail(w, "invalid capability %d", (int)c->cap);
        if (bin_put(w, byte_of_cap(c->cap, c->on)) != 0)
            return -1;
    }
    return 0;
}

static void free_caps(struct sched_action *a)
{
    free(a->u.caps.items);
}

static size_t items(const struct sched_action *a)
{
    return a->u.caps.n;
}

static void remove_item(struct sched_action *a, size_t k)
{
    memmove(&a->u.caps.items[k], &a->u.caps.items[k + 1], (a->u.caps.n - k - 1) * sizeof a->u.caps.items[0]);
    a->u.caps.n--;
}

static json_object *qmp_args(const struct sched_action *a, const char *uri)
{
    (void)uri;
    json_object *list = json_object_new_array();
    for (size_t i = 0; list && i < a->u.caps.n; i++) {
        json_object *item = json_object_new_object();
        if (!item || json_object_array_add(list, item) != 0) {
            json_object_put(item);
            json_object_put(list);
            return NULL;
        }
        json_object_object_add(item, "capability", json_object_new_string(vocab_cap_name(a->u.caps.items[i].cap)));
        json_object_object_add(item, "state", json_object_new_boolean(a->u.caps.items[i].on));
    }
    json_object *args = json_object_new_object();
    if (!args || !list || json_object_object_add(args, "capabilities", list) != 0) {
        json_object_put(list);
        json_object_put(args);
        return NULL;
    }
    return args;
}

const struct sched_form sched_form_caps = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .free = free_caps,
    .items = items, .remove_item = remove_item, .qmp_args = qmp_args,
};

/* form_params: `params NAME=VALUE ...` -> migrate-set-parameters. Each value is checked against the
 * parameter's QAPI type (vocab_param) and carried as the JSON QMP expects. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "units.h"

#define BIN_MAX_PARAMS 2

/* The string values the binary form can carry. */
static const char *const str_table[] = {"", "qmprace"};

/* A "quoted string" value, read by json-c so escapes mean what they mean in QMP. */
static json_object *parse_quoted(struct tok v)
{
    json_tokener *jt = json_tokener_new();
    if (!jt)
        return NULL;
    json_tokener_set_flags(jt, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(jt, v.p, (int)v.len);
    bool whole = o && json_tokener_get_parse_end(jt) == v.len && json_object_is_type(o, json_type_string);
    json_tokener_free(jt);
    if (!whole) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static bool parse_uint(struct tok v, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    if (v.len == 0)
        return false;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        unsigned d = (unsigned)(v.p[i] - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

static json_object *new_uint(uint64_t x)
{
    return x > INT64_MAX ? json_object_new_uint64(x) : json_object_new_int64((int64_t)x);
}

/* The value of a parameter, as the JSON type QMP expects; NULL with an error set when it is wrong. */
static json_object *parse_value(struct cur *c, const struct vocab_param *p, struct tok v)
{
    uint64_t x;
    bool on;
    json_object *o;
    switch (p->type) {
    case PT_UINT8:
    case PT_UINT32:
    case PT_UINT64: {
        uint64_t max = p->type == PT_UINT8 ? UINT8_MAX : p->type == PT_UINT32 ? UINT32_MAX : UINT64_MAX;
        if (!parse_uint(v, max, &x)) {
            syn_fail(c, v.col, "'%s' takes an integer from 0 to %" PRIu64 ", got '%.*s'", p->name, max, TQ(v));
            return NULL;
        }
        o = new_uint(x);
        break;
    }
    case PT_SIZE: {
        struct err ue;
        if (units_parse_size(v.p, v.len, &x, &ue) != 0) {
            syn_fail(c, v.col, "%s", ue.msg);
            return NULL;
        }
        o = new_uint(x);
        break;
    }
    case PT_BOOL:
        if (!syn_bool(v, &on)) {
            syn_fail(c, v.col, "'%s' takes on or off, got '%.*s'", p->name, TQ(v));
            return NULL;
        }
        o = json_object_new_boolean(on);
        break;
    case PT_STR:
        o = NULL;
        if (v.len && v.p[0] == '"')
            o = parse_quoted(v);
        else if (syn_is_word(v.p, v.len))
            o = json_object_new_string_len(v.p, (int)v.len);
        if (!o) {
            syn_fail(c, v.col, "'%s' takes a word of [A-Za-z0-9_.:/-] or a \"quoted string\", got '%.*s'", p->name,
                     TQ(v));
            return NULL;
        }
        break;
    case PT_ENUM:
        if (vocab_param_value_parse(p, v.p, v.len) < 0) {
            char list[128] = "";
            for (size_t i = 0; p->values[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         i == 0 ? "" : p->values[i + 1] ? ", " : " or ", p->values[i]);
            syn_fail(c, v.col, "'%s' takes %s, got '%.*s'", p->name, list, TQ(v));
            return NULL;
        }
        o = json_object_new_string_len(v.p, (int)v.len);
        break;
    default:
        o = NULL;
    }
    if (!o)
        syn_fail(c, v.col, "out of memory");
    return o;
}

static int parse_item(struct cur *c, struct sched_action *a, struct tok t)
{
    struct tok name, value;
    if (!syn_split_item(t, &name, &value))
        return syn_fail(c, t.col, "expected NAME=VALUE, got '%.*s'", TQ(t));
    int pi = vocab_param_parse(name.p, name.len);
    if (pi < 0) {
        char hint[300];
        syn_suggest(hint, sizeof hint, name, vocab_param_names(), false);
        return syn_fail(c, t.col, "unknown parameter '%.*s'%s", TQ(name),
                        hint[0] ? hint : " (docs/schedule-language.md lists the parameters)");
    }
    json_object *o = parse_value(c, vocab_param((enum mig_param)pi), value);
    if (!o)
        return -1;
    if (schedule_add_param(a, (enum mig_param)pi, o) != 0)
        return syn_fail(c, t.col, "out of memory");
    a->u.params.items[a->u.params.n - 1].col = t.col;
    return 0;
}

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    return form_parse_items(c, a, word, args, n, "NAME=VALUE", parse_item);
}

static void print_item(FILE *f, const struct sched_param *p)
{
    const struct vocab_param *vp = vocab_param(p->param);
    json_object *v = p->value;
    char buf[32];
    fprintf(f, " %s=", vp ? vp->name : "?");
    if (vp && vp->type == PT_SIZE && json_object_is_type(v, json_type_int)) {
        units_format_size(json_object_get_uint64(v), buf, sizeof buf);
        fputs(buf, f);
    } else if (json_object_is_type(v, json_type_boolean)) {
        fputs(json_object_get_boolean(v) ? "on" : "off", f);
    } else if (json_object_is_type(v, json_type_string) &&
               syn_is_word(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
        fputs(json_object_get_string(v), f);
    } else {
        syn_print_json(f, v);
    }
}

static void print(FILE *f, const struct sched_action *a)
{
    for (size_t i = 0; i < a->u.params.n; i++)
        print_item(f, &a->u.params.items[i]);
}

static json_object *decode_value(const struct vocab_param *p, unsigned v)
{
    switch (p->type) {
    case PT_UINT8:
        return json_object_new_int64(v % 256);
    case PT_UINT32:
    case PT_UINT64:
        return json_object_new_int64(v);
    case PT_SIZE:
        return json_object_new_int64((int64_t)bin_size16(v));
    case PT_BOOL:
        return json_object_new_boolean(v % 2);
    case PT_STR:
        return json_object_new_string(str_table[v % 2]);
    case PT_ENUM:
        return json_object_new_string(p->values[v % vocab_param_nvalues(p)]);
    }
    return NULL;
}

static int decode(struct rd *r, struct sched_action *a)
{
    unsigned n = 1 + bin_byte(r) % BIN_MAX_PARAMS;
    for (unsigned i = 0; i < n; i++) {
        enum mig_param p = (enum mig_param)(bin_byte(r) % PARAM_COUNT);
        if (schedule_add_param(a, p, decode_value(vocab_param(p), bin_u16(r))) != 0)
            return -1;
    }
    return 0;
}

/* The 16 bits that carry a value of type `vp->type`; -1 (with the error set) when none do. */
static int encode_value(struct wr *w, const struct vocab_param *vp, json_object *o, unsigned *v)
{
    bool ok;
    *v = 0;
    switch (vp->type) {
    case PT_UINT8:
    case PT_UINT32:
    case PT_UINT64:
    case PT_SIZE: {
        ok = json_object_is_type(o, json_type_int) && json_object_get_int64(o) >= 0;
        if (!ok)
            break;
        uint64_t x = json_object_get_uint64(o);
        unsigned max = vp->type == PT_UINT8 ? 255u : 65535u;
        if (vp->type == PT_SIZE)
            return bin_size(w, x, v);
        if (x > max)
            return bin_fail(w, "'%s=%" PRIu64 "': only values up to %u fit", vp->name, x, max);
        *v = (unsigned)x;
        break;
    }
    case PT_BOOL:
        ok = json_object_is_type(o, json_type_boolean);
        *v = ok && json_object_get_boolean(o);
        break;
    case PT_STR:
        ok = json_object_is_type(o, json_type_string);
        if (!ok)
            break;
        while (*v < 2 && strcmp(str_table[*v], json_object_get_string(o)) != 0)
            (*v)++;
        if (*v == 2 || (size_t)json_object_get_string_len(o) != strlen(str_table[*v]))
            return bin_fail(w, "'%s': only \"\" and \"qmprace\" fit", vp->name);
        break;
    case PT_ENUM: {
        ok = json_object_is_type(o, json_type_string);
        if (!ok)
            break;
        int c = vocab_param_value_parse(vp, json_object_get_string(o), (size_t)json_object_get_string_len(o));
        ok = c >= 0;
        *v = (unsigned)c;
        break;
    }
    default:
        ok = false;
    }
    if (!ok)
        return bin_fail(w, "'%s' has a value of the wrong type", vp->name);
    return 0;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    if (a->u.params.n < 1 || a->u.params.n > BIN_MAX_PARAMS)
        return bin_fail(w, "'params' with %zu items: only 1 to %d fit", a->u.params.n, BIN_MAX_PARAMS);
    if (bin_put(w, (unsigned)a->u.params.n - 1) != 0)
        return -1;
    for (size_t i = 0; i < a->u.params.n; i++) {
        const struct sched_param *p = &a->u.params.items[i];
        const struct vocab_param *vp = vocab_param(p->param);
        unsigned v;
        if (!vp)
            return bin_fail(w, "invalid parameter %d", (int)p->param);
        if (encode_value(w, vp, p->value, &v) != 0 || bin_put(w, p->param) != 0 || bin_put16(w, v) != 0)
            return -1;
    }
    return 0;
}

static void free_params(struct sched_action *a)
{
    for (size_t i = 0; i < a->u.params.n; i++)
        json_object_put(a->u.params.items[i].value);
    free(a->u.params.items);
}

static size_t items(const struct sched_action *a)
{
    return a->u.params.n;
}

static void remove_item(struct sched_action *a, size_t k)
{
    json_object_put(a->u.params.items[k].value);
    memmove(&a->u.params.items[k], &a->u.params.items[k + 1], (a->u.params.n - k - 1) * sizeof a->u.params.items[0]);
    a->u.params.n--;
}

static json_object *qmp_args(const struct sched_action *a, const char *uri)
{
    (void)uri;
    json_object *args = json_object_new_object();
    for (size_t i = 0; args && i < a->u.params.n; i++) {
        const struct vocab_param *p = vocab_param(a->u.params.items[i].param);
        if (!p)
            continue;
        /* A repeated name keeps its last value, as QMP's own parser would. */
        json_object_object_add(args, p->name, json_object_get(a->u.params.items[i].value));
    }
    return args;
}

const struct sched_form sched_form_params = {
    .parse = parse, .print = print, .decode = decode, .encode = encode, .free = free_params,
    .items = items, .remove_item = remove_item, .qmp_args = qmp_args,
};

/* form_qmp: `qmp {json}`: any QMP command, as written, on one line. The binary form carries only the
 * commands of its table. */
#include <string.h>

#include "form.h"

static const char *const qmp_table[] = {
    "{\"execute\":\"query-status\"}",
    "{\"execute\":\"query-yank\"}",
    "{\"execute\":\"query-migrate-capabilities\"}",
    "{\"execute\":\"query-migrate-parameters\"}",
    "{\"execute\":\"stop\"}",
    "{\"execute\":\"cont\"}",
    "{\"execute\":\"migrate-start-postcopy\"}",
    "{\"execute\":\"migrate-pause\"}",
    /* what pause-before-switchover waits for: the pre-switchover window's own way out */
    "{\"execute\":\"migrate-continue\",\"arguments\":{\"state\":\"pre-switchover\"}}",
};
#define QMP_TABLE_SIZE (sizeof qmp_table / sizeof qmp_table[0])
_Static_assert(QMP_TABLE_SIZE == BIN_QMP_COMMANDS, "the binary schedule form indexes this table: append, knowingly");

json_object *bin_qmp_command(unsigned i)
{
    return i < QMP_TABLE_SIZE ? json_tokener_parse(qmp_table[i]) : NULL;
}

static int parse(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n)
{
    (void)word;
    (void)args;
    (void)n;
    syn_skip_ws(c);
    int col0 = syn_col(c);
    if (c->pos >= c->len || c->s[c->pos] != '{')
        return syn_fail(c, col0, "'qmp' needs a JSON object on the same line, e.g. qmp {\"execute\": \"stop\"}");
    json_tokener *jt = json_tokener_new();
    if (!jt)
        return syn_fail(c, col0, "out of memory");
    json_tokener_set_flags(jt, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    json_object *o = json_tokener_parse_ex(jt, c->s + c->pos, (int)(c->len - c->pos));
    enum json_tokener_error jerr = json_tokener_get_error(jt);
    size_t end = json_tokener_get_parse_end(jt);
    json_tokener_free(jt);
    if (!o) {
        if (jerr == json_tokener_continue)
            return syn_fail(c, col0, "unterminated JSON object (a 'qmp' command must be on one line)");
        return syn_fail(c, col0 + (int)end, "invalid JSON in 'qmp': %s", json_tokener_error_desc(jerr));
    }
    json_object *v;
    if (!((json_object_object_get_ex(o, "execute", &v) && json_object_is_type(v, json_type_string)) ||
          (json_object_object_get_ex(o, "exec-oob", &v) && json_object_is_type(v, json_type_string)))) {
        json_object_put(o);
        return syn_fail(c, col0, "the 'qmp' command needs a string member \"execute\" (or \"exec-oob\")");
    }
    a->u.qmp = o;
    c->pos += end;
    return 0;
}

static void print(FILE *f, const struct sched_action *a)
{
    fputc(' ', f);
    syn_print_json(f, a->u.qmp);
}

static int decode(struct rd *r, struct sched_action *a)
{
    a->u.qmp = json_tokener_parse(qmp_table[bin_byte(r) % QMP_TABLE_SIZE]);
    return a->u.qmp ? 0 : -1;
}

static int encode(struct wr *w, const struct sched_action *a)
{
    const char *text =
        a->u.qmp ? json_object_to_json_string_ext(a->u.qmp, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                 : "";
    for (unsigned i = 0; i < QMP_TABLE_SIZE; i++)
        if (strcmp(text, qmp_table[i]) == 0)
            return bin_put(w, i);
    return bin_fail(w, "qmp %.200s is not in the binary form's table", text);
}

static void free_qmp(struct sched_action *a)
{
    json_object_put(a->u.qmp);
}

/* A copy: the sender adds an "id" to the command, which must not leak into the schedule. */
static json_object *qmp_args(const struct sched_action *a, const char *uri)
{
    (void)uri;
    json_object *obj = NULL;
    if (a->u.qmp && json_object_deep_copy(a->u.qmp, &obj, NULL) != 0)
        obj = NULL;
    return obj;
}

const struct sched_form sched_form_qmp = {
    .raw = true, .parse = parse, .print = print, .decode = decode, .encode = encode, .free = free_qmp,
    .qmp_args = qmp_args,
};

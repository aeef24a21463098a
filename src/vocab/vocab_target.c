/* vocab_target: a target's vocabulary from its QAPI schema (see vocab_target.h). QEMU's introspection
 * names its types by number, not by QAPI name, so the migration types are reached from the commands
 * that use them: the status enum through query-migrate's reply, the capabilities through
 * migrate-set-capabilities' argument list, the parameters as migrate-set-parameters' members. */
#include "vocab_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct schema {
    json_object *by_name; /* SchemaInfo by "name" (borrowed from the reply) */
};

static json_object *lookup(const struct schema *sc, json_object *name)
{
    json_object *o = NULL;
    const char *s = name ? json_object_get_string(name) : NULL;
    return s && json_object_object_get_ex(sc->by_name, s, &o) ? o : NULL;
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* The SchemaInfo of member `member` of object type `obj`, or NULL. */
static json_object *member_type(const struct schema *sc, json_object *obj, const char *member)
{
    json_object *members, *type;
    size_t n = obj && json_object_object_get_ex(obj, "members", &members) ? json_object_array_length(members) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(members, i);
        const char *name = str_member(m, "name");
        if (name && strcmp(name, member) == 0 && json_object_object_get_ex(m, "type", &type))
            return lookup(sc, type);
    }
    return NULL;
}

/* The type a command's key ("arg-type", "ret-type") names. */
static json_object *command_type(const struct schema *sc, const char *command, const char *key)
{
    json_object *cmd = NULL, *type;
    if (!json_object_object_get_ex(sc->by_name, command, &cmd) || !json_object_object_get_ex(cmd, key, &type))
        return NULL;
    return lookup(sc, type);
}

/* Calls `each` for every value of an enum SchemaInfo ("members": [{"name"}] since QEMU 6.2, "values"
 * before). */
static void enum_values(json_object *en, void (*each)(void *arg, const char *name), void *arg)
{
    json_object *list;
    if (!en)
        return;
    if (json_object_object_get_ex(en, "members", &list)) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            const char *name = str_member(json_object_array_get_idx(list, i), "name");
            if (name)
                each(arg, name);
        }
    } else if (json_object_object_get_ex(en, "values", &list)) {
        for (size_t i = 0; i < json_object_array_length(list); i++)
            each(arg, json_object_get_string(json_object_array_get_idx(list, i)));
    }
}

static void add_status(void *arg, const char *name)
{
    int s = vocab_status_parse(name, strlen(name));
    if (s >= 0)
        ((struct vocab_target *)arg)->statuses |= 1ull << s;
}

static void add_cap(void *arg, const char *name)
{
    int c = vocab_cap_parse(name, strlen(name));
    if (c >= 0)
        ((struct vocab_target *)arg)->caps |= 1ull << c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int index_schema(struct schema *sc, struct vocab_target *vt, json_object *schema)
{
    size_t n = json_object_array_length(schema);
    sc->by_name = json_object_new_object();
    vt->commands = calloc(n ? n : 1, sizeof *vt->commands);
    if (!sc->by_name || !vt->commands)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *info = json_object_array_get_idx(schema, i);
        const char *name = str_member(info, "name"), *meta = str_member(info, "meta-type");
        if (!name || !meta)
            continue;
        json_object_object_add(sc->by_name, name, json_object_get(info));
        if (strcmp(meta, "command") == 0 && !(vt->commands[vt->ncommands++] = strdup(name)))
            return -1;
    }
    qsort(vt->commands, vt->ncommands, sizeof *vt->commands, cmp_str);
    return 0;
}

int vocab_target_from_schema(struct vocab_target *vt, json_object *schema, struct err *e)
{
    memset(vt, 0, sizeof *vt);
    if (!json_object_is_type(schema, json_type_array))
        return err_set(e, "query-qmp-schema did not return a list");
    struct schema sc = {0};
    if (index_schema(&sc, vt, schema) < 0) {
        json_object_put(sc.by_name);
        vocab_target_free(vt);
        return err_set(e, "out of memory");
    }
    enum_values(member_type(&sc, command_type(&sc, "query-migrate", "ret-type"), "status"), add_status, vt);
    json_object *list = member_type(&sc, command_type(&sc, "migrate-set-capabilities", "arg-type"), "capabilities");
    json_object *elem = NULL;
    if (list && json_object_object_get_ex(list, "element-type", &elem))
        enum_values(member_type(&sc, lookup(&sc, elem), "capability"), add_cap, vt);
    json_object *params = command_type(&sc, "migrate-set-parameters", "arg-type"), *members;
    size_t n = params && json_object_object_get_ex(params, "members", &members) ? json_object_array_length(members) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = str_member(json_object_array_get_idx(members, i), "name");
        int p = name ? vocab_param_parse(name, strlen(name)) : -1;
        if (p >= 0)
            vt->params |= 1ull << p;
    }
    json_object_put(sc.by_name);
    if (!vt->statuses || !vt->caps) {
        vocab_target_free(vt);
        return err_set(e, "the target's QAPI schema does not describe query-migrate and migrate-set-capabilities");
    }
    vt->known = true;
    return 0;
}

void vocab_target_set_version(struct vocab_target *vt, json_object *version)
{
    json_object *q = NULL, *x;
    int v[3] = {0, 0, 0};
    const char *keys[3] = {"major", "minor", "micro"};
    if (!json_object_object_get_ex(version, "qemu", &q))
        return;
    for (int i = 0; i < 3; i++)
        if (json_object_object_get_ex(q, keys[i], &x))
            v[i] = json_object_get_int(x);
    snprintf(vt->version, sizeof vt->version, "%d.%d.%d", v[0], v[1], v[2]);
}

void vocab_target_free(struct vocab_target *vt)
{
    for (size_t i = 0; i < vt->ncommands; i++)
        free(vt->commands[i]);
    free(vt->commands);
    vt->commands = NULL;
    vt->ncommands = 0;
}

bool vocab_target_has_status(const struct vocab_target *vt, enum mig_status s)
{
    return !vt->known || (vt->statuses >> s & 1);
}

bool vocab_target_has_cap(const struct vocab_target *vt, enum mig_cap c)
{
    return !vt->known || (vt->caps >> c & 1);
}

bool vocab_target_has_param(const struct vocab_target *vt, enum mig_param p)
{
    return !vt->known || (vt->params >> p & 1);
}

bool vocab_target_has_command(const struct vocab_target *vt, const char *name)
{
    if (!vt->known)
        return true;
    const char *key = name;
    return bsearch(&key, vt->commands, vt->ncommands, sizeof *vt->commands, cmp_str) != NULL;
}

bool vocab_target_has_trace(const struct vocab_target *vt, enum vocab_trace t)
{
    return !vt->known || !vt->traces_known || (vt->traces >> t & 1);
}

static json_object *names_of(uint64_t bits, int count, const char *(*name)(int i))
{
    json_object *a = json_object_new_array();
    for (int i = 0; a && i < count; i++)
        if (bits >> i & 1)
            json_object_array_add(a, json_object_new_string(name(i)));
    return a;
}

static const char *status_at(int i) { return vocab_status_name((enum mig_status)i); }
static const char *cap_at(int i) { return vocab_cap_name((enum mig_cap)i); }
static const char *param_at(int i) { return vocab_param((enum mig_param)i)->name; }
static const char *trace_at(int i) { return vocab_trace_names()[i]; }

json_object *vocab_target_to_json(const struct vocab_target *vt)
{
    json_object *j = json_object_new_object();
    if (!j || !vt->known)
        return j;
    json_object_object_add(j, "version", json_object_new_string(vt->version));
    json_object_object_add(j, "statuses", names_of(vt->statuses, MIG_STATUS_COUNT, status_at));
    json_object_object_add(j, "caps", names_of(vt->caps, CAP_COUNT, cap_at));
    json_object_object_add(j, "params", names_of(vt->params, PARAM_COUNT, param_at));
    json_object *c = json_object_new_array();
    for (size_t i = 0; c && i < vt->ncommands; i++)
        json_object_array_add(c, json_object_new_string(vt->commands[i]));
    json_object_object_add(j, "commands", c);
    if (vt->traces_known)
        json_object_object_add(j, "traces", names_of(vt->traces, TRACE_COUNT, trace_at));
    return j;
}

/* The bits of the names in `j`'s list `key` that `parse` knows. */
static uint64_t bits_of(json_object *j, const char *key, int (*parse)(const char *name))
{
    json_object *a;
    uint64_t bits = 0;
    if (!json_object_object_get_ex(j, key, &a) || !json_object_is_type(a, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(a, i));
        int v = name ? parse(name) : -1;
        if (v >= 0 && v < 64)
            bits |= 1ull << v;
    }
    return bits;
}

static int parse_status(const char *n) { return vocab_status_parse(n, strlen(n)); }
static int parse_cap(const char *n) { return vocab_cap_parse(n, strlen(n)); }
static int parse_param(const char *n) { return vocab_param_parse(n, strlen(n)); }

int vocab_target_from_json(struct vocab_target *vt, json_object *j, struct err *e)
{
    memset(vt, 0, sizeof *vt);
    if (!json_object_is_type(j, json_type_object))
        return err_set(e, "a target's vocabulary is a JSON object");
    json_object *x, *c;
    if (!json_object_object_get_ex(j, "statuses", &x))
        return 0; /* the target did not say: every name is taken as known */
    if (json_object_object_get_ex(j, "version", &x))
        snprintf(vt->version, sizeof vt->version, "%s", json_object_get_string(x));
    vt->statuses = bits_of(j, "statuses", parse_status);
    vt->caps = bits_of(j, "caps", parse_cap);
    vt->params = bits_of(j, "params", parse_param);
    vt->traces_known = json_object_object_get_ex(j, "traces", &x);
    vt->traces = bits_of(j, "traces", vocab_trace_parse);
    size_t n = json_object_object_get_ex(j, "commands", &c) && json_object_is_type(c, json_type_array)
                   ? json_object_array_length(c) : 0;
    vt->commands = calloc(n ? n : 1, sizeof *vt->commands);
    if (!vt->commands)
        return err_set(e, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(c, i));
        if (name && !(vt->commands[vt->ncommands++] = strdup(name))) {
            vocab_target_free(vt);
            return err_set(e, "out of memory");
        }
    }
    qsort(vt->commands, vt->ncommands, sizeof *vt->commands, cmp_str);
    vt->known = true;
    return 0;
}

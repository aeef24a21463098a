/* schema: the simulated VMM's answer to query-qmp-schema. QEMU's introspection lists every command and
 * every type, naming types by number; this lists the model's commands and the types qmprace reads through
 * them (query-migrate's status enum, migrate-set-capabilities' capability enum, migrate-set-parameters'
 * members), each with the model's version of the vocabulary, so a schedule is held against the model
 * exactly as against a real QEMU of that version. */
#include <string.h>

#include "sim_internal.h"

static json_object *member(const char *name, const char *type)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "name", json_object_new_string(name));
    json_object_object_add(m, "type", json_object_new_string(type));
    return m;
}

static json_object *info(const char *name, const char *meta)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "meta-type", json_object_new_string(meta));
    return o;
}

static json_object *object_of(const char *name, json_object *members)
{
    json_object *o = info(name, "object");
    json_object_object_add(o, "members", members);
    return o;
}

/* An enum as QEMU 6.2 and later describe it: "members" [{"name"}] and the older "values". */
static json_object *enum_of(const char *name, const char *const *values, size_t n)
{
    json_object *o = info(name, "enum"), *members = json_object_new_array(), *vals = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string(values[i]));
        json_object_array_add(members, m);
        json_object_array_add(vals, json_object_new_string(values[i]));
    }
    json_object_object_add(o, "members", members);
    json_object_object_add(o, "values", vals);
    return o;
}

static json_object *command(const char *name, const char *arg, const char *ret)
{
    json_object *o = info(name, "command");
    json_object_object_add(o, "arg-type", json_object_new_string(arg));
    json_object_object_add(o, "ret-type", json_object_new_string(ret));
    return o;
}

static const char *builtin(enum param_type t)
{
    return t == PT_BOOL ? "bool" : t == PT_STR || t == PT_ENUM ? "str" : "int";
}

json_object *sim_schema(const struct sim_vmm *v, const char *const *commands, size_t ncommands)
{
    json_object *s = json_object_new_array();
    for (size_t i = 0; i < ncommands; i++) {
        const char *c = commands[i];
        json_object_array_add(s, strcmp(c, "query-migrate") == 0              ? command(c, "0", "1")
                                 : strcmp(c, "migrate-set-capabilities") == 0 ? command(c, "3", "0")
                                 : strcmp(c, "migrate-set-parameters") == 0   ? command(c, "7", "0")
                                                                              : command(c, "0", "0"));
    }
    json_object_array_add(s, object_of("0", json_object_new_array()));
    json_object *m = json_object_new_array();
    json_object_array_add(m, member("status", "2"));
    json_object_array_add(s, object_of("1", m));
    const char *names[(int)MIG_STATUS_COUNT + (int)CAP_COUNT];
    size_t n = 0;
    for (int i = 0; i < MIG_STATUS_COUNT; i++)
        if (sim_has_status(v, (enum mig_status)i))
            names[n++] = vocab_status_name((enum mig_status)i);
    json_object_array_add(s, enum_of("2", names, n));
    m = json_object_new_array();
    json_object_array_add(m, member("capabilities", "4"));
    json_object_array_add(s, object_of("3", m));
    json_object *arr = info("4", "array");
    json_object_object_add(arr, "element-type", json_object_new_string("5"));
    json_object_array_add(s, arr);
    m = json_object_new_array();
    json_object_array_add(m, member("capability", "6"));
    json_object_array_add(m, member("state", "bool"));
    json_object_array_add(s, object_of("5", m));
    n = 0;
    for (int i = 0; i < CAP_COUNT; i++)
        if (sim_has_cap(v, (enum mig_cap)i))
            names[n++] = vocab_cap_name((enum mig_cap)i);
    json_object_array_add(s, enum_of("6", names, n));
    m = json_object_new_array();
    for (int i = 0; i < PARAM_COUNT; i++)
        if (sim_has_param(v, (enum mig_param)i))
            json_object_array_add(m, member(vocab_param((enum mig_param)i)->name,
                                            builtin(vocab_param((enum mig_param)i)->type)));
    json_object_array_add(m, member("block-bitmap-mapping", "any"));
    json_object_array_add(s, object_of("7", m));
    return s;
}

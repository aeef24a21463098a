/* args: reads QMP command arguments the way QEMU's QObject input visitor does, with its exact error
 * texts ("Parameter 'x' is missing", "Invalid parameter type for 'x', expected: boolean", "Parameter
 * 'x' expects uint8_t", "Parameter 'x' does not accept value 'y'", "Parameter 'x' is unexpected"), so a
 * client sees the same refusals as from QEMU. `args` may be NULL (no "arguments" member). It must never
 * keep references to the arguments. */
#include <string.h>

#include "sim_internal.h"

static json_object *get(json_object *args, const char *name)
{
    json_object *o = NULL;
    if (args && json_object_object_get_ex(args, name, &o))
        return o;
    return NULL;
}

int sim_args_check_only(json_object *args, const char *const *allowed, struct err *e)
{
    if (!args)
        return 0;
    json_object_object_foreach(args, key, val) {
        (void)val;
        bool ok = false;
        for (int i = 0; allowed && allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], key) == 0;
        if (!ok)
            return err_set(e, "Parameter '%s' is unexpected", key);
    }
    return 0;
}

int sim_arg_str(json_object *args, const char *name, bool required, const char **out, struct err *e)
{
    json_object *o = get(args, name);
    *out = NULL;
    if (!o) {
        if (required)
            return err_set(e, "Parameter '%s' is missing", name);
        return 0;
    }
    if (!json_object_is_type(o, json_type_string))
        return err_set(e, "Invalid parameter type for '%s', expected: string", name);
    *out = json_object_get_string(o);
    return 0;
}

int sim_arg_bool(json_object *args, const char *name, const char *path, bool *present, bool *out,
                 struct err *e)
{
    json_object *o = get(args, name);
    *present = o != NULL;
    if (!o)
        return 0;
    if (!json_object_is_type(o, json_type_boolean))
        return err_set(e, "Invalid parameter type for '%s', expected: boolean", path ? path : name);
    *out = json_object_get_boolean(o);
    return 0;
}

int sim_arg_uint(json_object *args, const char *name, uint64_t max, const char *type, bool *present,
                 uint64_t *out, struct err *e)
{
    json_object *o = get(args, name);
    *present = o != NULL;
    if (!o)
        return 0;
    if (!json_object_is_type(o, json_type_int))
        return err_set(e, "Parameter '%s' expects uint64", name);
    /* QEMU accepts negative numbers here and wraps them, for backward compatibility. */
    int64_t i = json_object_get_int64(o);
    uint64_t val = i < 0 ? (uint64_t)i : json_object_get_uint64(o);
    if (val > max)
        return err_set(e, "Parameter '%s' expects %s", name, type);
    *out = val;
    return 0;
}

int sim_arg_enum(json_object *args, const char *name, const char *const *values, bool *present, int *out,
                 struct err *e)
{
    json_object *o = get(args, name);
    *present = o != NULL;
    if (!o)
        return 0;
    if (!json_object_is_type(o, json_type_string))
        return err_set(e, "Invalid parameter type for '%s', expected: string", name);
    const char *s = json_object_get_string(o);
    for (int i = 0; values[i]; i++) {
        if (strcmp(values[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    return err_set(e, "Parameter '%s' does not accept value '%s'", name, s);
}

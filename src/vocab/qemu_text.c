/* qemu_text: what QEMU says, read in one place: the status in a `migrate_set_state` trace line and in a
 * MIGRATION event, the version in a QMP greeting, and whether `query-yank` still lists the migration.
 * The trial engine, the hunt's triage and the harness's feedback ask here instead of parsing QEMU's text
 * themselves, so a QEMU that words something differently is taught to qmprace in one file. */
#include <string.h>

#include "vocab.h"

int vocab_trace_status(const char *event, const char *args)
{
    static const char prefix[] = "new state ";
    if (!event || strcmp(event, "migrate_set_state") != 0 || !args || strncmp(args, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *s = args + sizeof prefix - 1;
    return vocab_status_parse(s, strcspn(s, " \t"));
}

int vocab_event_status(const char *event, json_object *data, const char **name)
{
    json_object *st = NULL;
    *name = NULL;
    if (!event || strcmp(event, "MIGRATION") != 0 || !json_object_object_get_ex(data, "status", &st))
        return -1;
    const char *s = json_object_get_string(st);
    if (!s)
        return -1;
    *name = s;
    int status = vocab_status_parse(s, strlen(s));
    return status < 0 ? -2 : status;
}

static int member_int(json_object *o, const char *key)
{
    json_object *x;
    return json_object_object_get_ex(o, key, &x) ? json_object_get_int(x) : -1;
}

void vocab_greeting_version(json_object *greeting, int *major, int *minor, int *micro, const char **package)
{
    json_object *qmp = NULL, *v = NULL, *q = NULL, *pkg = NULL;
    /* the whole greeting, or the object inside "QMP" that the QMP client hands on */
    if (json_object_object_get_ex(greeting, "QMP", &qmp))
        greeting = qmp;
    *major = *minor = *micro = -1;
    *package = NULL;
    if (!json_object_object_get_ex(greeting, "version", &v))
        return;
    if (json_object_object_get_ex(v, "qemu", &q)) {
        *major = member_int(q, "major");
        *minor = member_int(q, "minor");
        *micro = member_int(q, "micro");
    }
    if (json_object_object_get_ex(v, "package", &pkg))
        *package = json_object_get_string(pkg);
}

bool vocab_yank_lists_migration(json_object *ret)
{
    size_t n = json_object_is_type(ret, json_type_array) ? json_object_array_length(ret) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *type = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(ret, i), "type", &type) &&
            json_object_is_type(type, json_type_string) && strcmp(json_object_get_string(type), "migration") == 0)
            return true;
    }
    return false;
}

bool vocab_refusal_unknown_name(const char *error_class, const char *desc)
{
    if (error_class && strcmp(error_class, "CommandNotFound") == 0)
        return true;
    if (!desc)
        return false;
    return (strncmp(desc, "Parameter '", 11) == 0 &&
            (strstr(desc, "' is unexpected") || strstr(desc, "' does not accept value '"))) ||
           strncmp(desc, "Invalid parameter '", 19) == 0;
}

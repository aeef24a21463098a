/* commands: the QMP commands the simulated VMM knows, with 7.2's replies and error texts, run on the
 * modeled main thread. Each one is traced as QEMU's generated marshallers do (qmp_enter_<cmd> with the
 * arguments, qmp_exit_<cmd> with the result and 1, or the error and 0). Unknown commands get
 * CommandNotFound. It must never write to a monitor itself: replies go back to qmpserver.c. */
#include <stdio.h>
#include <string.h>

#include "sim_internal.h"

typedef int (*cmd_fn)(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e);

struct cmd {
    const char *name;
    cmd_fn fn;
    bool no_args;
    bool oob;
};

static int cmd_query_migrate(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    *ret = sim_query_migrate(v);
    return 0;
}

static int cmd_query_caps(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    *ret = sim_caps_query(v);
    return 0;
}

static int cmd_query_params(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    *ret = sim_params_query(v);
    return 0;
}

static int cmd_set_caps(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)ret;
    return sim_caps_set(v, args, e);
}

static int cmd_set_params(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)ret;
    return sim_params_set(v, args, e);
}

static int cmd_migrate(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)ret;
    return sim_mig_start(v, args, e);
}

static int cmd_cancel(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)ret;
    (void)e;
    sim_mig_cancel(v);
    return 0;
}

static json_object *yank_entry(const char *type, const char *id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(type));
    if (id)
        json_object_object_add(o, "id", json_object_new_string(id));
    return o;
}

static int cmd_query_yank(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    json_object *list = json_object_new_array();
    json_object_array_add(list, yank_entry("chardev", "compat_monitor0"));
    if (v->mig.instance)
        json_object_array_add(list, yank_entry("migration", NULL));
    *ret = list;
    return 0;
}

static int cmd_query_status(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "running", json_object_new_boolean(v->runstate == RS_RUNNING));
    json_object_object_add(o, "singlestep", json_object_new_boolean(false));
    json_object_object_add(o, "status", json_object_new_string(sim_runstate_name(v->runstate)));
    *ret = o;
    return 0;
}

static int cmd_query_version(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    json_object *q = json_object_new_object();
    json_object_object_add(q, "micro", json_object_new_int(v->model->version[2]));
    json_object_object_add(q, "minor", json_object_new_int(v->model->version[1]));
    json_object_object_add(q, "major", json_object_new_int(v->model->version[0]));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "qemu", q);
    char pkg[64];
    snprintf(pkg, sizeof pkg, "qmprace-sim %s", v->model->name);
    json_object_object_add(o, "package", json_object_new_string(pkg));
    *ret = o;
    return 0;
}

static int cmd_stop(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)ret;
    (void)e;
    if (v->runstate == RS_RUNNING) {
        sim_set_runstate(v, RS_PAUSED);
        sim_event(v, "STOP", NULL);
    }
    return 0;
}

static int cmd_cont(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)ret;
    if (v->runstate == RS_FINISH_MIGRATE)
        return err_set(e, "Migration is not finalized yet");
    if (v->runstate != RS_RUNNING) {
        sim_set_runstate(v, RS_RUNNING);
        sim_event(v, "RESUME", NULL);
    }
    return 0;
}

static int cmd_quit(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)ret;
    (void)e;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "guest", json_object_new_boolean(false));
    json_object_object_add(data, "reason", json_object_new_string("host-qmp-quit"));
    sim_event(v, "SHUTDOWN", data);
    v->quit_pending = true; /* the process exits once the reply is out */
    return 0;
}

static int cmd_start_postcopy(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)ret;
    if (!v->caps[CAP_POSTCOPY_RAM])
        return err_set(e, "Enable postcopy with migrate_set_capability before the start of migration");
    if (v->status == MIG_NONE)
        return err_set(e, "Postcopy must be started after migration has been started");
    return 0; /* accepted; postcopy itself is not modeled */
}

static int cmd_pause(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)v;
    (void)args;
    (void)ret;
    return err_set(e, "migrate-pause is currently only supported during postcopy-active state");
}

static int cmd_continue(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    static const char *const allowed[] = {"state", NULL};
    (void)ret;
    /* The enum this model's QAPI schema has: its version's, plus `failing` with the fix. */
    const char *names[MIG_STATUS_COUNT + 1];
    int n = 0;
    for (int i = 0; i < MIG_STATUS_COUNT; i++)
        if (sim_has_status(v, (enum mig_status)i))
            names[n++] = vocab_status_name((enum mig_status)i);
    names[n] = NULL;
    bool has = false;
    int idx = -1;
    if (sim_arg_enum(args, "state", names, &has, &idx, e) < 0)
        return -1;
    if (!has)
        return err_set(e, "Parameter 'state' is missing");
    if (sim_args_check_only(args, allowed, e) < 0)
        return -1;
    int st = vocab_status_parse(names[idx], strlen(names[idx]));
    if (st != (int)v->status)
        return err_set(e, "Migration not in expected state: %s", vocab_status_name(v->status));
    sim_mig_continue(v);
    return 0;
}

static int cmd_query_schema(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e);

static const struct cmd cmds[] = {
    {"query-migrate", cmd_query_migrate, true, false},
    {"query-migrate-capabilities", cmd_query_caps, true, false},
    {"query-migrate-parameters", cmd_query_params, true, false},
    {"migrate-set-capabilities", cmd_set_caps, false, false},
    {"migrate-set-parameters", cmd_set_params, false, false},
    {"migrate", cmd_migrate, false, false},
    {"migrate_cancel", cmd_cancel, true, false},
    {"query-yank", cmd_query_yank, true, false},
    {"query-status", cmd_query_status, true, false},
    {"query-version", cmd_query_version, true, false},
    {"stop", cmd_stop, true, false},
    {"cont", cmd_cont, true, false},
    {"quit", cmd_quit, true, false},
    {"migrate-start-postcopy", cmd_start_postcopy, true, false},
    {"migrate-pause", cmd_pause, true, true},
    {"migrate-continue", cmd_continue, false, false},
    {"query-qmp-schema", cmd_query_schema, true, false},
};

static const struct cmd *find(const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

bool sim_cmd_traced(const char *event)
{
    const char *rest = strncmp(event, "qmp_enter_", 10) == 0 ? event + 10
                       : strncmp(event, "qmp_exit_", 9) == 0  ? event + 9
                                                              : NULL;
    for (size_t i = 0; rest && i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *n = cmds[i].name;
        size_t k = 0;
        while (n[k] && rest[k] && (n[k] == rest[k] || (n[k] == '-' && rest[k] == '_')))
            k++;
        if (!n[k] && !rest[k])
            return true;
    }
    return false;
}

bool sim_cmd_allows_oob(const char *name)
{
    const struct cmd *c = find(name);
    return !c || c->oob; /* an unknown command is reported as not found, not as lacking OOB */
}

static int negotiate(json_object *args, bool *oob, struct err *e)
{
    static const char *const allowed[] = {"enable", NULL};
    json_object *list = NULL;
    bool want_oob = false;
    if (args && json_object_object_get_ex(args, "enable", &list)) {
        if (!json_object_is_type(list, json_type_array))
            return err_set(e, "Invalid parameter type for 'enable', expected: array");
        size_t n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
            json_object *c = json_object_array_get_idx(list, i);
            if (!json_object_is_type(c, json_type_string))
                return err_set(e, "Invalid parameter type for 'enable[%zu]', expected: string", i);
            if (strcmp(json_object_get_string(c), "oob") != 0)
                return err_set(e, "Parameter 'null' does not accept value '%s'", json_object_get_string(c));
            want_oob = true;
        }
    }
    if (sim_args_check_only(args, allowed, e) < 0)
        return -1;
    *oob = want_oob;
    return 0;
}

/* qmp_enter_<cmd> / qmp_exit_<cmd>: QEMU names them after the command with '-' as '_'. */
static void trace_cmd(struct sim_vmm *v, const char *dir, const char *name, const char *what, int ok)
{
    if (!v->hooks.trace || v->dead)
        return;
    char ev[80];
    int n = snprintf(ev, sizeof ev, "qmp_%s_%s", dir, name);
    for (int i = 0; i < n && i < (int)sizeof ev; i++)
        if (ev[i] == '-')
            ev[i] = '_';
    if (ok < 0)
        sim_trace(v, &v->main_thr, ev, "%s", what);
    else
        sim_trace(v, &v->main_thr, ev, "%s %d", what, ok);
}

static const char *to_json(json_object *o)
{
    return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
             : "{}";
}

int sim_cmd_run(struct sim_vmm *v, const char *name, json_object *args, bool *negotiated, bool *oob,
                json_object **ret, const char **cls, struct err *e)
{
    *ret = NULL;
    *cls = "GenericError";
    if (strcmp(name, "qmp_capabilities") == 0) {
        if (*negotiated) {
            *cls = "CommandNotFound";
            return err_set(e, "Capabilities negotiation is already complete, command ignored");
        }
        if (negotiate(args, oob, e) < 0)
            return -1;
        *negotiated = true;
        return 0;
    }
    const struct cmd *c = find(name);
    if (!*negotiated) {
        *cls = "CommandNotFound";
        return err_set(e, "Expecting capabilities negotiation with 'qmp_capabilities'");
    }
    if (!c) {
        *cls = "CommandNotFound";
        return err_set(e, "The command %s has not been found", name);
    }
    if (c->no_args && sim_args_check_only(args, NULL, e) < 0)
        return -1;
    trace_cmd(v, "enter", name, args ? to_json(args) : "{}", -1);
    int r = c->fn(v, args, ret, e);
    if (v->dead)
        return r;
    if (r < 0)
        trace_cmd(v, "exit", name, e->msg, 0);
    else
        trace_cmd(v, "exit", name, to_json(*ret), 1);
    return r;
}

/* The model's QAPI schema: its commands (this table's) and the migration types qmprace reads. */
static int cmd_query_schema(struct sim_vmm *v, json_object *args, json_object **ret, struct err *e)
{
    (void)args;
    (void)e;
    const char *names[sizeof cmds / sizeof cmds[0] + 1];
    size_t n = 0;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        names[n++] = cmds[i].name;
    names[n++] = "qmp_capabilities";
    *ret = sim_schema(v, names, n);
    return 0;
}

/* target_restore: what a reused VMM is given back before a trial, so that no trial inherits the last one's
 * migration settings (nor a VM its completed migration left paused: `cont`). Only what the trials since the
 * last restore asked to change is sent back (the capabilities and parameters their commands named), at the
 * values a fresh VMM has: 7.2's monitor reads its input a byte per turn of its loop, and the whole lists
 * took about a third of a plain trial. A command whose effect on the settings is not known here (anything
 * beyond the migration commands and queries, a `migrate` with block options) or a restore the VMM refused
 * makes the next restore send everything. */
#include <string.h>

#include "target.h"
#include "target_impl.h"

static void mark(json_object **set, const char *name)
{
    if (!*set)
        *set = json_object_new_object();
    if (*set)
        json_object_object_add(*set, name, NULL);
}

/* (`migrate` itself is a migration command that sets the block capability with blk/inc: below; stop, cont
 * and migrate-start-postcopy touch the VM or the migration under way, never a capability or parameter) */
static bool leaves_settings(const char *cmd)
{
    enum vocab_cmd_effect e = vocab_cmd_effect(cmd);
    return e == VOCAB_CMD_QUERY || e == VOCAB_CMD_RUNSTATE || e == VOCAB_CMD_POSTCOPY ||
           (e == VOCAB_CMD_MIGRATION && strcmp(cmd, "migrate") != 0);
}

void target_note_sent(struct target *t, const char *cmd, json_object *args)
{
    if (!cmd || leaves_settings(cmd))
        return;
    if (strcmp(cmd, "migrate-set-capabilities") == 0) {
        json_object *list = NULL;
        if (!json_object_object_get_ex(args, "capabilities", &list) || !json_object_is_type(list, json_type_array)) {
            t->restore_all = true;
            return;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *name = NULL;
            if (!json_object_object_get_ex(json_object_array_get_idx(list, i), "capability", &name) ||
                !json_object_is_type(name, json_type_string)) {
                t->restore_all = true;
                return;
            }
            mark(&t->changed_caps, json_object_get_string(name));
        }
        return;
    }
    if (strcmp(cmd, "migrate-set-parameters") == 0 && json_object_is_type(args, json_type_object)) {
        json_object_object_foreach(args, key, val) {
            (void)val;
            mark(&t->changed_params, key);
        }
        return;
    }
    /* 7.2's `migrate` sets the block capability for blk/inc; any other command is not followed here */
    if (strcmp(cmd, "migrate") == 0 && !json_object_object_get_ex(args, "blk", NULL) &&
        !json_object_object_get_ex(args, "inc", NULL))
        return;
    t->restore_all = true;
}

/* The fresh values of the capabilities changed (of all of them with restore_all), as migrate-set-capabilities'
 * arguments; NULL when there are none. */
static json_object *caps_subset(const struct target *t)
{
    json_object *fresh = NULL;
    json_object_object_get_ex(t->fresh_caps, "capabilities", &fresh);
    json_object *list = json_object_new_array();
    for (size_t i = 0; list && i < json_object_array_length(fresh); i++) {
        json_object *c = json_object_array_get_idx(fresh, i), *name = NULL;
        if (t->restore_all || (json_object_object_get_ex(c, "capability", &name) &&
                               json_object_object_get_ex(t->changed_caps, json_object_get_string(name), NULL)))
            json_object_array_add(list, json_object_get(c));
    }
    if (!list || json_object_array_length(list) == 0) {
        json_object_put(list);
        return NULL;
    }
    json_object *args = json_object_new_object();
    if (args)
        json_object_object_add(args, "capabilities", list);
    else
        json_object_put(list);
    return args;
}

static json_object *params_subset(const struct target *t)
{
    if (t->restore_all)
        return json_object_object_length(t->fresh_params) ? json_object_get(t->fresh_params) : NULL;
    json_object *args = NULL;
    if (!t->changed_params)
        return NULL;
    json_object_object_foreach(t->changed_params, key, unused) {
        (void)unused;
        json_object *val = NULL;
        if (!json_object_object_get_ex(t->fresh_params, key, &val))
            continue;
        if (!args && !(args = json_object_new_object()))
            return NULL;
        json_object_object_add(args, key, json_object_get(val));
    }
    return args;
}

static void forget(struct target *t)
{
    json_object_put(t->changed_caps);
    json_object_put(t->changed_params);
    t->changed_caps = t->changed_params = NULL;
    t->restore_all = false;
}

static void add_cmd(json_object *cmds, const char *name, json_object *args)
{
    json_object *c = json_object_new_object();
    if (!c) {
        json_object_put(args);
        return;
    }
    json_object_object_add(c, "execute", json_object_new_string(name));
    if (args)
        json_object_object_add(c, "arguments", args);
    json_object_array_add(cmds, c);
}

enum target_restore target_restore(struct target *t, json_object **cmds)
{
    *cmds = NULL;
    if (!t->ops->reused || !t->ops->reused(t) || !t->fresh_caps || !t->fresh_params) {
        forget(t); /* a fresh VMM has a fresh one's settings */
        return TARGET_FRESH;
    }
    json_object *caps = caps_subset(t), *params = params_subset(t);
    bool resume = t->ops->left_paused && t->ops->left_paused(t);
    forget(t);
    if (!caps && !params && !resume)
        return TARGET_UNCHANGED;
    *cmds = json_object_new_array();
    if (!*cmds) {
        json_object_put(caps);
        json_object_put(params);
        target_restore_failed(t);
        return TARGET_UNCHANGED;
    }
    if (resume)
        add_cmd(*cmds, "cont", NULL);
    if (caps)
        add_cmd(*cmds, "migrate-set-capabilities", caps);
    if (params)
        add_cmd(*cmds, "migrate-set-parameters", params);
    return TARGET_SET_BACK;
}

void target_restore_failed(struct target *t)
{
    t->restore_all = true;
    if (t->ops->restore_refused)
        t->ops->restore_refused(t);
}

/* profile: one value for a trial's conditions, its parser and its printer (see profile.h). */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "propnames.h"
#include "schedule.h"
#include "units.h"

#define RUN_DEADLINE_US 10000000ull    /* run, minimize: a trial is a hang only when it is clearly stuck */
#define EXPLORE_DEADLINE_US 2000000ull /* explore: a trial in a held window takes tens of ms */

void profile_init(struct trial_profile *p)
{
    memset(p, 0, sizeof *p);
}

void profile_clear(struct trial_profile *p)
{
    for (size_t i = 0; i < p->nargs; i++)
        free(p->args[i]);
    profile_init(p);
}

static int profile_bool(const char *value, bool *out, const char *yes, const char *no, struct err *e)
{
    if (strcmp(value, yes) == 0)
        *out = true;
    else if (strcmp(value, no) == 0)
        *out = false;
    else
        return err_set(e, "expected %s or %s, got '%s'", yes, no, value);
    return 0;
}

int profile_set(struct trial_profile *p, const char *key, const char *value, struct err *e)
{
    unsigned bit;
    if (strcmp(key, "target") == 0) {
        if (!*value || strlen(value) >= sizeof p->target)
            return err_set(e, "a target spec of 1 to %zu characters", sizeof p->target - 1);
        snprintf(p->target, sizeof p->target, "%s", value);
        bit = PROFILE_TARGET;
    } else if (strcmp(key, "ram") == 0) {
        if (units_parse_size(value, strlen(value), &p->ram, e) < 0)
            return -1;
        bit = PROFILE_RAM;
    } else if (strcmp(key, "deadline") == 0) {
        if (units_parse_duration(value, strlen(value), &p->deadline_us, e) < 0)
            return -1;
        if (!p->deadline_us)
            return err_set(e, "must be above 0");
        bit = PROFILE_DEADLINE;
    } else if (strcmp(key, "without") == 0) {
        if (schedule_action_mask_parse(value, &p->without, e) < 0)
            return -1;
        bit = PROFILE_WITHOUT;
    } else if (strcmp(key, "fresh") == 0) {
        if (profile_bool(value, &p->fresh, "yes", "no", e) < 0)
            return -1;
        bit = PROFILE_FRESH;
    } else if (strcmp(key, "properties") == 0) {
        unsigned on;
        if (props_parse(value, &on, e) < 0)
            return -1;
        p->props_off = PROPS_ALL & ~on;
        bit = PROFILE_PROPS;
    } else if (strcmp(key, "dest") == 0) {
        if (profile_bool(value, &p->dest_vmm, "qemu", "sink", e) < 0)
            return -1;
        bit = PROFILE_DEST;
    } else if (strcmp(key, "arg") == 0) {
        if (p->nargs >= PROFILE_MAX_ARGS)
            return err_set(e, "at most %d QEMU arguments", PROFILE_MAX_ARGS);
        if (!(p->args[p->nargs] = strdup(value)))
            return err_set(e, "out of memory");
        p->nargs++;
        bit = PROFILE_ARGS;
    } else {
        return err_set(e, "unknown field '%s' (fields: target, ram, deadline, without, properties, fresh, dest, args)", key);
    }
    p->set |= bit;
    return 0;
}

void profile_fill(struct trial_profile *p, uint64_t ram, uint64_t deadline_us)
{
    if (!p->target[0])
        snprintf(p->target, sizeof p->target, "%s", PROFILE_DEFAULT_TARGET);
    if (!(p->set & PROFILE_RAM) && !p->ram)
        p->ram = ram;
    if (!(p->set & PROFILE_DEADLINE) && !p->deadline_us)
        p->deadline_us = deadline_us;
}

uint64_t profile_default_deadline(enum profile_use use)
{
    return use == PROFILE_FOR_EXPLORE ? EXPLORE_DEADLINE_US : RUN_DEADLINE_US;
}

int profile_copy(struct trial_profile *dst, const struct trial_profile *src, struct err *e)
{
    *dst = *src;
    dst->nargs = 0;
    for (size_t i = 0; i < src->nargs; i++) {
        if (!(dst->args[i] = strdup(src->args[i]))) {
            profile_clear(dst);
            return err_set(e, "out of memory");
        }
        dst->nargs++;
    }
    return 0;
}

int profile_merge(struct trial_profile *p, const struct trial_profile *over, struct err *e)
{
    if (over->set & PROFILE_TARGET)
        snprintf(p->target, sizeof p->target, "%s", over->target);
    if (over->set & PROFILE_RAM)
        p->ram = over->ram;
    if (over->set & PROFILE_DEADLINE)
        p->deadline_us = over->deadline_us;
    if (over->set & PROFILE_WITHOUT)
        p->without = over->without;
    if (over->set & PROFILE_FRESH)
        p->fresh = over->fresh;
    if (over->set & PROFILE_DEST)
        p->dest_vmm = over->dest_vmm;
    if (over->set & PROFILE_PROPS)
        p->props_off = over->props_off;
    if (over->set & PROFILE_ARGS) {
        for (size_t i = 0; i < p->nargs; i++)
            free(p->args[i]);
        p->nargs = 0;
        for (size_t i = 0; i < over->nargs; i++)
            if (profile_set(p, "arg", over->args[i], e) < 0)
                return -1;
    }
    p->set |= over->set;
    return 0;
}

bool profile_same(const struct trial_profile *a, const struct trial_profile *b)
{
    unsigned both = a->set & b->set;
    if ((both & PROFILE_TARGET) && strcmp(a->target, b->target) != 0)
        return false;
    if ((both & PROFILE_RAM) && a->ram != b->ram)
        return false;
    if ((both & PROFILE_DEADLINE) && a->deadline_us != b->deadline_us)
        return false;
    if ((both & PROFILE_WITHOUT) && a->without != b->without)
        return false;
    if ((both & PROFILE_FRESH) && a->fresh != b->fresh)
        return false;
    if ((both & PROFILE_DEST) && a->dest_vmm != b->dest_vmm)
        return false;
    if ((both & PROFILE_PROPS) && a->props_off != b->props_off)
        return false;
    if (both & PROFILE_ARGS) {
        if (a->nargs != b->nargs)
            return false;
        for (size_t i = 0; i < a->nargs; i++)
            if (strcmp(a->args[i], b->args[i]) != 0)
                return false;
    }
    return true;
}

/* "params,qmp": the names of the actions in the mask, as schedule_action_mask_parse reads them. */
static void profile_without_text(unsigned mask, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < ACT_KIND_COUNT && len < n; k++)
        if (mask & (1u << k))
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", schedule_action_name(k));
}

json_object *profile_json(const struct trial_profile *p)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    char ram[32] = "0", dl[32], without[256];
    if (p->ram)
        units_format_size(p->ram, ram, sizeof ram);
    units_format_duration(p->deadline_us, dl, sizeof dl);
    profile_without_text(p->without, without, sizeof without);
    json_object_object_add(o, "target", json_object_new_string(p->target));
    json_object_object_add(o, "ram", json_object_new_string(ram));
    json_object_object_add(o, "deadline", json_object_new_string(dl));
    json_object_object_add(o, "without", json_object_new_string(without));
    if (p->props_off) { /* every property is the default, and reproducers from before had none */
        char props[200];
        props_print(PROPS_ALL & ~p->props_off, props, sizeof props);
        json_object_object_add(o, "properties", json_object_new_string(props));
    }
    /* a QEMU's own fields only where they mean something, so a sim: profile stays short */
    if (strncmp(p->target, "qemu", 4) == 0) {
        json_object_object_add(o, "fresh", json_object_new_string(p->fresh ? "yes" : "no"));
        json_object_object_add(o, "dest", json_object_new_string(p->dest_vmm ? "qemu" : "sink"));
        json_object *args = json_object_new_array();
        for (size_t i = 0; i < p->nargs; i++)
            json_object_array_add(args, json_object_new_string(p->args[i]));
        json_object_object_add(o, "args", args);
    }
    return o;
}

char *profile_print(const struct trial_profile *p)
{
    json_object *o = profile_json(p);
    if (!o)
        return NULL;
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* One field of the printed form. */
static int profile_parse_field(struct trial_profile *p, const char *key, json_object *v, struct err *e)
{
    if (strcmp(key, "args") == 0) {
        if (!json_object_is_type(v, json_type_array))
            return err_set(e, "args: expected a list of strings");
        for (size_t i = 0; i < p->nargs; i++)
            free(p->args[i]);
        p->nargs = 0;
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *a = json_object_array_get_idx(v, i);
            if (!json_object_is_type(a, json_type_string))
                return err_set(e, "args: expected a list of strings");
            if (profile_set(p, "arg", json_object_get_string(a), e) < 0)
                return err_prefix(e, "args");
        }
        p->set |= PROFILE_ARGS;
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return err_set(e, "%s: expected a string", key);
    if (profile_set(p, key, json_object_get_string(v), e) < 0)
        return err_prefix(e, "%s", key);
    return 0;
}

int profile_parse(struct trial_profile *p, const char *text, struct err *e)
{
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return err_set(e, "out of memory");
    json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int rc = 0;
    if (!o || jerr != json_tokener_success)
        rc = err_set(e, "not a JSON object: %s", o ? "trailing text" : json_tokener_error_desc(jerr));
    else if (!json_object_is_type(o, json_type_object))
        rc = err_set(e, "not a JSON object");
    else if (text[used + strspn(text + used, " \t\r\n")] != '\0')
        rc = err_set(e, "text after the JSON object");
    else {
        json_object_object_foreach(o, key, v)
        {
            if ((rc = profile_parse_field(p, key, v, e)) < 0)
                break;
        }
    }
    json_object_put(o);
    return rc;
}

int profile_read_file(const char *path, struct trial_profile *p, bool *found, struct err *e)
{
    char line[8192];
    int no = 0, col = 0;
    int rc = schedule_header(path, PROFILE_HEADER, line, sizeof line, &no, &col, e);
    *found = rc == 1;
    if (rc == 1 && profile_parse(p, line + col - 1, e) < 0)
        return err_prefix(e, "%s:%d:%d: profile", path, no, col);
    return rc < 0 ? -1 : 0;
}

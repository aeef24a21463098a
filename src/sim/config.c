/* config: migration capabilities and parameters as 7.2 keeps them: defaults, migrate-set-capabilities
 * (refused while migration_is_running(), then the cheap rules of migrate_caps_check) and
 * migrate-set-parameters (no running check at all in 7.2, that is one of the bugs; the range checks and
 * texts of migrate_params_check), and the two query commands. Argument errors use QEMU's visitor texts.
 * It must never apply a change that a check refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* 7.2's defaults (migration.c: DEFAULT_MIGRATE_*, MAX_THROTTLE), in vocab.h's parameter order. */
static const uint64_t param_defaults[PARAM_COUNT] = {
    [PARAM_ANNOUNCE_INITIAL] = 50,
    [PARAM_ANNOUNCE_MAX] = 550,
    [PARAM_ANNOUNCE_ROUNDS] = 5,
    [PARAM_ANNOUNCE_STEP] = 100,
    [PARAM_COMPRESS_LEVEL] = 1,
    [PARAM_COMPRESS_THREADS] = 8,
    [PARAM_COMPRESS_WAIT_THREAD] = 1,
    [PARAM_DECOMPRESS_THREADS] = 2,
    [PARAM_THROTTLE_TRIGGER_THRESHOLD] = 50,
    [PARAM_CPU_THROTTLE_INITIAL] = 20,
    [PARAM_CPU_THROTTLE_INCREMENT] = 10,
    [PARAM_CPU_THROTTLE_TAILSLOW] = 0,
    [PARAM_MAX_BANDWIDTH] = 128u << 20, /* MAX_THROTTLE; the simulator does not throttle */
    [PARAM_DOWNTIME_LIMIT] = 300,
    [PARAM_X_CHECKPOINT_DELAY] = 200 * 100,
    [PARAM_BLOCK_INCREMENTAL] = 0,
    [PARAM_MULTIFD_CHANNELS] = 2,
    [PARAM_XBZRLE_CACHE_SIZE] = 64u << 20,
    [PARAM_MAX_POSTCOPY_BANDWIDTH] = 0,
    [PARAM_MAX_CPU_THROTTLE] = 99,
    [PARAM_MULTIFD_COMPRESSION] = 0,
    [PARAM_MULTIFD_ZLIB_LEVEL] = 1,
    [PARAM_MULTIFD_ZSTD_LEVEL] = 1,
    /* 10.0's (migration/options.c DEFAULT_MIGRATE_*) */
    [PARAM_AVAIL_SWITCHOVER_BANDWIDTH] = 0,
    [PARAM_MULTIFD_QATZIP_LEVEL] = 1,
    [PARAM_X_VCPU_DIRTY_LIMIT_PERIOD] = 1000,
    [PARAM_VCPU_DIRTY_LIMIT] = 1,
    [PARAM_MODE] = 0,                /* normal */
    [PARAM_ZERO_PAGE_DETECTION] = 2, /* multifd */
    [PARAM_DIRECT_IO] = 0,
};

static int tls_slot(enum mig_param p)
{
    return p == PARAM_TLS_CREDS ? 0 : p == PARAM_TLS_HOSTNAME ? 1 : p == PARAM_TLS_AUTHZ ? 2 : -1;
}

void sim_config_defaults(struct sim_vmm *v)
{
    memset(v->caps, 0, sizeof v->caps);
    memcpy(v->params, param_defaults, sizeof v->params);
    for (int i = 0; i < 3; i++)
        v->tls[i] = strdup("");
}

void sim_config_free(struct sim_vmm *v)
{
    for (int i = 0; i < 3; i++) {
        free(v->tls[i]);
        v->tls[i] = NULL;
    }
    if (v->bitmap_mapping)
        json_object_put(v->bitmap_mapping);
    v->bitmap_mapping = NULL;
}

/* ---- capabilities ---- */

/* One MigrationCapabilityStatus element; the visitor names it "capabilities[i]". */
static int parse_cap(const struct sim_vmm *v, json_object *el, int n, int *cap, bool *state, struct err *e)
{
    if (!json_object_is_type(el, json_type_object))
        return err_set(e, "Invalid parameter type for 'capabilities[%d]', expected: object", n);
    json_object *c = NULL, *s = NULL;
    if (!json_object_object_get_ex(el, "capability", &c))
        return err_set(e, "Parameter 'capabilities[%d].capability' is missing", n);
    if (!json_object_is_type(c, json_type_string))
        return err_set(e, "Invalid parameter type for 'capabilities[%d].capability', expected: string", n);
    const char *name = json_object_get_string(c);
    *cap = vocab_cap_parse(name, strlen(name));
    if (*cap < 0 || !sim_has_cap(v, (enum mig_cap)*cap))
        return err_set(e, "Parameter 'capability' does not accept value '%s'", name);
    if (!json_object_object_get_ex(el, "state", &s))
        return err_set(e, "Parameter 'capabilities[%d].state' is missing", n);
    if (!json_object_is_type(s, json_type_boolean))
        return err_set(e, "Invalid parameter type for 'capabilities[%d].state', expected: boolean", n);
    *state = json_object_get_boolean(s);
    json_object_object_foreach(el, key, val) {
        (void)val;
        if (strcmp(key, "capability") != 0 && strcmp(key, "state") != 0)
            return err_set(e, "Parameter 'capabilities[%d].%s' is unexpected", n, key);
    }
    return 0;
}

static bool use_tls(const struct sim_vmm *v)
{
    return v->tls[0] && v->tls[0][0];
}

/* migrate_caps_check(), the rules that do not need a host or a destination to decide. */
static int caps_check(const struct sim_vmm *v, const bool *c, struct err *e)
{
    if (c[CAP_POSTCOPY_RAM] && c[CAP_X_IGNORE_SHARED])
        return err_set(e, "Postcopy is not compatible with ignore-shared");
    if (c[CAP_BACKGROUND_SNAPSHOT]) /* uffd write protection does not cover the modeled guest RAM */
        return err_set(e, "Background-snapshot is not compatible with guest memory configuration");
    if (c[CAP_ZERO_COPY_SEND] && (!c[CAP_MULTIFD] || c[CAP_COMPRESS] || c[CAP_XBZRLE] ||
                                  v->params[PARAM_MULTIFD_COMPRESSION] != 0 || use_tls(v)))
        return err_set(e, "Zero copy only available for non-compressed non-TLS multifd migration");
    if (c[CAP_POSTCOPY_PREEMPT]) {
        if (!c[CAP_POSTCOPY_RAM])
            return err_set(e, "Postcopy preempt requires postcopy-ram");
        if (c[CAP_COMPRESS])
            return err_set(e, "Postcopy preempt not compatible with compress");
    }
    if (c[CAP_MULTIFD] && c[CAP_COMPRESS])
        return err_set(e, "Multifd is not compatible with compress");
    return 0;
}

int sim_caps_set(struct sim_vmm *v, json_object *args, struct err *e)
{
    static const char *const allowed[] = {"capabilities", NULL};
    json_object *list = NULL;
    if (!args || !json_object_object_get_ex(args, "capabilities", &list))
        return err_set(e, "Parameter 'capabilities' is missing");
    if (!json_object_is_type(list, json_type_array))
        return err_set(e, "Invalid parameter type for 'capabilities', expected: array");
    bool next[CAP_COUNT];
    memcpy(next, v->caps, sizeof next);
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        int cap = 0;
        bool state = false;
        if (parse_cap(v, json_object_array_get_idx(list, i), (int)i, &cap, &state, e) < 0)
            return -1;
        next[cap] = state;
    }
    if (sim_args_check_only(args, allowed, e) < 0)
        return -1;
    if (vocab_status_is_running(v->status))
        return err_set(e, SIM_ERR_ACTIVE);
    if (caps_check(v, next, e) < 0)
        return -1;
    memcpy(v->caps, next, sizeof next);
    return 0;
}

json_object *sim_caps_query(const struct sim_vmm *v)
{
    json_object *list = json_object_new_array();
    for (int i = 0; i < CAP_COUNT; i++) {
        if (!sim_has_cap(v, (enum mig_cap)i))
            continue;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "capability", json_object_new_string(vocab_cap_name((enum mig_cap)i)));
        json_object_object_add(o, "state", json_object_new_boolean(v->caps[i]));
        json_object_array_add(list, o);
    }
    return list;
}

/* ---- parameters ---- */

struct pending {
    bool has[PARAM_COUNT];
    uint64_t val[PARAM_COUNT];
    const char *str[3];
    json_object *mapping;
};

static int parse_param(json_object *args, enum mig_param p, struct pending *pd, struct err *e)
{
    const struct vocab_param *vp = vocab_param(p);
    json_object *o = NULL;
    if (!json_object_object_get_ex(args, vp->name, &o))
        return 0;
    bool has = false, b = false;
    int idx = 0;
    switch (vp->type) {
    case PT_UINT8:
        if (sim_arg_uint(args, vp->name, 255, "uint8_t", &has, &pd->val[p], e) < 0)
            return -1;
        break;
    case PT_UINT32:
        if (sim_arg_uint(args, vp->name, UINT32_MAX, "uint32_t", &has, &pd->val[p], e) < 0)
            return -1;
        break;
    case PT_UINT64:
    case PT_SIZE:
        if (sim_arg_uint(args, vp->name, UINT64_MAX, "uint64", &has, &pd->val[p], e) < 0)
            return -1;
        break;
    case PT_BOOL:
        if (sim_arg_bool(args, vp->name, NULL, &has, &b, e) < 0)
            return -1;
        pd->val[p] = b;
        break;
    case PT_STR: /* StrOrNull; null means "" (qmp_migrate_set_parameters) */
        if (json_object_is_type(o, json_type_null))
            pd->str[tls_slot(p)] = "";
        else if (json_object_is_type(o, json_type_string))
            pd->str[tls_slot(p)] = json_object_get_string(o);
        else
            return err_set(e, "Invalid parameter type for '%s', expected: StrOrNull", vp->name);
        break;
    case PT_ENUM:
        if (sim_arg_enum(args, vp->name, vp->values, &has, &idx, e) < 0)
            return -1;
        pd->val[p] = (uint64_t)idx;
        break;
    }
    pd->has[p] = true;
    return 0;
}

static int range(const char *name, const char *what, struct err *e)
{
    return err_set(e, "Parameter '%s' expects %s", name, what);
}

/* migrate_params_check() on the parameters as they would be after the change. */
static int params_check(const struct sim_vmm *v, const uint64_t *p, const char *tls_creds, struct err *e)
{
    if (sim_has_param(v, PARAM_COMPRESS_LEVEL) && p[PARAM_COMPRESS_LEVEL] > 9)
        return range("compress_level", "a value between 0 and 9", e);
    if (sim_has_param(v, PARAM_COMPRESS_THREADS) && p[PARAM_COMPRESS_THREADS] < 1)
        return range("compress_threads", "a value between 1 and 255", e);
    if (sim_has_param(v, PARAM_DECOMPRESS_THREADS) && p[PARAM_DECOMPRESS_THREADS] < 1)
        return range("decompress_threads", "a value between 1 and 255", e);
    if (p[PARAM_THROTTLE_TRIGGER_THRESHOLD] < 1 || p[PARAM_THROTTLE_TRIGGER_THRESHOLD] > 100)
        return range("throttle_trigger_threshold", "an integer in the range of 1 to 100", e);
    if (p[PARAM_CPU_THROTTLE_INITIAL] < 1 || p[PARAM_CPU_THROTTLE_INITIAL] > 99)
        return range("cpu_throttle_initial", "an integer in the range of 1 to 99", e);
    if (p[PARAM_CPU_THROTTLE_INCREMENT] < 1 || p[PARAM_CPU_THROTTLE_INCREMENT] > 99)
        return range("cpu_throttle_increment", "an integer in the range of 1 to 99", e);
    if (p[PARAM_DOWNTIME_LIMIT] > 2000u * 1000u)
        return range("downtime_limit", "an integer in the range of 0 to (2000 * 1000) ms", e);
    if (p[PARAM_MULTIFD_CHANNELS] < 1)
        return range("multifd_channels", "a value between 1 and 255", e);
    if (p[PARAM_MULTIFD_ZLIB_LEVEL] > 9)
        return range("multifd_zlib_level", "a value between 0 and 9", e);
    if (p[PARAM_MULTIFD_ZSTD_LEVEL] > 20)
        return range("multifd_zstd_level", "a value between 0 and 20", e);
    uint64_t x = p[PARAM_XBZRLE_CACHE_SIZE];
    if (x < SIM_PAGE || (x & (x - 1)) != 0)
        return range("xbzrle_cache_size", "a power of two no less than the target page size", e);
    if (p[PARAM_MAX_CPU_THROTTLE] < p[PARAM_CPU_THROTTLE_INITIAL] || p[PARAM_MAX_CPU_THROTTLE] > 99)
        return range("max_cpu_throttle", "an integer in the range of cpu_throttle_initial to 99", e);
    if (p[PARAM_ANNOUNCE_INITIAL] > 100000)
        return range("announce_initial", "a value between 0 and 100000", e);
    if (p[PARAM_ANNOUNCE_MAX] > 100000)
        return range("announce_max", "a value between 0 and 100000", e);
    if (p[PARAM_ANNOUNCE_ROUNDS] > 1000)
        return range("announce_rounds", "a value between 0 and 1000", e);
    if (p[PARAM_ANNOUNCE_STEP] < 1 || p[PARAM_ANNOUNCE_STEP] > 10000)
        return range("announce_step", "a value between 0 and 10000", e);
    if (v->caps[CAP_ZERO_COPY_SEND] && (p[PARAM_MULTIFD_COMPRESSION] != 0 || (tls_creds && *tls_creds)))
        return err_set(e, "Zero copy only available for non-compressed non-TLS multifd migration");
    return 0;
}

int sim_params_set(struct sim_vmm *v, json_object *args, struct err *e)
{
    struct pending pd;
    memset(&pd, 0, sizeof pd);
    for (int p = 0; p < PARAM_COUNT; p++)
        if (args && sim_has_param(v, (enum mig_param)p) && parse_param(args, (enum mig_param)p, &pd, e) < 0)
            return -1;
    json_object *map = NULL;
    if (args && json_object_object_get_ex(args, "block-bitmap-mapping", &map)) {
        if (!json_object_is_type(map, json_type_array))
            return err_set(e, "Invalid parameter type for 'block-bitmap-mapping', expected: array");
        pd.mapping = map;
    }
    if (args) {
        const char *const *names = vocab_param_names();
        json_object_object_foreach(args, key, val) {
            (void)val;
            bool ok = strcmp(key, "block-bitmap-mapping") == 0;
            for (int i = 0; names[i] && !ok; i++)
                ok = strcmp(names[i], key) == 0 && sim_has_param(v, (enum mig_param)i);
            if (!ok)
                return err_set(e, "Parameter '%s' is unexpected", key);
        }
    }
    /* 7.2 has no migration_is_running() check here. */
    uint64_t next[PARAM_COUNT];
    memcpy(next, v->params, sizeof next);
    for (int p = 0; p < PARAM_COUNT; p++)
        if (pd.has[p] && tls_slot((enum mig_param)p) < 0)
            next[p] = pd.val[p];
    const char *creds = pd.str[0] ? pd.str[0] : v->tls[0];
    if (params_check(v, next, creds, e) < 0)
        return -1;
    char *tls[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (pd.str[i] && !(tls[i] = strdup(pd.str[i]))) {
            for (int j = 0; j < i; j++)
                free(tls[j]);
            return err_set(e, "out of memory");
        }
    }
    for (int i = 0; i < 3; i++) {
        if (tls[i]) {
            free(v->tls[i]);
            v->tls[i] = tls[i];
        }
    }
    memcpy(v->params, next, sizeof next);
    if (pd.mapping) {
        if (v->bitmap_mapping)
            json_object_put(v->bitmap_mapping);
        v->bitmap_mapping = json_object_get(pd.mapping);
    }
    return 0;
}

json_object *sim_params_query(const struct sim_vmm *v)
{
    json_object *o = json_object_new_object();
    for (int p = 0; p < PARAM_COUNT; p++) {
        const struct vocab_param *vp = vocab_param((enum mig_param)p);
        json_object *val;
        if (!sim_has_param(v, (enum mig_param)p))
            continue;
        switch (vp->type) {
        case PT_BOOL:
            val = json_object_new_boolean(v->params[p] != 0);
            break;
        case PT_STR:
            val = json_object_new_string(v->tls[tls_slot((enum mig_param)p)]);
            break;
        case PT_ENUM:
            val = json_object_new_string(vp->values[v->params[p] < vocab_param_nvalues(vp) ? v->params[p] : 0]);
            break;
        default:
            val = json_object_new_uint64(v->params[p]);
            break;
        }
        json_object_object_add(o, vp->name, val);
    }
    if (v->bitmap_mapping)
        json_object_object_add(o, "block-bitmap-mapping", json_object_get(v->bitmap_mapping));
    return o;
}

/* vocab: QEMU's migration names (see vocab.h). */
#include "vocab.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[MIG_STATUS_COUNT + 1] = {
    "none", "setup", "cancelling", "cancelled", "active", "postcopy-active", "postcopy-paused",
    "postcopy-recover", "completed", "failed", "colo", "pre-switchover", "device", "wait-unplug",
    "failing", "postcopy-recover-setup", "postcopy-device", NULL,
};

static unsigned status_versions(enum mig_status s)
{
    switch (s) {
    case MIG_FAILING:
        return 0;
    case MIG_POSTCOPY_RECOVER_SETUP:
        return VOCAB_V100 | VOCAB_V102;
    case MIG_POSTCOPY_DEVICE:
        return VOCAB_V102;
    default:
        return VOCAB_VALL;
    }
}

static const char *const cap_names[CAP_COUNT + 1] = {
    "xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "compress", "events", "postcopy-ram",
    "x-colo", "release-ram", "block", "return-path", "pause-before-switchover", "multifd",
    "dirty-bitmaps", "postcopy-blocktime", "late-block-activate", "x-ignore-shared", "validate-uuid",
    "background-snapshot", "zero-copy-send", "postcopy-preempt", "switchover-ack", "dirty-limit", "mapped-ram",
    NULL,
};

static unsigned cap_versions(enum mig_cap c)
{
    switch (c) {
    case CAP_COMPRESS:
    case CAP_BLOCK:
        return VOCAB_V72; /* gone in 9.1 */
    case CAP_SWITCHOVER_ACK:
    case CAP_DIRTY_LIMIT:
    case CAP_MAPPED_RAM:
        return VOCAB_V100 | VOCAB_V102;
    default:
        return VOCAB_VALL;
    }
}

static const char *const compress_values[] = {"none", "zlib", "zstd", NULL};
static const char *const mode_values[] = {"normal", "cpr-reboot", "cpr-transfer", NULL};
static const char *const zero_page_values[] = {"none", "legacy", "multifd", NULL};

#define V72 VOCAB_V72
#define V10 (VOCAB_V100 | VOCAB_V102)
#define VALL VOCAB_VALL
static const struct vocab_param params[PARAM_COUNT] = {
    {"announce-initial", PT_UINT64, VALL, NULL},
    {"announce-max", PT_UINT64, VALL, NULL},
    {"announce-rounds", PT_UINT64, VALL, NULL},
    {"announce-step", PT_UINT64, VALL, NULL},
    {"compress-level", PT_UINT8, V72, NULL},
    {"compress-threads", PT_UINT8, V72, NULL},
    {"compress-wait-thread", PT_BOOL, V72, NULL},
    {"decompress-threads", PT_UINT8, V72, NULL},
    {"throttle-trigger-threshold", PT_UINT8, VALL, NULL},
    {"cpu-throttle-initial", PT_UINT8, VALL, NULL},
    {"cpu-throttle-increment", PT_UINT8, VALL, NULL},
    {"cpu-throttle-tailslow", PT_BOOL, VALL, NULL},
    {"tls-creds", PT_STR, VALL, NULL},
    {"tls-hostname", PT_STR, VALL, NULL},
    {"tls-authz", PT_STR, VALL, NULL},
    {"max-bandwidth", PT_SIZE, VALL, NULL},
    {"downtime-limit", PT_UINT64, VALL, NULL},
    {"x-checkpoint-delay", PT_UINT32, VALL, NULL},
    {"block-incremental", PT_BOOL, V72, NULL},
    {"multifd-channels", PT_UINT8, VALL, NULL},
    {"xbzrle-cache-size", PT_SIZE, VALL, NULL},
    {"max-postcopy-bandwidth", PT_SIZE, VALL, NULL},
    {"max-cpu-throttle", PT_UINT8, VALL, NULL},
    {"multifd-compression", PT_ENUM, VALL, compress_values},
    {"multifd-zlib-level", PT_UINT8, VALL, NULL},
    {"multifd-zstd-level", PT_UINT8, VALL, NULL},
    {"avail-switchover-bandwidth", PT_SIZE, V10, NULL},
    {"multifd-qatzip-level", PT_UINT8, V10, NULL},
    {"x-vcpu-dirty-limit-period", PT_UINT64, V10, NULL},
    {"vcpu-dirty-limit", PT_UINT64, V10, NULL},
    {"mode", PT_ENUM, V10, mode_values},
    {"zero-page-detection", PT_ENUM, V10, zero_page_values},
    {"direct-io", PT_BOOL, V10, NULL},
};
#undef V72
#undef V10
#undef VALL

static const char *param_names[PARAM_COUNT + 1];


static int find(const char *const *names, const char *s, size_t len)
{
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}

const char *vocab_status_name(enum mig_status s)
{
    return (unsigned)s < MIG_STATUS_COUNT ? status_names[s] : "?";
}

int vocab_status_parse(const char *s, size_t len)
{
    return find(status_names, s, len);
}

const char *vocab_status_awaited_command(enum mig_status s)
{
    if (s == MIG_PRE_SWITCHOVER)
        return "migrate-continue";
    if (s == MIG_POSTCOPY_PAUSED)
        return "a recovery (migrate-recover, migrate resume=true)";
    return NULL;
}

const char *vocab_status_release_command(enum mig_status s)
{
    if (vocab_status_awaited_command(s))
        return "migrate_cancel"; /* QEMU's cancel posts the pause such a migration waits on */
    if (s == MIG_COLO)
        return "x-colo-lost-heartbeat"; /* the failover a primary whose peer is gone waits for */
    return NULL;
}

/* `name` and `want` the same but for '-' and '_' */
static bool same_command(const char *name, const char *want)
{
    for (; *name && *want; name++, want++)
        if (*name != *want && !((*name == '-' || *name == '_') && (*want == '-' || *want == '_')))
            return false;
    return !*name && !*want;
}

enum vocab_cmd_effect vocab_cmd_effect(const char *name)
{
    static const struct {
        const char *name;
        enum vocab_cmd_effect effect;
    } known[] = {
        {"qmp_capabilities", VOCAB_CMD_QUERY},
        {"migrate", VOCAB_CMD_MIGRATION},
        {"migrate_cancel", VOCAB_CMD_MIGRATION},
        {"migrate_continue", VOCAB_CMD_MIGRATION},
        {"migrate_pause", VOCAB_CMD_MIGRATION},
        {"x_colo_lost_heartbeat", VOCAB_CMD_MIGRATION}, /* COLO's failover: the migration completes */
        {"migrate_set_capabilities", VOCAB_CMD_SETTINGS},
        {"migrate_set_parameters", VOCAB_CMD_SETTINGS},
        {"stop", VOCAB_CMD_RUNSTATE},
        {"cont", VOCAB_CMD_RUNSTATE},
        {"migrate_start_postcopy", VOCAB_CMD_POSTCOPY},
    };
    if (!name)
        return VOCAB_CMD_OTHER;
    if (strncmp(name, "query-", 6) == 0 || strncmp(name, "query_", 6) == 0)
        return VOCAB_CMD_QUERY;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (same_command(name, known[i].name))
            return known[i].effect;
    return VOCAB_CMD_OTHER;
}

bool vocab_status_is_running(enum mig_status s)
{
    switch (s) {
    case MIG_ACTIVE:
    case MIG_POSTCOPY_ACTIVE:
    case MIG_POSTCOPY_PAUSED:
    case MIG_POSTCOPY_RECOVER:
    case MIG_SETUP:
    case MIG_PRE_SWITCHOVER:
    case MIG_DEVICE:
    case MIG_WAIT_UNPLUG:
    case MIG_CANCELLING:
    case MIG_FAILING:
    case MIG_POSTCOPY_RECOVER_SETUP:
    case MIG_POSTCOPY_DEVICE:
        return true;
    default:
        return false;
    }
}

const char *vocab_cap_name(enum mig_cap c)
{
    return (unsigned)c < CAP_COUNT ? cap_names[c] : "?";
}

int vocab_cap_parse(const char *s, size_t len)
{
    return find(cap_names, s, len);
}

const struct vocab_param *vocab_param(enum mig_param p)
{
    return (unsigned)p < PARAM_COUNT ? &params[p] : NULL;
}

const char *const *vocab_param_names(void)
{
    if (!param_names[0])
        for (int i = 0; i < PARAM_COUNT; i++)
            param_names[i] = params[i].name;
    return param_names;
}

int vocab_param_parse(const char *s, size_t len)
{
    return find(vocab_param_names(), s, len);
}

int vocab_param_value_parse(const struct vocab_param *p, const char *s, size_t len)
{
    return p && p->values ? find(p->values, s, len) : -1;
}

size_t vocab_param_nvalues(const struct vocab_param *p)
{
    size_t n = 0;
    while (p && p->values && p->values[n])
        n++;
    return n;
}

unsigned vocab_status_versions(enum mig_status s)
{
    return (unsigned)s < MIG_STATUS_COUNT ? status_versions(s) : 0;
}

unsigned vocab_cap_versions(enum mig_cap c)
{
    return (unsigned)c < CAP_COUNT ? cap_versions(c) : 0;
}

const char *const *vocab_status_names(void)
{
    return status_names;
}

const char *const *vocab_cap_names(void)
{
    return cap_names;
}

static const char *const trace_names[TRACE_COUNT + 1] = {
    [TRACE_MIGRATE_SET_STATE] = "migrate_set_state",
    [TRACE_MULTIFD_SEND_ERROR] = "multifd_send_error",
    [TRACE_MULTIFD_SEND_TERMINATE_THREADS] = "multifd_send_terminate_threads",
    [TRACE_MIGRATION_THREAD_FILE_ERR] = "migration_thread_file_err",
    [TRACE_MIGRATION_THREAD_AFTER_LOOP] = "migration_thread_after_loop",
    [TRACE_SAVEVM_STATE_CLEANUP] = "savevm_state_cleanup",
    [TRACE_MIGRATE_FD_CLEANUP] = "migrate_fd_cleanup",
    [TRACE_QMP_ENTER_MIGRATE_SET_CAPABILITIES] = "qmp_enter_migrate_set_capabilities",
    [TRACE_COUNT] = NULL,
};

/* 7.2's spelling, then 10.x's. */
static const char *const trace_renamed[][2] = {
    {"migrate_fd_cleanup", "migration_cleanup"},
    {"migrate_fd_cancel", "migration_cancel"},
};

const char *vocab_trace_other_spelling(const char *name)
{
    for (size_t i = 0; name && i < sizeof trace_renamed / sizeof trace_renamed[0]; i++)
        for (int k = 0; k < 2; k++)
            if (strcmp(name, trace_renamed[i][k]) == 0)
                return trace_renamed[i][!k];
    return NULL;
}

bool vocab_trace_same(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    const char *other = vocab_trace_other_spelling(a);
    return strcmp(a, b) == 0 || (other && strcmp(other, b) == 0);
}

int vocab_trace_parse(const char *name)
{
    if (!name)
        return -1;
    int i = find(trace_names, name, strlen(name));
    const char *other = i < 0 ? vocab_trace_other_spelling(name) : NULL;
    return other ? find(trace_names, other, strlen(other)) : i;
}

const char *const *vocab_trace_names(void)
{
    return trace_names;
}

bool vocab_trace_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Parses the decimal suffix of "multifd3" / "multifdsend_3"; -1 if not a number in range. */
static int parse_index(const char *s, size_t len, int max)
{
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < max ? v : -1;
}

const char *vocab_channel_name(int chan, char *buf, size_t n)
{
    switch (chan) {
    case CHAN_ALL:
        return "all";
    case CHAN_ANY:
        return "any";
    case CHAN_MAIN:
        return "main";
    default:
        snprintf(buf, n, "multifd%d", chan);
        return buf;
    }
}

int vocab_channel_parse(const char *s, size_t len, int allow, int *chan)
{
    if (len == 4 && memcmp(s, "main", 4) == 0) {
        *chan = CHAN_MAIN;
        return 0;
    }
    if ((allow & VOCAB_CH_ANY) && len == 3 && memcmp(s, "any", 3) == 0) {
        *chan = CHAN_ANY;
        return 0;
    }
    if ((allow & VOCAB_CH_ALL) && len == 3 && memcmp(s, "all", 3) == 0) {
        *chan = CHAN_ALL;
        return 0;
    }
    if (len > 7 && memcmp(s, "multifd", 7) == 0) {
        int i = parse_index(s + 7, len - 7, VOCAB_MAX_MULTIFD);
        if (i >= 0) {
            *chan = i;
            return 0;
        }
    }
    return -1;
}

const char *vocab_thread_name(struct thread_ref t, char *buf, size_t n)
{
    switch (t.kind) {
    case THR_MAIN:
        return "main";
    case THR_LIVE_MIGRATION:
        return "live_migration";
    case THR_MULTIFDSEND:
        snprintf(buf, n, "multifdsend_%d", t.index);
        return buf;
    case THR_RETURN_PATH:
        return "return_path";
    }
    return "?";
}

const char *vocab_thread_spelling(struct thread_ref t, int spelling, char *buf, size_t n)
{
    if (spelling < 0 || spelling >= VOCAB_THREAD_SPELLINGS)
        return NULL;
    if (t.kind == THR_MAIN)
        return "main";
    if (spelling == 0)
        return t.kind == THR_RETURN_PATH ? "return path" : vocab_thread_name(t, buf, n);
    switch (t.kind) {
    case THR_LIVE_MIGRATION:
        return "mig/src/main";
    case THR_MULTIFDSEND:
        snprintf(buf, n, "mig/src/send_%d", t.index);
        return buf;
    case THR_RETURN_PATH:
        return "mig/src/return";
    default:
        return "?";
    }
}

static bool word_is(const char *s, size_t len, const char *w)
{
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

int vocab_thread_parse(const char *s, size_t len, struct thread_ref *t)
{
    if (word_is(s, len, "main")) {
        *t = (struct thread_ref){THR_MAIN, 0};
        return 0;
    }
    if (word_is(s, len, "live_migration") || word_is(s, len, "mig/src/main")) {
        *t = (struct thread_ref){THR_LIVE_MIGRATION, 0};
        return 0;
    }
    if (word_is(s, len, "return_path") || word_is(s, len, "return path") || word_is(s, len, "mig/src/return")) {
        *t = (struct thread_ref){THR_RETURN_PATH, 0};
        return 0;
    }
    static const char *const multifd[] = {"multifdsend_", "mig/src/send_"};
    for (size_t k = 0; k < 2; k++) {
        size_t pl = strlen(multifd[k]);
        if (len > pl && memcmp(s, multifd[k], pl) == 0) {
            int i = parse_index(s + pl, len - pl, VOCAB_MAX_MULTIFD);
            if (i >= 0) {
                *t = (struct thread_ref){THR_MULTIFDSEND, i};
                return 0;
            }
        }
    }
    return -1;
}

/* Levenshtein distance, capped: names here are short, so a small table on the stack is enough. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 63 || lb > 63)
        return 64;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *vocab_closest(const char *s, size_t len, const char *const *names)
{
    const char *best = NULL;
    size_t best_d = len / 3 + 1; /* close means: at most about a third of the letters differ */
    for (int i = 0; names[i]; i++) {
        size_t d = distance(s, len, names[i], strlen(names[i]));
        if (d <= best_d && (!best || d < best_d)) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

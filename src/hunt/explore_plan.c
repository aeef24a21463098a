/* explore_plan: the windows explore knows how to open, and the commands it sends into them. The windows
 * are the deterministic ones of FACTS: stall the channels so the multifd writers block with data pending,
 * hold the migration thread, then fault; the reaction comes on `failing` (a build with the fix) and on
 * `failed`. The completion and the main channel's reset cannot be held that way: they are swept too, and
 * the matrix shows what they gave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "vocab_target.h"

#define SETUP "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\n"
#define HELD "after 4MiB on any: stall all; wait 20ms; freeze live_migration 30ms; "

static const struct explore_window windows[] = {
    {"failed: reset all", SETUP HELD "reset all\non failing +1ms: @\non failed +1ms: @\n"},
    {"failed: reset multifd0", SETUP HELD "reset multifd0\non failing +1ms: @\non failed +1ms: @\n"},
    {"failed: reset main", SETUP "after 4MiB on any: freeze live_migration 30ms; reset main\n"
                                 "on failing +1ms: @\non failed +1ms: @\n"},
    {"failed in setup", SETUP "after 1B on any: reset all\non failing: @\non failed: @\n"},
    {"cancelled", SETUP HELD "cancel\non cancelling +1ms: @\non cancelled +1ms: @\n"},
    {"completed", SETUP "on completed: @\n"},
};

const struct explore_window *explore_windows(size_t *n)
{
    *n = sizeof windows / sizeof windows[0];
    return windows;
}

/* A value other than the windows' own and QEMU's default, valid for the parameter, so the change is
 * accepted where nothing forbids it. */
static const struct {
    enum mig_param p;
    const char *value;
} param_changes[] = {
    {PARAM_MULTIFD_CHANNELS, "1"},
    {PARAM_MULTIFD_CHANNELS, "8"},
    {PARAM_MAX_BANDWIDTH, "1MiB"},
    {PARAM_DOWNTIME_LIMIT, "100"},
    {PARAM_XBZRLE_CACHE_SIZE, "8MiB"},
    {PARAM_MAX_POSTCOPY_BANDWIDTH, "1MiB"},
    {PARAM_CPU_THROTTLE_INITIAL, "30"},
    {PARAM_CPU_THROTTLE_INCREMENT, "20"},
    {PARAM_CPU_THROTTLE_TAILSLOW, "on"},
    {PARAM_THROTTLE_TRIGGER_THRESHOLD, "60"},
    {PARAM_MAX_CPU_THROTTLE, "90"},
    {PARAM_ANNOUNCE_INITIAL, "60"},
    {PARAM_ANNOUNCE_MAX, "600"},
    {PARAM_ANNOUNCE_ROUNDS, "6"},
    {PARAM_ANNOUNCE_STEP, "110"},
    {PARAM_TLS_HOSTNAME, "qmprace"},
    {PARAM_X_CHECKPOINT_DELAY, "100"},
    {PARAM_MULTIFD_COMPRESSION, "zlib"},
    {PARAM_MULTIFD_ZLIB_LEVEL, "2"},
    {PARAM_MULTIFD_ZSTD_LEVEL, "2"},
    {PARAM_COMPRESS_LEVEL, "2"},
    {PARAM_COMPRESS_THREADS, "2"},
    {PARAM_COMPRESS_WAIT_THREAD, "off"},
    {PARAM_DECOMPRESS_THREADS, "3"},
    {PARAM_BLOCK_INCREMENTAL, "on"},
    {PARAM_AVAIL_SWITCHOVER_BANDWIDTH, "1MiB"},
    {PARAM_MULTIFD_QATZIP_LEVEL, "2"},
    {PARAM_X_VCPU_DIRTY_LIMIT_PERIOD, "500"},
    {PARAM_VCPU_DIRTY_LIMIT, "2"},
    {PARAM_MODE, "cpr-reboot"},
    {PARAM_ZERO_PAGE_DETECTION, "legacy"},
    {PARAM_DIRECT_IO, "on"},
};

static const char *const other_commands[] = {
    "migrate",
    "cancel",
    "query",
    "qmp {\"execute\":\"query-status\"}",
    "qmp {\"execute\":\"query-yank\"}",
    "qmp {\"execute\":\"query-migrate-capabilities\"}",
    "qmp {\"execute\":\"query-migrate-parameters\"}",
    "qmp {\"execute\":\"stop\"}",
    "qmp {\"execute\":\"cont\"}",
    "qmp {\"execute\":\"migrate-start-postcopy\"}",
    "qmp {\"execute\":\"migrate-pause\"}",
};

static int add(char ***v, size_t *n, const char *fmt, const char *a, const char *b)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    if (asprintf(&nv[*n], fmt, a, b) < 0)
        return -1;
    (*n)++;
    return 0;
}

size_t explore_commands(const struct vocab_target *vt, char ***out)
{
    static const struct vocab_target unknown = {0};
    if (!vt)
        vt = &unknown;
    char **v = NULL;
    size_t n = 0;
    int rc = 0;
    for (int c = 0; c < CAP_COUNT && rc == 0; c++)
        if (vocab_target_has_cap(vt, (enum mig_cap)c))
            rc = add(&v, &n, "caps %s=%s", vocab_cap_name((enum mig_cap)c), "on") |
                 add(&v, &n, "caps %s=%s", vocab_cap_name((enum mig_cap)c), "off");
    for (size_t i = 0; i < sizeof param_changes / sizeof param_changes[0] && rc == 0; i++)
        if (vocab_target_has_param(vt, param_changes[i].p))
            rc = add(&v, &n, "params %s=%s", vocab_param(param_changes[i].p)->name, param_changes[i].value);
    for (size_t i = 0; i < sizeof other_commands / sizeof other_commands[0] && rc == 0; i++) {
        const char *cmd = other_commands[i];
        char name[64] = "";
        if (sscanf(cmd, "qmp {\"execute\":\"%63[^\"]", name) == 1 && !vocab_target_has_command(vt, name))
            continue;
        rc = add(&v, &n, "%s%s", cmd, "");
    }
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        *out = NULL;
        return 0;
    }
    *out = v;
    return n;
}

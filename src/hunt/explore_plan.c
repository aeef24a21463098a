/* explore_plan: the windows explore opens, and the commands it sends into them.
 *
 * A window is a migration status held open long enough for a command to land in it. The list is built
 * from the target's own state machine, not from known races: for each status QEMU's MigrationStatus has,
 * the route into it (what brings a migration there: a fault, a cancel, a capability, the completion) and
 * what holds it (the channels stalled so the writers block, the migration thread frozen so it cannot
 * move on, or QEMU itself waiting for a command). A route is offered when the target reports its status
 * and has what the route needs (a capability, a destination VMM); otherwise the window is listed with
 * the reason it cannot be opened. The reactions land 1 ms after the status is seen, as a management
 * application's reaction to the event would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"
#include "vocab_target.h"

#define SETUP_CAPS(extra) "caps events=on multifd=on" extra "\nparams multifd-channels=2\nmigrate\n"
#define SETUP SETUP_CAPS("")
#define HELD "after 4MiB on any: stall all; wait 20ms; freeze live_migration 30ms; "
#define NO_STATUS (-1)

struct route {
    const char *name;
    const char *opener;           /* the schedule up to its reactions */
    int react[2];                 /* the statuses it reacts to (NO_STATUS: none); those the target reports */
    const char *react_delay;      /* after the status: "+1ms" */
    int needs_cap;                /* a capability the route sets (-1: none) */
    bool needs_dest;              /* a destination VMM that answers (--dest qemu) */
    const char *never;            /* set: qmprace cannot open it at all, and why */
    const char *react_line;       /* instead of status reactions: a line of its own, "@" where the command
                                   * goes, that lands inside `status` */
    int status;                   /* with react_line: the status it holds open */
    bool thaw;                    /* the opener freezes the migration thread: the first reaction ends the
                                   * hold once its command has landed (a window needs holding only until
                                   * then, and a hold that had run out shows as a line not run as written) */
};

static const struct route routes[] = {
    /* setup: the migration thread frozen before it leaves setup */
    {"setup: migration thread held", SETUP, {NO_STATUS, NO_STATUS}, "", -1, false, NULL,
     /* the migration thread writes the stream's header before it leaves setup (on `setup` it may not
      * exist yet); held there, the command lands in setup */
     "after 1B on main: freeze live_migration 40ms; wait 1ms; @; thaw live_migration\n", MIG_SETUP, false},
    /* active: every channel stalled, so the migration cannot end */
    {"active: channels stalled", SETUP "after 1MiB on any: stall all 60ms\n", {MIG_ACTIVE, NO_STATUS}, "+20ms", -1,
     false, NULL, NULL, 0, false},
    /* pre-switchover: QEMU waits for migrate-continue by design (pause-before-switchover) */
    {"pre-switchover: paused", SETUP_CAPS(" pause-before-switchover=on")
                                     "on pre-switchover +20ms: qmp {\"execute\":\"migrate-continue\","
                                     "\"arguments\":{\"state\":\"pre-switchover\"}}\n",
     {MIG_PRE_SWITCHOVER, NO_STATUS}, "+1ms", CAP_PAUSE_BEFORE_SWITCHOVER, false, NULL, NULL, 0, false},
    /* device: after the pause, the devices saved, the migration thread waits for the return path to close
     * (the destination's answer, which the sink never gives), still in `device`. It saves the devices
     * holding the big lock, so a command sent on `device` waits for that and then lands while the thread
     * waits (holding the thread itself would hold the lock, and every command with it); a cancel after
     * the reply ends the wait */
    {"device: return path awaited", SETUP_CAPS(" pause-before-switchover=on return-path=on")
                                          "on pre-switchover: qmp {\"execute\":\"migrate-continue\","
                                          "\"arguments\":{\"state\":\"pre-switchover\"}}\n",
     {NO_STATUS, NO_STATUS}, "", CAP_RETURN_PATH, false, NULL, "on device +1ms: @; cancel\n", MIG_DEVICE, false},
    /* completed: the completion's cleanup, not held */
    {"completed", SETUP, {MIG_COMPLETED, NO_STATUS}, "", -1, false, NULL, NULL, 0, false},
    /* a failure, by a fault on the channels: all of them, one multifd channel, the main one, in setup */
    {"failed: reset all", SETUP HELD "reset all\n", {MIG_FAILING, MIG_FAILED}, "+1ms", -1, false, NULL, NULL, 0, true},
    {"failed: reset multifd0", SETUP HELD "reset multifd0\n", {MIG_FAILING, MIG_FAILED}, "+1ms", -1, false, NULL, NULL, 0,
     true},
    /* not held: the migration thread is the main channel's only writer, so held it notices nothing, and
     * once it has noticed it goes straight on to the cleanup (it is gone by `failed`): a natural window */
    {"failed: reset main", SETUP "after 4MiB on any: reset main\n", {MIG_FAILING, MIG_FAILED}, "+1ms", -1, false,
     NULL, NULL, 0, false},
    {"failed in setup", SETUP "after 1B on any: reset all\n", {MIG_FAILING, MIG_FAILED}, "", -1, false, NULL, NULL, 0, false},
    /* a cancel, while the writers are blocked and the thread is held; and one in setup */
    {"cancelled", SETUP HELD "cancel\n", {MIG_CANCELLING, MIG_CANCELLED}, "+1ms", -1, false, NULL, NULL, 0, true},
    {"cancelled in setup", SETUP "on setup: cancel\n", {MIG_CANCELLING, MIG_CANCELLED},
     "+1ms", -1, false, NULL, NULL, 0, false},
    /* postcopy: switched to by a command once RAM is flowing; a reset there pauses it */
    {"postcopy-active", SETUP_CAPS(" postcopy-ram=on") "after 1MiB on any: qmp {\"execute\":\"migrate-start-postcopy\"}\n",
     {MIG_POSTCOPY_ACTIVE, NO_STATUS}, "+1ms", CAP_POSTCOPY_RAM, true, NULL, NULL, 0, false},
    {"postcopy-paused: reset all", SETUP_CAPS(" postcopy-ram=on") "after 1MiB on any: qmp {\"execute\":\"migrate-start-postcopy\"}\n"
                                         "on postcopy-active +5ms: reset all\n",
     {MIG_POSTCOPY_PAUSED, NO_STATUS}, "+1ms", CAP_POSTCOPY_RAM, true, NULL, NULL, 0, false},
    {"postcopy-recover", NULL, {MIG_POSTCOPY_RECOVER, MIG_POSTCOPY_RECOVER_SETUP}, "", CAP_POSTCOPY_RAM, true,
     "a recovery needs migrate-recover on the destination and `migrate resume=true`, which schedules cannot send yet", NULL, 0, false},
    {"postcopy-device", NULL, {MIG_POSTCOPY_DEVICE, NO_STATUS}, "", CAP_POSTCOPY_RAM, true,
     "reached only when a postcopy migration completes into a destination", NULL, 0, false},
    {"colo", NULL, {MIG_COLO, NO_STATUS}, "", CAP_X_COLO, true,
     "COLO needs a secondary VM that checkpoints with the source (a destination set up for COLO)", NULL, 0, false},
    {"wait-unplug", NULL, {MIG_WAIT_UNPLUG, NO_STATUS}, "", -1, false,
     "needs a failover device (virtio-net with failover=on) the guest unplugs", NULL, 0, false},
};

const char *explore_route_name(size_t i)
{
    return i < sizeof routes / sizeof routes[0] ? routes[i].name : NULL;
}

static int add_unopened(struct explore_windows *out, const char *name, const char *fmt, const char *a)
{
    struct explore_unopened *u = realloc(out->u, (out->nu + 1) * sizeof *u);
    if (!u)
        return -1;
    out->u = u;
    u[out->nu].name = name;
    snprintf(u[out->nu].reason, sizeof u[out->nu].reason, fmt, a);
    out->nu++;
    return 0;
}

/* The route's schedule: its opener, then one reaction line per status the target reports ("@" where the
 * command goes). NULL when none is reported. */
static char *window_text(const struct route *r, const struct vocab_target *vt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs(r->opener, f);
    int n = 0;
    if (r->react_line && vocab_target_has_status(vt, (enum mig_status)r->status)) {
        fputs(r->react_line, f);
        n++;
    }
    for (int i = 0; i < 2; i++)
        if (r->react[i] != NO_STATUS && vocab_target_has_status(vt, (enum mig_status)r->react[i])) {
            fprintf(f, "on %s%s%s: @%s\n", vocab_status_name((enum mig_status)r->react[i]),
                    r->react_delay[0] ? " " : "", r->react_delay, r->thaw && n == 0 ? "; thaw live_migration" : "");
            n++;
        }
    fclose(f);
    if (!n) {
        free(text);
        return NULL;
    }
    return text;
}

int explore_windows_plan(const struct vocab_target *vt, bool dest_vmm, struct explore_windows *out)
{
    static const struct vocab_target unknown = {0};
    if (!vt)
        vt = &unknown;
    memset(out, 0, sizeof *out);
    size_t nr = sizeof routes / sizeof routes[0];
    out->w = calloc(nr, sizeof *out->w);
    if (!out->w)
        return -1;
    for (size_t i = 0; i < nr; i++) {
        const struct route *r = &routes[i];
        bool reported = r->react_line && vocab_target_has_status(vt, (enum mig_status)r->status);
        for (int k = 0; k < 2; k++)
            reported |= r->react[k] != NO_STATUS && vocab_target_has_status(vt, (enum mig_status)r->react[k]);
        int rc = 0;
        if (!reported)
            rc = add_unopened(out, r->name, "this target never reports `%s`",
                              vocab_status_name((enum mig_status)(r->react_line ? r->status : r->react[0])));
        else if (r->never)
            rc = add_unopened(out, r->name, "%s", r->never);
        else if (r->needs_cap >= 0 && !vocab_target_has_cap(vt, (enum mig_cap)r->needs_cap))
            rc = add_unopened(out, r->name, "this target has no capability `%s`",
                              vocab_cap_name((enum mig_cap)r->needs_cap));
        else if (r->needs_dest && !dest_vmm)
            rc = add_unopened(out, r->name, "%s", "needs a destination that answers (--dest qemu); the sink never does");
        else if (!(out->w[out->n].text = window_text(r, vt)))
            rc = -1;
        else {
            struct explore_window *w = &out->w[out->n++];
            w->name = r->name;
            if (r->react_line)
                w->statuses |= 1u << r->status;
            for (int k = 0; k < 2; k++)
                if (r->react[k] != NO_STATUS && vocab_target_has_status(vt, (enum mig_status)r->react[k]))
                    w->statuses |= 1u << r->react[k];
        }
        if (rc < 0) {
            explore_windows_free(out);
            return -1;
        }
    }
    return 0;
}

char *explore_window_text(const char *text, const char *command, size_t *len)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f)
        return NULL;
    for (const char *p = text; *p; p++)
        *p == '@' ? (void)fputs(command, f) : (void)fputc(*p, f);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    if (len)
        *len = n;
    return out;
}

void explore_windows_free(struct explore_windows *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->w[i].text);
    free(w->w);
    free(w->u);
    memset(w, 0, sizeof *w);
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
    "qmp {\"execute\":\"migrate-continue\",\"arguments\":{\"state\":\"pre-switchover\"}}",
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

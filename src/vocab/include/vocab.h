/* vocab: QEMU's migration vocabulary, as qapi/migration.json of QEMU 7.2 spells it, then the names QEMU
 * 10.0 and 10.2 added, plus the `failing` status of the upstream fix. Each name says in which of those
 * versions it exists (vocab_*_in), as their QAPI schemas list them (tests/transcripts/schema/). The schedule language, the simulated VMM and the QEMU target all name
 * statuses, capabilities, parameters, channels and threads through these tables, so one schedule means
 * the same thing everywhere. Order matters: the binary schedule encoding indexes these tables. */
#ifndef QMPRACE_VOCAB_H
#define QMPRACE_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* MigrationStatus (7.2 order), then FAILING from the fix. */
enum mig_status {
    MIG_NONE,
    MIG_SETUP,
    MIG_CANCELLING,
    MIG_CANCELLED,
    MIG_ACTIVE,
    MIG_POSTCOPY_ACTIVE,
    MIG_POSTCOPY_PAUSED,
    MIG_POSTCOPY_RECOVER,
    MIG_COMPLETED,
    MIG_FAILED,
    MIG_COLO,
    MIG_PRE_SWITCHOVER,
    MIG_DEVICE,
    MIG_WAIT_UNPLUG,
    MIG_FAILING,                /* the upstream fix */
    MIG_POSTCOPY_RECOVER_SETUP, /* 10.0 */
    MIG_POSTCOPY_DEVICE,        /* 10.2 */
    MIG_STATUS_COUNT
};

/* MigrationCapability (7.2 order). */
enum mig_cap {
    CAP_XBZRLE,
    CAP_RDMA_PIN_ALL,
    CAP_AUTO_CONVERGE,
    CAP_ZERO_BLOCKS,
    CAP_COMPRESS,
    CAP_EVENTS,
    CAP_POSTCOPY_RAM,
    CAP_X_COLO,
    CAP_RELEASE_RAM,
    CAP_BLOCK,
    CAP_RETURN_PATH,
    CAP_PAUSE_BEFORE_SWITCHOVER,
    CAP_MULTIFD,
    CAP_DIRTY_BITMAPS,
    CAP_POSTCOPY_BLOCKTIME,
    CAP_LATE_BLOCK_ACTIVATE,
    CAP_X_IGNORE_SHARED,
    CAP_VALIDATE_UUID,
    CAP_BACKGROUND_SNAPSHOT,
    CAP_ZERO_COPY_SEND,
    CAP_POSTCOPY_PREEMPT,
    CAP_SWITCHOVER_ACK, /* 10.0 */
    CAP_DIRTY_LIMIT,    /* 10.0 */
    CAP_MAPPED_RAM,     /* 10.0 */
    CAP_COUNT
};
/* The binary schedule form carries QEMU 7.2's capabilities as bytes 0..41 and the later ones after them,
 * so the bytes of a 7.2 capability never change when names are added. */
#define CAP_COUNT_72 (CAP_POSTCOPY_PREEMPT + 1)

/* How a migration parameter's value is written (MigrateSetParameters in 7.2). */
enum param_type {
    PT_UINT8,    /* 0..255 */
    PT_UINT32,   /* 0..2^32-1 */
    PT_UINT64,   /* plain number */
    PT_SIZE,     /* bytes; the schedule language accepts 8MiB etc. */
    PT_BOOL,     /* on/off, true/false */
    PT_STR,      /* StrOrNull: a word or "quoted text" */
    PT_ENUM,     /* one of the parameter's `values` */
};

/* MigrateSetParameters members (7.2 order), without block-bitmap-mapping (a list; send it with `qmp`). */
enum mig_param {
    PARAM_ANNOUNCE_INITIAL,
    PARAM_ANNOUNCE_MAX,
    PARAM_ANNOUNCE_ROUNDS,
    PARAM_ANNOUNCE_STEP,
    PARAM_COMPRESS_LEVEL,
    PARAM_COMPRESS_THREADS,
    PARAM_COMPRESS_WAIT_THREAD,
    PARAM_DECOMPRESS_THREADS,
    PARAM_THROTTLE_TRIGGER_THRESHOLD,
    PARAM_CPU_THROTTLE_INITIAL,
    PARAM_CPU_THROTTLE_INCREMENT,
    PARAM_CPU_THROTTLE_TAILSLOW,
    PARAM_TLS_CREDS,
    PARAM_TLS_HOSTNAME,
    PARAM_TLS_AUTHZ,
    PARAM_MAX_BANDWIDTH,
    PARAM_DOWNTIME_LIMIT,
    PARAM_X_CHECKPOINT_DELAY,
    PARAM_BLOCK_INCREMENTAL,
    PARAM_MULTIFD_CHANNELS,
    PARAM_XBZRLE_CACHE_SIZE,
    PARAM_MAX_POSTCOPY_BANDWIDTH,
    PARAM_MAX_CPU_THROTTLE,
    PARAM_MULTIFD_COMPRESSION,
    PARAM_MULTIFD_ZLIB_LEVEL,
    PARAM_MULTIFD_ZSTD_LEVEL,
    PARAM_AVAIL_SWITCHOVER_BANDWIDTH, /* 10.0 */
    PARAM_MULTIFD_QATZIP_LEVEL,       /* 10.0 */
    PARAM_X_VCPU_DIRTY_LIMIT_PERIOD,  /* 10.0 */
    PARAM_VCPU_DIRTY_LIMIT,           /* 10.0 */
    PARAM_MODE,                       /* 10.0 */
    PARAM_ZERO_PAGE_DETECTION,        /* 10.0 */
    PARAM_DIRECT_IO,                  /* 10.0 */
    PARAM_COUNT
};

/* The QEMU versions whose vocabularies are known here, as bits. */
enum {
    VOCAB_V72 = 1,   /* 7.2 */
    VOCAB_V100 = 2,  /* 10.0 */
    VOCAB_V102 = 4,  /* 10.2 */
    VOCAB_VALL = 7,
};

struct vocab_param {
    const char *name;
    enum param_type type;
    unsigned versions;           /* VOCAB_V* where it exists */
    const char *const *values;   /* PT_ENUM: its values, NULL-terminated */
};

/* Migration channels, as the fault proxy tells them apart and as schedules name them.
 * A channel number >= 0 is multifd channel N (`multifdN`). */
enum {
    CHAN_ALL = -3,  /* every channel (fault actions: `reset all`) */
    CHAN_ANY = -2,  /* all channels counted together (triggers: `after 8MiB on any`) */
    CHAN_MAIN = -1, /* the main migration stream (`main`) */
};
#define VOCAB_MAX_MULTIFD 256 /* multifd-channels is a uint8 in 7.2 */

/* The target threads a `freeze` can hold, by role: the same role on every QEMU version, whatever that
 * version calls it in /proc/PID/task/N/comm (see vocab_thread_spelling). */
enum thread_kind {
    THR_MAIN,           /* `main`: the main loop: QMP command handlers, the cleanup bottom half */
    THR_LIVE_MIGRATION, /* `live_migration` (10.x: `mig/src/main`): the source's migration thread */
    THR_MULTIFDSEND,    /* `multifdsend_N` (10.x: `mig/src/send_N`): multifd send thread N */
    THR_RETURN_PATH,    /* `return_path` (7.2: `return path`; 10.x: `mig/src/return`): the source's return path */
};
#define THR_KIND_COUNT (THR_RETURN_PATH + 1)
struct thread_ref {
    enum thread_kind kind;
    int index; /* for THR_MULTIFDSEND */
};

const char *vocab_status_name(enum mig_status s);
int vocab_status_parse(const char *s, size_t len); /* -1 if unknown */
/* QEMU's migration_is_running(): statuses in which capability changes are refused. `failing` is
 * running too; only a model with the fix ever enters it. */
bool vocab_status_is_running(enum mig_status s);
/* The command a migration in status `s` waits for, by QEMU's design, before it goes on (NULL: none):
 * pre-switchover waits for migrate-continue, postcopy-paused for a recovery. */
const char *vocab_status_awaited_command(enum mig_status s);
/* The command that lets a migration in status `s` end once its channels are gone, when losing them
 * alone does not (NULL: none needed): a migration that awaits a command is cancelled; COLO's primary,
 * which after an error waits for a failover, is told its peer is lost (x-colo-lost-heartbeat). */
const char *vocab_status_release_command(enum mig_status s);

/* What a QMP command does to a VM, as far as reusing it for the next trial goes, spelled either way
 * ("migrate-set-capabilities", or as its trace point names it, "migrate_set_capabilities"). */
enum vocab_cmd_effect {
    VOCAB_CMD_OTHER,     /* anything else: it may change the VM in ways no schedule undoes (stop, quit...) */
    VOCAB_CMD_QUERY,     /* query-*, qmp_capabilities: nothing */
    VOCAB_CMD_MIGRATION, /* migrate, migrate_cancel, migrate-continue, migrate-pause, x-colo-lost-heartbeat:
                          * the migration only */
    VOCAB_CMD_SETTINGS,  /* migrate-set-capabilities, migrate-set-parameters: the migration settings */
    VOCAB_CMD_RUNSTATE,  /* stop, cont: whether the guest runs; a VM left stopped can be resumed with `cont` */
    VOCAB_CMD_POSTCOPY,  /* migrate-start-postcopy: the migration only, but once it took, the VM stays stopped */
};
enum vocab_cmd_effect vocab_cmd_effect(const char *name);

const char *vocab_cap_name(enum mig_cap c);
int vocab_cap_parse(const char *s, size_t len); /* -1 if unknown */

const struct vocab_param *vocab_param(enum mig_param p);
int vocab_param_parse(const char *s, size_t len); /* -1 if unknown */
/* PT_ENUM: the index of a value of parameter `p`, or -1; the number of values. */
int vocab_param_value_parse(const struct vocab_param *p, const char *s, size_t len);
size_t vocab_param_nvalues(const struct vocab_param *p);
/* The VOCAB_V* versions a status or capability exists in (`failing`: none of them; only the fix has it). */
unsigned vocab_status_versions(enum mig_status s);
unsigned vocab_cap_versions(enum mig_cap c);

/* "main", "any", "all", "multifd3"; `buf` needs 16 bytes. */
const char *vocab_channel_name(int chan, char *buf, size_t n);
/* Parses a channel word; `allow` is a mask of which special names are accepted here:
 * VOCAB_CH_ANY and/or VOCAB_CH_ALL (main and multifdN always are). Returns 0 or -1. */
#define VOCAB_CH_ANY 1
#define VOCAB_CH_ALL 2
int vocab_channel_parse(const char *s, size_t len, int allow, int *chan);

/* The role's name in the schedule language: "main", "live_migration", "multifdsend_0", "return_path". */
const char *vocab_thread_name(struct thread_ref t, char *buf, size_t n);
/* Any spelling of a role: the language's names, and QEMU's own in every version (`mig/src/main`,
 * `mig/src/send_0`, `mig/src/return`, `return path`). */
int vocab_thread_parse(const char *s, size_t len, struct thread_ref *t);
/* How QEMU names the thread of a role: spelling 0 is 7.2's (`live_migration`, `multifdsend_N`, `return
 * path`), 1 is 9.x and 10.x's (`mig/src/main`, `mig/src/send_N`, `mig/src/return`); "main" for the main
 * thread, which keeps the program's name. NULL past the last spelling. */
#define VOCAB_THREAD_SPELLINGS 2
const char *vocab_thread_spelling(struct thread_ref t, int spelling, char *buf, size_t n);

/* QEMU trace points that matter to this race, in the order the binary schedule encoding indexes them
 * (so code names them by these constants, never by position). Schedules may name any trace point; these
 * are the ones the simulated VMM emits and fuzzers pick from. */
enum vocab_trace {
    TRACE_MIGRATE_SET_STATE,                  /* "new state <status>" */
    TRACE_MULTIFD_SEND_ERROR,                 /* a multifd send thread failed */
    TRACE_MULTIFD_SEND_TERMINATE_THREADS,
    TRACE_MIGRATION_THREAD_FILE_ERR,          /* live_migration noticed the stream error */
    TRACE_MIGRATION_THREAD_AFTER_LOOP,        /* live_migration left its loop */
    TRACE_SAVEVM_STATE_CLEANUP,               /* the cleanup bottom half started */
    TRACE_MIGRATE_FD_CLEANUP,
    TRACE_QMP_ENTER_MIGRATE_SET_CAPABILITIES,
    TRACE_COUNT
};
const char *const *vocab_trace_names(void);
/* The vocab_trace of a trace point name (in any version's spelling), or -1 for any other. */
int vocab_trace_parse(const char *name);
/* Trace points by role: QEMU 10 renamed some (migrate_fd_cleanup -> migration_cleanup,
 * migrate_fd_cancel -> migration_cancel). The other spelling of a renamed one, else NULL; and whether two
 * names are the same trace point. */
const char *vocab_trace_other_spelling(const char *name);
bool vocab_trace_same(const char *a, const char *b);
bool vocab_trace_name_valid(const char *s, size_t len); /* [a-z0-9_]+, at most 64 characters */

/* The "did you mean" helper for error messages: the closest name in a NULL-terminated list, or NULL
 * when nothing is close. */
const char *vocab_closest(const char *s, size_t len, const char *const *names);
const char *const *vocab_status_names(void);
const char *const *vocab_cap_names(void);
const char *const *vocab_param_names(void);

/* ---- QEMU's texts: what QEMU says, read in one place (qemu_text.c) ---- */

#include <json-c/json.h>

/* The migration status a trace point reports setting (`migrate_set_state` "new state failed"), or -1. */
int vocab_trace_status(const char *event, const char *args);
/* The status of a QMP event (MIGRATION {"status": "failed"}): the status, -1 for another event, or -2
 * for a MIGRATION event whose status this build does not know (a newer QEMU's); `*name` gets the status
 * text when there is one. */
int vocab_event_status(const char *event, json_object *data, const char **name);
/* The QEMU version in a QMP greeting ({"QMP": {"version": {"qemu": {...}, "package": ...}}} or its
 * inner object); -1 for what it does not say; `*package` NULL or the package string. */
void vocab_greeting_version(json_object *greeting, int *major, int *minor, int *micro, const char **package);
/* True when QEMU refused a command because it does not know a name in it: the command itself
 * (CommandNotFound), a member ("Parameter 'compress-threads' is unexpected") or an enum value
 * ("Parameter 'capability' does not accept value 'compress'"), as QAPI's input visitor words it. Such a
 * refusal means the schedule did not run as written; "There's a migration process in progress" does not. */
bool vocab_refusal_unknown_name(const char *error_class, const char *desc);
/* True when a `query-yank` reply still lists the migration instance: its cleanup has not finished. */
bool vocab_yank_lists_migration(json_object *ret);

#endif

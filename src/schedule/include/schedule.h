/* schedule: what a trial does and when. A schedule is a list of lines; a line is an optional trigger and
 * one or more actions run in order. Lines without a trigger run first, in order, each waiting for its
 * reply; triggered lines run when their trigger fires (each at most once).
 *
 * Two forms, one model: the text language people write (schedule_text.c: parse with file:line:col
 * errors, print canonically) and a binary encoding for fuzzers (schedule_bin.c: every byte string decodes
 * to a valid schedule; encode(decode(x)) is canonical). The README documents the language. */
#ifndef QMPRACE_SCHEDULE_H
#define QMPRACE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "sched_action.h"
#include "vocab.h"

/* Limits of what a schedule may hold: a schedule is a short script, not a program. */
#define SCHED_MAX_LINES 256
#define SCHED_MAX_ACTIONS 16  /* per line */
#define SCHED_MAX_ITEMS 32    /* caps/params per action */
#define SCHED_MAX_NTH 1000    /* on failed #N */
#define SCHED_MAX_TEXT (1u << 20)

enum sched_trigger_kind {
    TRIG_NONE,   /* runs in order before anything else */
    TRIG_AT,     /* at +DUR: DUR after `migrate` was sent */
    TRIG_AFTER,  /* after SIZE on CHANNEL: once that many bytes went through the proxy */
    TRIG_STATUS, /* on STATUS [#N] [+DUR]: the Nth MIGRATION event with that status, plus DUR */
    TRIG_TRACE,  /* on trace EVENT [#N] [+DUR]: the Nth time the target hit that trace point, plus DUR */
};

struct sched_trigger {
    enum sched_trigger_kind kind;
    uint64_t delay_us;   /* AT: the time; STATUS/TRACE: the +DUR (0 when absent) */
    uint64_t bytes;      /* AFTER */
    int chan;            /* AFTER: CHAN_ANY, CHAN_MAIN or multifd N */
    enum mig_status status; /* STATUS */
    unsigned nth;        /* STATUS/TRACE: 1 when absent */
    char *trace_event;   /* TRACE: a trace point name ([a-z0-9_]+) */
    int col;             /* where the trigger was written (1-based); 0 for decoded schedules and none */
};

enum sched_action_kind {
    ACT_CAPS,    /* caps NAME=on|off ...          -> migrate-set-capabilities */
    ACT_PARAMS,  /* params NAME=VALUE ...         -> migrate-set-parameters */
    ACT_MIGRATE, /* migrate                        -> migrate {"uri": <the proxy>} */
    ACT_CANCEL,  /* cancel                         -> migrate_cancel */
    ACT_QUERY,   /* query                          -> query-migrate */
    ACT_QMP,     /* qmp {json}                     -> that command, as written */
    ACT_RESET,   /* reset CHANNEL|all              -> TCP RST on the channel(s) */
    ACT_CLOSE,   /* close CHANNEL|all              -> FIN */
    ACT_STALL,   /* stall CHANNEL|all [DUR]        -> stop forwarding (for DUR, or to the end) */
    ACT_FREEZE,  /* freeze THREAD DUR              -> hold that target thread for DUR */
    ACT_WAIT,    /* wait DUR                       -> pause this line for DUR */
    ACT_THAW,    /* thaw THREAD                    -> end that thread's hold now */
    ACT_KIND_COUNT
};

struct sched_cap {
    enum mig_cap cap;
    bool on;
    int col; /* where it was written (1-based); 0 for decoded schedules */
};

struct sched_param {
    enum mig_param param;
    json_object *value; /* an int, bool or string json object, typed as vocab_param() says */
    int col;
};

struct sched_action {
    enum sched_action_kind kind;
    int line, col; /* where it was written (1-based); 0 for decoded schedules */
    union {
        struct {
            struct sched_cap *items;
            size_t n;
        } caps;
        struct {
            struct sched_param *items;
            size_t n;
        } params;
        json_object *qmp; /* ACT_QMP: the command object */
        struct {
            int chan;         /* CHAN_ALL, CHAN_MAIN or multifd N */
            uint64_t dur_us;  /* STALL: 0 = until the end of the trial */
        } fault;
        struct {
            struct thread_ref thread;
            uint64_t dur_us;
        } freeze;
        uint64_t wait_us;
    } u;
};

struct sched_line {
    struct sched_trigger trig;
    struct sched_action *acts;
    size_t nacts;
    int line; /* source line (1-based); 0 for decoded schedules */
};

struct schedule {
    struct sched_line *lines;
    size_t nlines;
    char *name; /* file name or "<decoded>"; used in reports */
};

/* Text form. `name` is used in messages ("file:line:col: what is wrong") and kept as the schedule name.
 * Returns NULL with `e` set on any error. */
struct schedule *schedule_parse(const char *text, size_t len, const char *name, struct err *e);
/* Reads and parses a file (errors name the file; an unreadable file is "FILE: why"). */
struct schedule *schedule_load(const char *path, struct err *e);
/* A header line of a schedule file: the first of its leading comment lines (before any schedule line)
 * that starts with `prefix` ("# profile: "), copied whole (without its newline) into `buf`, with its line
 * number and the column where the text after the prefix begins. 1 found, 0 not there, -1 the file cannot
 * be read (e says why). Headers are where qmprace's files say what they are. */
int schedule_header(const char *path, const char *prefix, char *buf, size_t n, int *line, int *col, struct err *e);
/* Canonical text, one line per schedule line, each ending in "\n". Caller frees. parse(print(s)) == s. */
char *schedule_print(const struct schedule *s);

/* Binary form. Decoding never fails: every byte string is a schedule (possibly empty); NULL only when
 * memory runs out. At most 64 lines; bytes after them are ignored. */
struct schedule *schedule_decode(const uint8_t *buf, size_t len);
/* Fails (with "name:line:col: ... cannot be encoded: why") for what the binary form cannot carry, such as
 * a `qmp` command outside its table or a size that is not a mantissa/exponent pair. Caller frees *out. */
int schedule_encode(const struct schedule *s, uint8_t **out, size_t *len, struct err *e);

void schedule_free(struct schedule *s);

/* Editing (minimization): remove line i, action j of a line, item k (a capability or parameter) of an
 * action. Out-of-range indexes do nothing. A copy: through the text form, which round-trips exactly. */
void schedule_remove_line(struct schedule *s, size_t i);
void schedule_remove_action(struct sched_line *l, size_t j);
void schedule_remove_item(struct sched_action *a, size_t k);
struct schedule *schedule_clone(const struct schedule *s);
/* The multifd channels the schedule's migration can have: the most any `params multifd-channels=N` of it
 * asks, else QEMU's default, 2. */
int schedule_multifd_channels(const struct schedule *s);

/* Removes every action whose kind is in `mask` (bit 1 << kind), and the lines left with no action.
 * Hunts use it to leave a family of commands out (e.g. `params`, whose known crashes would drown the
 * rest): the harness and the triage filter decoded schedules the same way. */
void schedule_without(struct schedule *s, unsigned mask);
/* "params,qmp" -> mask; error names the unknown action. */
int schedule_action_mask_parse(const char *list, unsigned *mask, struct err *e);

/* Building a schedule in code (the parser, the decoder, tests, harnesses). Each add returns a zeroed
 * element owned by its parent, or NULL (or -1) at the limit (SCHED_MAX_LINES, SCHED_MAX_ACTIONS,
 * SCHED_MAX_ITEMS) or when memory runs out. An add may move earlier elements of the same array, so do
 * not keep pointers to siblings across it. schedule_add_param takes the reference to `value` even when
 * it fails. */
struct schedule *schedule_new(const char *name);
struct sched_line *schedule_add_line(struct schedule *s);
struct sched_action *schedule_add_action(struct sched_line *l, enum sched_action_kind k);
int schedule_add_cap(struct sched_action *a, enum mig_cap c, bool on);
int schedule_add_param(struct sched_action *a, enum mig_param p, json_object *value);

/* True when two schedules mean the same (compared through their canonical text). */
bool schedule_equal(const struct schedule *a, const struct schedule *b);

/* What a schedule needs from its target, to refuse early and clearly what the target cannot do. */
bool schedule_uses_action(const struct schedule *s, enum sched_action_kind k, int *line, int *col);
bool schedule_uses_trace(const struct schedule *s, int *line);

/* "caps", "params", ... as written in the language. */
const char *schedule_action_name(enum sched_action_kind k);
/* The descriptor of an action kind (sched_action.h), NULL for no such kind. */
const struct sched_action_desc *schedule_action_desc(enum sched_action_kind k);
/* The kind an action's name means, or -1; the names, comma-separated, for messages. */
int schedule_action_parse_name(const char *s, size_t len);
const char *schedule_action_list(void);
/* What minimization may shrink: an action's removable items (caps or params), and its duration (NULL
 * when it has none that may be halved). */
size_t schedule_action_items(const struct sched_action *a);
uint64_t *schedule_action_duration(struct sched_action *a);
/* Frees what an action holds (not the action itself, which its line's array holds). */
void schedule_action_free(struct sched_action *a);

/* The QMP command an action sends: name and arguments (new reference, may be NULL for none).
 * Returns NULL for actions that are not QMP commands. `uri` fills `migrate`. For ACT_QMP the whole
 * command object is returned through *args and the name is "qmp"; it is a copy the caller may change
 * (e.g. add an "id") without changing the schedule. `args` may be NULL. */
const char *schedule_action_qmp(const struct sched_action *a, const char *uri, json_object **args);

#endif

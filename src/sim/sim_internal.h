/* sim_internal: what the files of the simulated VMM share (model table, VMM state, modeled threads,
 * migration channels, QMP monitors). Only the files in src/sim include it; everything else goes through sim.h.
 * It holds no logic beyond a few inline accessors, and must never be installed or used outside src/sim. */
#ifndef QMPRACE_SIM_INTERNAL_H
#define QMPRACE_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "err.h"
#include "jsonstream.h"
#include "sim.h"
#include "vocab.h"
#include "wire.h"

struct sim_model {
    const char *name;
    const char *summary;
    int version[3];               /* the QEMU it models, as query-version says */
    unsigned vocab;               /* VOCAB_V72 or VOCAB_V100: the statuses, capabilities and parameters it has */
    int spelling;                 /* thread and trace point names: 0 as 7.2 (live_migration, migrate_fd_cleanup),
                                   * 1 as 10.x (mig/src/main, migration_cleanup) */
    bool has_failing;             /* threads set FAILING; cleanup moves it to FAILED */
    uint64_t notice_delay_us;     /* multifd error -> live_migration notices it */
    uint64_t main_error_delay_us; /* main-stream error (no multifd) -> file_err/after_loop */
    uint64_t bh_delay_us;         /* after_loop -> cleanup bottom half runs on main */
    uint64_t qmp_latency_us;      /* a command's arrival -> its handler runs on main (0: at once) */
};

/* QEMU 7.2's sizes: 4 KiB target pages, 128 pages per multifd packet (MULTIFD_PACKET_SIZE 512 KiB),
 * a packet header of sizeof(MultiFDPacket_t) + 128 page offsets, an 8-byte page header on the main
 * stream. */
#define SIM_PAGE 4096u
#define SIM_MF_PAGES 128u
#define SIM_MF_HDR 1344u
#define SIM_PAGE_HDR 8u
#define SIM_MAIN_PER_PACKET 8u   /* what the main stream carries per multifd packet */
#define SIM_MAIN_FLUSH 1024u     /* main-stream bytes buffered before a flush (QEMUFile-like) */
#define SIM_MAIN_TAIL 24u        /* end of stream: EOS and the device sections */

#define SIM_QEMU "qemu-system-x86_64: "
#define SIM_MSG_YANK                                                                                \
    "qemu-system-x86_64: ../../util/yank.c:107: yank_unregister_instance: Assertion "             \
    "`QLIST_EMPTY(&entry->yankfns)' failed."
#define SIM_MSG_MUTEX                                                                               \
    "qemu-system-x86_64: ../../util/qemu-thread-posix.c:87: qemu_mutex_lock_impl: Assertion "     \
    "`mutex->initialized' failed."
#define SIM_ERR_ACTIVE "There's a migration process in progress"

/* Work a modeled thread does, as QEMU's bottom halves are (qemu_bh_new(cb, opaque)): a function and its
 * argument, queued while the thread is held or busy and run in order when it runs again. The scheduler
 * (threads.c) knows nothing of what it runs. */
typedef void (*sim_work_fn)(void *arg);
enum {
    SIM_WORK_UNBLOCKED = 1, /* runs while its thread is blocked in a join: the work that ends the join */
};
struct sim_work {
    sim_work_fn fn;
    void *arg;
    unsigned flags;
};

#define SIM_THREAD_QUEUE 8 /* more than the kinds of work any one thread is given */

struct sim_thread {
    struct sim_vmm *v;
    char name[24];
    enum thread_kind kind;
    int index;
    bool exists;
    bool held;
    bool blocked;      /* waiting in a join: only SIM_WORK_UNBLOCKED work runs */
    uint64_t hold_end; /* mono us */
    struct event *kick;
    struct event *release;
    struct sim_work queue[SIM_THREAD_QUEUE];
    int nqueue;
};

enum sim_chan_state {
    CH_IDLE,       /* no socket */
    CH_CONNECTING, /* connect() in progress */
    CH_CONNECTED,  /* connect finished (ok or not); main has not handled it yet */
    CH_UP,         /* handled: yank registered, owner writing */
    CH_FAILED,     /* connect failed and was handled */
    CH_CLOSED,
};

struct sim_chan;
/* What a channel reports to the code that owns it (the live_migration thread for the main stream, the
 * multifd code for multifd channels), each in the context QEMU runs it in. */
struct sim_chan_ops {
    sim_work_fn connected;                       /* posted to main with the VMM: a connect finished */
    void (*done)(struct sim_chan *c);            /* owner thread: it wrote everything it had */
    void (*error)(struct sim_chan *c, int err);  /* owner thread: a write failed (may end the VMM) */
};

/* One migration channel: the main stream (index -1, written by live_migration) or multifd channel N
 * (written by its thread multifdsend_N). */
struct sim_chan {
    struct sim_vmm *v;
    const struct sim_chan_ops *ops;
    int index;
    int fd;
    struct event *ev;
    enum sim_chan_state state;
    int connect_err;
    bool armed;      /* ev is added for writing */
    bool yank;       /* its yank function is registered */
    bool quit;       /* multifd: terminate_threads told it to stop */
    bool running;    /* multifd: its thread has not exited */
    bool errored;    /* a write failed */
    bool up;         /* multifd: initial packet written (ready for jobs) */
    bool job;        /* multifd: a packet is being written */
    uint8_t head[WIRE_MULTIFD_INIT_LEN]; /* the first bytes: the main header or MultiFDInit_t */
    size_t head_len, head_off;
    uint64_t data_left; /* payload bytes still to write for the current job */
    uint64_t sent;
    struct sim_thread thr; /* multifdsend_N; unused for main */
};

enum sim_lm_state {
    LM_NONE,    /* no live_migration thread */
    LM_WAIT,    /* migrate accepted; the thread starts once the main channel is connected */
    LM_SETUP,   /* waiting for the multifd channels */
    LM_RUN,     /* streaming */
    LM_ENDING,  /* error seen, will leave the loop */
    LM_DONE,    /* after_loop passed */
};

enum sim_runstate { RS_RUNNING, RS_PAUSED, RS_FINISH_MIGRATE, RS_POSTMIGRATE };

struct sim_mig {
    bool instance;   /* the "migration" yank instance is registered */
    bool mf_live;    /* multifd_send_state exists (created at setup, freed by cleanup) */
    bool used_multifd;
    bool vm_was_running;
    bool have_file;  /* to_dst_file is set (main channel connected) */
    struct sim_chan main;
    struct sim_chan *mf; /* multifd_send_state->params; NULL when multifd was off at setup */
    int created;
    bool mf_exiting;
    int next_channel;
    enum sim_lm_state lm;
    bool lm_waiting;   /* live_migration is blocked waiting for a free multifd channel */
    bool cancel_unnoticed; /* ... and a cancel came that nothing will wake it to see */
    bool notice_armed;
    bool tail_queued;
    bool vm_stopped;   /* migration_completion() stopped the VM (finish-migrate) */
    /* migration_maybe_pause() (pause-before-switchover): live_migration set PRE_SWITCHOVER and waits on
     * pause_sem; migrate-continue or a cancel posted it; it went on past the pause */
    bool paused, pause_posted, pause_done;
    /* return-path: after the device state, live_migration joins the return path thread, which reads the
     * main channel until the destination closes it (the sink never does), a reset, or a cancel's shutdown */
    bool rp_wait, rp_done;
    int rp_err; /* how the return path's read ended: 0 end of file, else errno */
    bool bh_pending;
    bool bh_lost;      /* migrate_init() zeroed cleanup_bh while cleanup was still to come */
    sim_work_fn join_waiter;    /* cleanup, blocked joining multifd threads: woken when one exits */
    sim_work_fn channels_ready; /* live_migration's feed: posted when a multifd channel is free */
    bool file_error;   /* the main QEMUFile has an error */
    char error[256];
    bool has_error;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char hostport[96];
    bool refuse;       /* not loopback: fail the connect */
    uint64_t pages_total, pages_done;
    uint64_t main_pending; /* main-stream bytes not flushed yet */
    uint64_t expected_downtime, downtime_start;
    uint64_t transferred, multifd_bytes;
    uint64_t start_wall_ms, start_mono, setup_time, total_time, downtime;
    struct event *notice_timer;
    struct event *mainerr_timer;
    struct event *bh_timer;
    struct event *rp_ev; /* the return path's read, while rp_wait */
};

struct sim_mon;

struct sim_req {
    struct sim_mon *mon;
    uint64_t due_us; /* when main may run it (mono): its arrival plus the model's QMP latency */
    json_object *req; /* NULL: `error` is a parse error to report, then the monitor closes */
    char *error;
    struct sim_req *next;
};
#define SIM_MON_QUEUE 32          /* requests per monitor before it stops reading */
#define SIM_MON_OUT_MAX (1u << 20) /* unread output before a monitor is dropped */

struct sim_vmm {
    struct event_base *base;
    const struct sim_model *model;
    struct sim_config cfg;
    struct sim_hooks hooks;
    bool dead;
    int death_signo;
    const char *death_msg;
    struct event *died_ev;

    enum mig_status status;
    enum sim_runstate runstate;
    bool caps[CAP_COUNT];
    uint64_t params[PARAM_COUNT]; /* numbers, bools (0/1), multifd-compression index */
    char *tls[3];                 /* tls-creds, tls-hostname, tls-authz */
    json_object *bitmap_mapping;

    struct sim_thread main_thr;
    struct sim_thread lm_thr;
    struct sim_mig mig;

    bool quit_pending; /* `quit` replied: the process exits after the reply */
    struct sim_mon *mons;
    struct sim_req *req_head, *req_tail; /* requests waiting for main, in arrival order */
    struct event *req_due;               /* wakes main when the first request's latency has passed */

    /* Set by vmm.c when it builds the VMM, so the lower files need not know the upper ones: where an
     * event goes (the monitors), and what a dying process closes (its monitors and migration). */
    void (*emit)(struct sim_vmm *v, const char *name, json_object *data);
    void (*stop)(struct sim_vmm *v);
};

/* state.c: the pieces of QEMU state every file touches, and the process's death. */
/* The model's vocabulary: whether it has this status, capability or parameter. */
bool sim_has_status(const struct sim_vmm *v, enum mig_status s);
bool sim_has_cap(const struct sim_vmm *v, enum mig_cap c);
bool sim_has_param(const struct sim_vmm *v, enum mig_param p);

void sim_trace(struct sim_vmm *v, const struct sim_thread *t, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sim_output(struct sim_vmm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A QMP event to every negotiated monitor (takes `data`; NULL: none). */
void sim_event(struct sim_vmm *v, const char *name, json_object *data);
/* The modeled process ends: prints `msg` (if any), closes everything, reports `died` from the loop. */
void sim_die(struct sim_vmm *v, int signo, const char *msg);
/* migrate_set_state(): changes old -> new only if the status is `old`; traces and sends the event. */
void sim_set_state(struct sim_vmm *v, const struct sim_thread *t, enum mig_status old, enum mig_status st);
enum mig_status sim_failed_status(const struct sim_vmm *v);
void sim_set_runstate(struct sim_vmm *v, enum sim_runstate rs);
const char *sim_runstate_name(enum sim_runstate rs);
void sim_set_error(struct sim_vmm *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sim_yank_fns_left(const struct sim_vmm *v);
int sim_cur_channels(const struct sim_vmm *v);

/* schema.c: query-qmp-schema's reply for the model: its commands, and the migration types qmprace reads. */
json_object *sim_schema(const struct sim_vmm *v, const char *const *commands, size_t ncommands);

/* threads.c */
void sim_thread_init(struct sim_thread *t, struct sim_vmm *v, enum thread_kind kind, int index);
void sim_thread_fini(struct sim_thread *t, bool report_release);
/* Neither held, nor busy with queued work, nor blocked: it may act now. */
bool sim_thread_runnable(const struct sim_thread *t);
/* Queues fn(arg) for the thread (once: the same work already due covers both). */
void sim_thread_post(struct sim_thread *t, sim_work_fn fn, void *arg);
void sim_thread_post_flags(struct sim_thread *t, sim_work_fn fn, void *arg, unsigned flags);
/* Drops queued work (and a hold, silently, with `drop_hold`): for a thread that is gone. */
void sim_thread_clear(struct sim_thread *t, bool drop_hold);
/* A new thread under the same name: a hold on the old one is released (and reported). */
void sim_thread_restart(struct sim_thread *t);
struct sim_thread *sim_thread_find(struct sim_vmm *v, struct thread_ref r);

/* stream.c */
void sim_chan_init(struct sim_chan *c, struct sim_vmm *v, int index, const struct sim_chan_ops *ops);
int sim_chan_connect(struct sim_chan *c, struct err *e);
void sim_chan_close(struct sim_chan *c, bool abortive);
void sim_chan_shutdown(struct sim_chan *c);
void sim_chan_arm(struct sim_chan *c);

/* multifd.c: the multifd send side (multifd_save_setup, the send threads, their errors). */
/* Creates and connects the current number of channels (multifd_save_setup + the connects). */
void sim_mf_setup(struct sim_vmm *v);
/* main: the multifd channels whose connect finished. */
void sim_mf_connect_done(void *vmm);
/* multifd_send_terminate_threads(), in thread `t`; `error` NULL from cleanup. */
void sim_mf_terminate(struct sim_vmm *v, const struct sim_thread *t, const char *error);
/* live_migration notices an error `notice_delay_us` from now (at its next check), unless it already will. */
void sim_mf_arm_notice(struct sim_vmm *v);
/* Channels and threads of a cleaned-up migration (or a dead VMM) gone; `report` a held thread's release. */
void sim_mf_drop(struct sim_vmm *v, bool report);
/* Death: close and silence the channels, free nothing. */
void sim_mf_stop(struct sim_vmm *v);

/* cleanup.c */
/* migrate_fd_cleanup() on main. */
void sim_cleanup_run(struct sim_vmm *v);
/* The bottom half the live_migration thread schedules. */
void sim_cleanup_bh(void *vmm);

/* migration.c */
int sim_mig_init(struct sim_vmm *v);
void sim_mig_stop(struct sim_vmm *v); /* death: close and silence, free nothing */
void sim_mig_rp_stop(struct sim_mig *m); /* the return path stops reading (before main closes) */
void sim_mig_free(struct sim_vmm *v);
int sim_mig_start(struct sim_vmm *v, json_object *args, struct err *e);
void sim_mig_cancel(struct sim_vmm *v);
/* migrate-continue (main): posts pause_sem of a migration paused before its switchover. */
void sim_mig_continue(struct sim_vmm *v);

/* qmpserver.c */
int sim_qmp_init(struct sim_vmm *v);
int sim_qmp_serve(struct sim_vmm *v, int fd, struct err *e);
void sim_qmp_event(struct sim_vmm *v, const char *name, json_object *data);
void sim_qmp_close_all(struct sim_vmm *v, bool flush);
void sim_qmp_free_all(struct sim_vmm *v);

/* commands.c: runs one command; returns 0 with *ret (NULL means {}), or -1 with the error class in
 * *cls ("GenericError", "CommandNotFound") and the text in e. */
int sim_cmd_run(struct sim_vmm *v, const char *name, json_object *args, bool *negotiated, bool *oob,
                json_object **ret, const char **cls, struct err *e);
bool sim_cmd_allows_oob(const char *name);
/* Whether `event` is the trace point of a command's marshaller (qmp_enter_<cmd>, qmp_exit_<cmd>). */
bool sim_cmd_traced(const char *event);

/* args.c: QEMU's input-visitor checks and texts, for the argument shapes the commands take. */
int sim_args_check_only(json_object *args, const char *const *allowed, struct err *e);
int sim_arg_str(json_object *args, const char *name, bool required, const char **out, struct err *e);
int sim_arg_bool(json_object *args, const char *name, const char *path, bool *present, bool *out,
                 struct err *e);
int sim_arg_uint(json_object *args, const char *name, uint64_t max, const char *type, bool *present,
                 uint64_t *out, struct err *e);
int sim_arg_enum(json_object *args, const char *name, const char *const *values, bool *present, int *out,
                 struct err *e);

/* config.c: capabilities and parameters. */
void sim_config_defaults(struct sim_vmm *v);
void sim_config_free(struct sim_vmm *v);
int sim_caps_set(struct sim_vmm *v, json_object *args, struct err *e);
json_object *sim_caps_query(const struct sim_vmm *v);
int sim_params_set(struct sim_vmm *v, json_object *args, struct err *e);
json_object *sim_params_query(const struct sim_vmm *v);

/* info.c */
json_object *sim_query_migrate(const struct sim_vmm *v);

static inline bool sim_multifd_on(const struct sim_vmm *v)
{
    return v->caps[CAP_MULTIFD];
}

#endif

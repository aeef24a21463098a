/* qemu_stacks: every thread's stack of a running QEMU, through eu-stack (see qemu_stacks.h): eu-stack
 * unwinds, qemu_syms names the frames (it keeps what it read for the next look at the same QEMU). */
#include "qemu_stacks.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mono.h"
#include "qemu_proc.h"
#include "qemu_syms.h"
#include "vocab.h"

#define OUTPUT_MAX (1u << 20)

bool qemu_stacks_available(void)
{
    char path[256];
    return qemu_proc_find_binary("eu-stack", path, sizeof path, &(struct err){{0}}) == 0;
}

void qemu_stacks_free(struct qemu_stacks *s)
{
    free(s->threads);
    s->threads = NULL;
    s->n = 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* One frame line: "#N  0xADDR [NAME] [- MODULE]"; 0 or -1 for another line. */
static int parse_frame(const char *line, struct qemu_frame *f, uint64_t *addr)
{
    int no, used = 0;
    unsigned long long a;
    if (sscanf(line, "#%d 0x%llx%n", &no, &a, &used) != 2 || !used)
        return -1;
    memset(f, 0, sizeof *f);
    *addr = a;
    const char *p = line + used;
    p += strspn(p, " ");
    const char *dash = strstr(p, " - ");
    const char *name_end = dash ? dash : p + strlen(p);
    if (strncmp(p, "- ", 2) == 0) /* no name, the module follows */
        name_end = p, dash = p - 1;
    size_t len = (size_t)(name_end - p);
    while (len && p[len - 1] == ' ')
        len--;
    if (len >= sizeof f->fn)
        len = sizeof f->fn - 1;
    memcpy(f->fn, p, len);
    f->fn[len] = '\0';
    char *at = strchr(f->fn, '@'); /* pthread_cond_wait@@GLIBC_2.3.2, clock_nanosleep@GLIBC_2.2.5 */
    if (at)
        *at = '\0';
    if (dash) {
        const char *m = dash + 3;
        snprintf(f->module, sizeof f->module, "%s", base_name(m));
        f->module[strcspn(f->module, " ")] = '\0';
    }
    return 0;
}

int qemu_stacks_parse(const char *text, const char *(*names)(void *arg, int tid), void *arg,
                      struct qemu_stacks *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct qemu_thread_stack *cur = NULL;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        int tid;
        if (sscanf(line, "TID %d:", &tid) == 1) {
            if (out->n == QEMU_STACK_MAX_THREADS)
                break;
            struct qemu_thread_stack *v = realloc(out->threads, (out->n + 1) * sizeof *v);
            if (!v) {
                qemu_stacks_free(out);
                return err_set(e, "out of memory");
            }
            out->threads = v;
            cur = &out->threads[out->n++];
            memset(cur, 0, sizeof *cur);
            cur->tid = tid;
            const char *name = names ? names(arg, tid) : NULL;
            snprintf(cur->name, sizeof cur->name, "%s", name ? name : "");
            continue;
        }
        char one[512]; /* the line alone: the parser looks for its module's last '/' */
        snprintf(one, sizeof one, "%.*s", (int)strcspn(line, "\n"), line);
        uint64_t addr;
        if (cur && cur->nframes < QEMU_STACK_MAX_FRAMES && parse_frame(one, &cur->frames[cur->nframes], &addr) == 0) {
            cur->frames[cur->nframes].offset = addr; /* an address until the capture makes it an offset */
            cur->nframes++;
        }
    }
    if (!out->n)
        return err_set(e, "the unwinder reported no thread");
    return 0;
}

/* ---- reading a live process ---- */

/* The threads' names, read before the unwinder attaches: attaching interrupts what they wait in, and a
 * thread that then sees an error may be gone by the time its stack is read. */
struct proc_names {
    pid_t pid;
    size_t n;
    struct {
        int tid;
        char name[32];
    } t[QEMU_STACK_MAX_THREADS];
};

static void read_comm(pid_t pid, int tid, char *buf, size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, tid);
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f && !fgets(buf, (int)n, f))
        buf[0] = '\0';
    if (f)
        fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static void names_snapshot(struct proc_names *pn)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pn->pid);
    DIR *d = opendir(path);
    for (struct dirent *de; d && pn->n < QEMU_STACK_MAX_THREADS && (de = readdir(d));) {
        int tid = atoi(de->d_name);
        if (tid <= 0)
            continue;
        pn->t[pn->n].tid = tid;
        read_comm(pn->pid, tid, pn->t[pn->n].name, sizeof pn->t[pn->n].name);
        pn->n++;
    }
    if (d)
        closedir(d);
}

static const char *comm_of(void *arg, int tid)
{
    struct proc_names *pn = arg;
    if (tid == pn->pid) /* the main thread keeps the program's name */
        return "main";
    for (size_t i = 0; i < pn->n; i++)
        if (pn->t[i].tid == tid)
            return pn->t[i].name;
    return NULL;
}

/* Names each frame from its address (innermost first: that one is where the thread is, the others return
 * addresses). */
static void name_frames(pid_t pid, struct qemu_stacks *s)
{
    if (qemu_syms_use(pid) < 0)
        return; /* gone: its frames keep their offsets */
    for (size_t t = 0; t < s->n; t++)
        for (int i = 0; i < s->threads[t].nframes; i++) {
            struct qemu_frame *fr = &s->threads[t].frames[i];
            if (!fr->fn[0])
                qemu_syms_name(fr->offset, i == 0, fr->fn, sizeof fr->fn);
        }
    qemu_syms_done();
}

/* Turns the address of each frame without a name into an offset in its module, from the process's map. */
static void resolve_offsets(pid_t pid, struct qemu_stacks *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    char line[512];
    struct {
        uint64_t lo, hi, off;
        char file[64];
    } maps[256];
    size_t n = 0;
    while (f && n < 256 && fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perm[8], file[400] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %399s", &lo, &hi, perm, &off, file) >= 4 && file[0] == '/') {
            maps[n].lo = lo, maps[n].hi = hi, maps[n].off = off;
            snprintf(maps[n].file, sizeof maps[n].file, "%s", base_name(file));
            n++;
        }
    }
    if (f)
        fclose(f);
    for (size_t t = 0; t < s->n; t++)
        for (int i = 0; i < s->threads[t].nframes; i++) {
            struct qemu_frame *fr = &s->threads[t].frames[i];
            uint64_t addr = fr->offset;
            fr->offset = 0;
            if (fr->fn[0])
                continue;
            for (size_t k = 0; k < n; k++)
                if (addr >= maps[k].lo && addr < maps[k].hi) {
                    fr->offset = addr - maps[k].lo + maps[k].off;
                    if (!fr->module[0])
                        snprintf(fr->module, sizeof fr->module, "%s", maps[k].file);
                    break;
                }
        }
}

/* This process's environment without DEBUGINFOD_URLS: elfutils would ask those servers for the debug
 * info a module lacks, and a look at a hung QEMU stays on this machine. NULL when memory runs out. */
static char **env_local(void)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof *env);
    for (size_t i = 0, k = 0; env && i < n; i++)
        if (strncmp(environ[i], "DEBUGINFOD_URLS=", 16) != 0)
            env[k++] = environ[i];
    return env;
}

/* eu-stack's output, read until it ends or `timeout_us` passes (then it is killed). */
static char *run_unwinder(pid_t pid, uint64_t timeout_us, struct err *e)
{
    char bin[256], pidarg[24];
    if (qemu_proc_find_binary("eu-stack", bin, sizeof bin, e) < 0)
        return err_set(e, "no eu-stack to read the stacks with (Debian: apt-get install elfutils)"), NULL;
    snprintf(pidarg, sizeof pidarg, "%d", (int)pid);
    char *argv[] = {"eu-stack", "-q", "-m", "-p", pidarg, NULL}; /* -q: addresses; qemu_syms names them */
    char **env = env_local();
    if (!env)
        return err_set(e, "out of memory"), NULL;
    struct qemu_proc_spec spec = {.path = bin, .argv = argv, .envp = env};
    struct qemu_proc *p = qemu_proc_spawn(&spec, e);
    free(env); /* the child has its copy */
    if (!p)
        return NULL;
    char *buf = malloc(OUTPUT_MAX + 1);
    size_t len = 0;
    uint64_t end = mono_now_us() + timeout_us;
    int fd = qemu_proc_output_fd(p);
    bool eof = false;
    while (buf && !eof && len < OUTPUT_MAX && mono_now_us() < end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int wait_ms = (int)((end - mono_now_us()) / 1000) + 1;
        if (poll(&pfd, 1, wait_ms) <= 0)
            continue;
        ssize_t r = read(fd, buf + len, OUTPUT_MAX - len);
        if (r > 0)
            len += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            eof = true;
    }
    int status = 0;
    bool done = eof && qemu_proc_reap(p, &status) >= 0;
    qemu_proc_free(p); /* kills it if it still runs */
    if (!buf)
        return err_set(e, "out of memory"), NULL;
    buf[len] = '\0';
    if (!done) {
        free(buf);
        return err_set(e, "eu-stack did not finish within %" PRIu64 " ms", timeout_us / 1000), NULL;
    }
    return buf;
}

int qemu_stacks_capture(pid_t pid, uint64_t timeout_us, struct qemu_stacks *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct proc_names *pn = calloc(1, sizeof *pn);
    if (!pn)
        return err_set(e, "out of memory");
    pn->pid = pid;
    names_snapshot(pn);
    char *text = run_unwinder(pid, timeout_us, e);
    if (!text) {
        free(pn);
        return -1;
    }
    int rc = qemu_stacks_parse(text, comm_of, pn, out, e);
    free(pn);
    if (rc < 0) {
        /* what eu-stack said instead, e.g. that it could not attach */
        char first[200];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(text, "\n"), text);
        err_set(e, "eu-stack read no stack from pid %d%s%s", (int)pid, first[0] ? ": " : "", first);
    } else {
        name_frames(pid, out);
        resolve_offsets(pid, out);
    }
    free(text);
    return rc;
}

/* ---- what a stack says ---- */

static bool has_frame(const struct qemu_thread_stack *t, const char *fn)
{
    for (int i = 0; i < t->nframes; i++)
        if (strcmp(t->frames[i].fn, fn) == 0)
            return true;
    return false;
}

bool qemu_stack_idle(const struct qemu_thread_stack *t)
{
    if (t->held)
        return false;
    /* QEMU starts its RCU thread before it names threads: it keeps the program's name; waiting for work
     * (or for readers) it is idle whether or not its functions have names in this binary */
    if (strncmp(t->name, "qemu-system-", 12) == 0 && has_frame(t, "qemu_event_wait"))
        return true;
    /* the main loop, the monitor's and other iothreads' loops, RCU, an idle vCPU, the thread pool's
     * workers: each waits for work in its own loop */
    /* (RCU waiting for readers in synchronize_rcu is a consequence: a reader stuck elsewhere is what names
     * the hang; 10.x's idle vCPU waits in qemu_process_cpu_events) */
    static const char *const loops[] = {"main_loop_wait",     "g_main_loop_run", "iothread_run",
                                        "call_rcu_thread",    "synchronize_rcu", "qemu_wait_io_event",
                                        "qemu_process_cpu_events", "worker_thread", NULL};
    for (const char *const *l = loops; *l; l++)
        if (has_frame(t, *l))
            return true;
    return false;
}

static bool generic_wait(const char *fn)
{
    static const char *const waits[] = {"qemu_sem_wait", "qemu_sem_timedwait", "qemu_cond_wait_impl",
                                        "qemu_cond_timedwait_impl", "qemu_event_wait", "qemu_mutex_lock_impl",
                                        "qemu_rec_mutex_lock_impl", "qemu_mutex_unlock_impl", "qemu_futex_wait",
                                        "qemu_poll_ns", NULL};
    for (const char *const *w = waits; *w; w++)
        if (strcmp(fn, *w) == 0)
            return true;
    return false;
}

bool qemu_stack_waits_for_thread(const struct qemu_thread_stack *t)
{
    static const char *const sync[] = {"qemu_sem_wait",      "qemu_sem_timedwait",       "qemu_cond_wait_impl",
                                       "qemu_cond_timedwait_impl", "qemu_event_wait", "qemu_mutex_lock_impl",
                                       "qemu_rec_mutex_lock_impl", "qemu_mutex_unlock_impl", "qemu_futex_wait",
                                       "qemu_thread_join",   "pthread_cond_wait",        "pthread_cond_timedwait",
                                       "pthread_join",       "__futex_abstimed_wait_common", "__lll_lock_wait",
                                       NULL};
    /* the wait is innermost, a few libc frames at most above the primitive */
    for (int i = 0; i < t->nframes && i < 6; i++) {
        const char *fn = t->frames[i].fn;
        if (strncmp(fn, "__pthread_mutex_", 16) == 0 || strncmp(fn, "__GI___pthread_mutex_", 21) == 0)
            return true;
        for (const char *const *w = sync; *w; w++)
            if (strcmp(fn, *w) == 0)
                return true;
    }
    return false;
}

static bool qemu_module(const char *module)
{
    return strncmp(module, "qemu-system-", 12) == 0 || strncmp(module, "qemu-", 5) == 0;
}

/* What the other threads wait for: blocked in a library call (into the kernel) that is not a wait for a
 * thread. A thread caught running QEMU's own code is busy (or spins, waiting), not blocked. */
static bool blocks_others(const struct qemu_thread_stack *t)
{
    return t->nframes && !qemu_module(t->frames[0].module) && !qemu_stack_waits_for_thread(t);
}

/* Reads from its peer: a read or receive among its innermost frames, or QEMU's channel read under them
 * (a blocking qio_channel_read waits in poll through qio_channel_wait). */
static bool reads_peer(const struct qemu_thread_stack *t)
{
    static const char *const reads[] = {"read", "__libc_read", "__GI___libc_read", "recvmsg", "__libc_recvmsg",
                                        "__GI___recvmsg", "recv", "__libc_recv", "qio_channel_socket_readv",
                                        "qemu_fill_buffer", NULL};
    for (int i = 0; i < t->nframes && i < 8; i++) {
        const char *fn = t->frames[i].fn;
        if (strncmp(fn, "qio_channel_read", 16) == 0)
            return true;
        for (const char *const *r = reads; *r; r++)
            if (strcmp(fn, *r) == 0)
                return true;
    }
    return false;
}

bool qemu_stacks_wait_for_peer(const struct qemu_stacks *s)
{
    size_t roots = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct qemu_thread_stack *t = &s->threads[i];
        if (qemu_stack_idle(t) || !t->nframes || !blocks_others(t))
            continue;
        if (!reads_peer(t))
            return false;
        roots++;
    }
    return roots > 0;
}

void qemu_stack_where(const struct qemu_thread_stack *t, char *buf, size_t n)
{
    if (t->held) {
        snprintf(buf, n, "a hold of qmprace's (freeze)");
        return;
    }
    for (int i = 0; i < t->nframes; i++) {
        const struct qemu_frame *f = &t->frames[i];
        if (f->fn[0] && qemu_module(f->module) && !generic_wait(f->fn)) {
            snprintf(buf, n, "%s", f->fn);
            return;
        }
    }
    for (int i = 0; i < t->nframes; i++)
        if (t->frames[i].fn[0]) {
            snprintf(buf, n, "%s", t->frames[i].fn);
            return;
        }
    if (t->nframes)
        snprintf(buf, n, "%s+0x%" PRIx64, t->frames[0].module, t->frames[0].offset);
    else
        snprintf(buf, n, "?");
}

static int by_name(const void *a, const void *b)
{
    const struct qemu_thread_stack *x = *(const struct qemu_thread_stack *const *)a;
    const struct qemu_thread_stack *y = *(const struct qemu_thread_stack *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->tid - y->tid;
}

void qemu_stacks_signature(const struct qemu_stacks *s, char *buf, size_t n)
{
    buf[0] = '\0';
    const struct qemu_thread_stack **busy = calloc(s->n ? s->n : 1, sizeof *busy);
    if (!busy)
        return;
    size_t nb = 0, roots = 0;
    for (size_t i = 0; i < s->n; i++) /* a thread the unwinder could not read says nothing */
        if (!qemu_stack_idle(&s->threads[i]) && s->threads[i].nframes) {
            busy[nb++] = &s->threads[i];
            roots += blocks_others(&s->threads[i]);
        }
    if (roots) { /* the threads the others wait for name the hang */
        size_t k = 0;
        for (size_t i = 0; i < nb; i++)
            if (blocks_others(busy[i]))
                busy[k++] = busy[i];
        nb = k;
    }
    qsort(busy, nb, sizeof *busy, by_name);
    size_t used = 0;
    char last[200] = "";
    for (size_t i = 0; i < nb && used < n; i++) {
        char where[128], role[32], one[200];
        qemu_stack_where(busy[i], where, sizeof where);
        /* a migration thread by its role, as the schedule language names it, whatever this QEMU calls it;
         * the multifd threads as one (which of them unwound, or got its packet stuck first, is chance) */
        struct thread_ref r;
        const char *name = busy[i]->name[0] ? busy[i]->name : "?";
        if (vocab_thread_parse(name, strlen(name), &r) == 0)
            name = r.kind == THR_MULTIFDSEND ? "multifdsend_N" : vocab_thread_name(r, role, sizeof role);
        snprintf(one, sizeof one, "%s in %s", name, where);
        if (strcmp(one, last) == 0)
            continue;
        snprintf(last, sizeof last, "%s", one);
        int w = snprintf(buf + used, n - used, "%s%s", used ? " / " : "", one);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    free(busy);
}

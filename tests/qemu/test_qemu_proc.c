/* The process side of the QEMU target, without QEMU (a shell and `sleep` stand in): a child gets no core
 * file, reads nothing, runs in its own process group, keeps only the descriptors it is given and reports
 * how it ended (exit status, signal); a kill always collects it; a held thread is really stopped (ptrace
 * stop) for the time asked and runs again after, also when the hold is let go early; threads are found
 * by name; the guest RAM has no page of zeros. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "mono.h"
#include "qemu_freeze.h"
#include "qemu_proc.h"
#include "qemu_ram.h"
#include "qemu_task.h"

/* Reads all output of `p` until it ends (at most 5 s). */
static void slurp(struct qemu_proc *p, char *buf, size_t n)
{
    size_t len = 0;
    uint64_t t0 = mono_now_us();
    while (mono_now_us() - t0 < 5000000 && len + 1 < n) {
        ssize_t r = read(qemu_proc_output_fd(p), buf + len, n - 1 - len);
        if (r == 0)
            break;
        if (r > 0)
            len += (size_t)r;
        else
            usleep(1000);
    }
    buf[len] = '\0';
}

static int run_sh(const char *script, const int *keep, size_t nkeep, char *out, size_t n)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    struct qemu_proc_spec spec = {.path = "/bin/sh", .argv = argv, .keep_fds = keep, .nkeep = nkeep};
    struct err e = {{0}};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK_MSG(p != NULL, "%s", e.msg);
    if (!p)
        return -1;
    slurp(p, out, n);
    int st = -1;
    uint64_t t0 = mono_now_us();
    while (!qemu_proc_reap(p, &st) && mono_now_us() - t0 < 5000000)
        usleep(1000);
    qemu_proc_free(p);
    return st;
}

/* A child given an environment has that one only. */
static void child_env(void)
{
    char *argv[] = {"sh", "-c", "echo \"[$QR_A][$HOME]\"", NULL};
    char *envp[] = {"QR_A=1", NULL};
    struct qemu_proc_spec spec = {.path = "/bin/sh", .argv = argv, .envp = envp};
    struct err e = {{0}};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK_MSG(p != NULL, "%s", e.msg);
    if (!p)
        return;
    char out[64];
    slurp(p, out, sizeof out);
    CHECK_STR(out, "[1][]\n");
    qemu_proc_free(p);
}

static void child_limits(void)
{
    char out[512];
    int first = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int keep = fcntl(first, F_DUPFD_CLOEXEC, 20);
    close(first);
    int leak = open("/dev/null", O_RDONLY); /* not close-on-exec: must not reach the child anyway */
    char script[256];
    snprintf(script, sizeof script,
             "ulimit -c; read x && echo stdin-not-empty; cut -d' ' -f5 /proc/$$/stat; echo $$; "
             "[ -e /proc/$$/fd/%d ] && echo kept; [ -e /proc/$$/fd/%d ] && echo leaked; echo oops >&2; exit 3",
             keep, leak);
    int st = run_sh(script, &keep, 1, out, sizeof out);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    /* "0" core limit, no stdin, pgid == pid, the kept fd, stderr comes through the same pipe */
    char *lines[8] = {0};
    int n = 0;
    for (char *s = strtok(out, "\n"); s && n < 8; s = strtok(NULL, "\n"))
        lines[n++] = s;
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(lines[0], "0");
        CHECK_STR(lines[1], lines[2]);
        CHECK_STR(lines[3], "kept");
        CHECK_STR(lines[4], "oops");
    }
    close(keep);
    close(leak);

    st = run_sh("kill -ABRT $$", NULL, 0, out, sizeof out);
    char how[64];
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK_STR(qemu_proc_status_text(st, how, sizeof how), "killed by SIGABRT");
    CHECK(access("core", F_OK) != 0); /* RLIMIT_CORE 0: no core file here */
}

static void kill_collects(void)
{
    char *argv[] = {"sleep", "30", NULL};
    char path[256];
    struct err e = {{0}};
    CHECK(qemu_proc_find_binary("sleep", path, sizeof path, &e) == 0);
    CHECK(qemu_proc_find_binary("no-such-binary-qmprace", path, sizeof path, &e) < 0);
    CHECK(strstr(e.msg, "no no-such-binary-qmprace on PATH") != NULL);
    CHECK(qemu_proc_find_binary("sleep", path, sizeof path, &e) == 0);
    struct qemu_proc_spec spec = {.path = path, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK(p != NULL);
    if (!p)
        return;
    pid_t pid = qemu_proc_pid(p);
    CHECK_INT(qemu_proc_reap(p, NULL), 0);
    CHECK_INT(getpgid(pid), pid);
    uint64_t t0 = mono_now_us();
    qemu_proc_kill(p);
    CHECK(qemu_proc_reaped(p));
    CHECK(mono_now_us() - t0 < 1000000);
    CHECK(kill(pid, 0) < 0); /* gone, not a zombie of ours */
    qemu_proc_free(p);
}

/* ---- holds, on `sleep`'s main thread ---- */

static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return '?';
    buf[r] = '\0';
    char *paren = strrchr(buf, ')');
    return paren && paren[1] ? paren[2] : '?';
}

struct hold_log {
    int held, released;
    char state_during;
    pid_t pid;
    struct event_base *base;
};

static void on_changed(void *arg, const char *name, bool held)
{
    struct hold_log *h = arg;
    CHECK_STR(name, "main");
    if (held)
        h->held++;
    else
        h->released++;
}

static void on_peek(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hold_log *h = arg;
    h->state_during = state_of(h->pid);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void holds(void)
{
    char *argv[] = {"sleep", "30", NULL};
    char path[256];
    struct err e = {{0}};
    CHECK(qemu_proc_find_binary("sleep", path, sizeof path, &e) == 0);
    struct qemu_proc_spec spec = {.path = path, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK_MSG(p != NULL, "spawning sleep: %s", e.msg);
    if (!p)
        return;
    pid_t pid = qemu_proc_pid(p);
    usleep(20000); /* let it reach its sleep: a hold must work on a thread blocked in the kernel */

    struct event_base *base = mono_event_base_new();
    struct hold_log log = {.pid = pid, .base = base};
    struct qemu_holds_hooks hh = {on_changed, &log};
    struct qemu_holds *hs = qemu_holds_new(base, &hh, &e);
    uint64_t t0 = mono_now_us();
    CHECK_MSG(qemu_holds_hold(hs, pid, qemu_task_find(pid, "main", &e), "main", 100000, &e) == 0, "%s", e.msg);
    CHECK(mono_now_us() - t0 < 50000); /* stopped at once */
    CHECK_INT(log.held, 1);
    CHECK_INT(state_of(pid), 't');
    /* holding it again only extends the hold */
    CHECK(qemu_holds_hold(hs, pid, pid, "main", 150000, &e) == 0);
    CHECK_INT(qemu_holds_count(hs), 1);

    struct event *peek = evtimer_new(base, on_peek, &log), *stop = evtimer_new(base, on_stop, base);
    struct timeval at100 = {0, 100000}, at400 = {0, 400000};
    evtimer_add(peek, &at100);
    evtimer_add(stop, &at400);
    event_base_dispatch(base);
    CHECK_INT(log.state_during, 't'); /* still held after 100 ms: the second hold extended it */
    CHECK_INT(log.released, 1);
    CHECK_INT(qemu_holds_count(hs), 0);
    CHECK(state_of(pid) != 't'); /* running or sleeping again, not stopped */

    /* a long hold let go early (end of a trial): the thread runs again at once */
    CHECK(qemu_holds_hold(hs, pid, pid, "main", 60000000, &e) == 0);
    CHECK_INT(state_of(pid), 't');
    qemu_holds_release_all(hs);
    CHECK_INT(log.released, 2);
    CHECK(state_of(pid) != 't');

    /* a thread that is not there */
    CHECK(qemu_task_find(pid, "live_migration", &e) < 0);
    CHECK(strstr(e.msg, "no thread named live_migration") != NULL);

    /* freed while holding: the thread is let go, and the process can still be killed and collected */
    CHECK(qemu_holds_hold(hs, pid, pid, "main", 60000000, &e) == 0);
    qemu_holds_free(hs);
    CHECK(state_of(pid) != 't');
    qemu_proc_free(p);
    CHECK(kill(pid, 0) < 0);
    event_free(peek);
    event_free(stop);
    event_base_free(base);
}

/* ---- threads by name, in this process ---- */

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *named(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return NULL;
}

static void names(void)
{
    pthread_t th;
    pthread_mutex_lock(&gate);
    pthread_create(&th, NULL, named, NULL);
    pthread_setname_np(th, "multifdsend_7");
    struct err e = {{0}};
    pid_t me = getpid();
    pid_t tid = qemu_task_find(me, "multifdsend_7", &e);
    CHECK_MSG(tid > 0 && tid != me, "%s", e.msg);
    char name[QEMU_TASK_NAME_MAX];
    CHECK(qemu_task_name(me, tid, name, sizeof name) == 0);
    CHECK_STR(name, "multifdsend_7");
    CHECK(qemu_task_name(me, me, name, sizeof name) == 0);
    CHECK_STR(name, "main");
    CHECK_INT(qemu_task_find(me, "main", &e), me);

    struct qemu_task_cache c;
    qemu_task_cache_reset(&c, me);
    qemu_task_cache_scan(&c);
    CHECK_INT(qemu_task_cache_find(&c, "multifdsend_7"), tid);
    CHECK_STR(qemu_task_cache_name(&c, tid), "multifdsend_7");
    pthread_mutex_unlock(&gate);
    pthread_join(th, NULL);
    /* gone: no longer found, but a late trace line of it still gets its name */
    CHECK_INT(qemu_task_cache_find(&c, "multifdsend_7"), -1);
    CHECK_STR(qemu_task_cache_name(&c, tid), "multifdsend_7");
    CHECK_STR(qemu_task_cache_name(&c, 0x7ffffff0), "tid 2147483632");
}

static void ram(void)
{
    struct err e = {{0}};
    size_t n = 4u << 20;
    int a = qemu_ram_create(n, 42, &e), b = qemu_ram_create(n, 42, &e), c = qemu_ram_create(n, 43, &e);
    CHECK_MSG(a >= 0 && b >= 0 && c >= 0, "%s", e.msg);
    if (a < 0 || b < 0 || c < 0)
        return;
    CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
    const unsigned char *pa = mmap(NULL, n, PROT_READ, MAP_SHARED, a, 0);
    const unsigned char *pb = mmap(NULL, n, PROT_READ, MAP_SHARED, b, 0);
    const unsigned char *pc = mmap(NULL, n, PROT_READ, MAP_SHARED, c, 0);
    CHECK(pa != MAP_FAILED && pb != MAP_FAILED && pc != MAP_FAILED);
    int zero_pages = 0;
    static const unsigned char zeros[4096];
    for (size_t off = 0; off < n; off += 4096)
        zero_pages += memcmp(pa + off, zeros, 4096) == 0;
    CHECK_INT(zero_pages, 0); /* 7.2 would send zero pages on the main channel, leaving multifd idle */
    CHECK(memcmp(pa, pb, n) == 0);  /* the same seed gives the same RAM */
    CHECK(memcmp(pa, pc, 4096) != 0);
    munmap((void *)pa, n);
    munmap((void *)pb, n);
    munmap((void *)pc, n);
    close(a);
    close(b);
    close(c);
}

/* A child whose output ends before it exits (as `qemu -trace help` can on a loaded machine): reading to the
 * end of its output does not mean it can be collected yet; qemu_proc_wait collects it within its bound. */
static void wait_collects(void)
{
    char path[256];
    struct err e = {{0}};
    CHECK(qemu_proc_find_binary("sh", path, sizeof path, &e) == 0);
    char *argv[] = {"sh", "-c", "exec >&- 2>&-; sleep 0.3; exit 7", NULL};
    struct qemu_proc_spec spec = {.path = path, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK_MSG(p != NULL, "%s", e.msg);
    if (!p)
        return;
    char buf[64];
    uint64_t t0 = mono_now_us();
    while (read(qemu_proc_output_fd(p), buf, sizeof buf) != 0 && mono_now_us() - t0 < 2000000)
        usleep(1000); /* until the output ends */
    int st = 0;
    CHECK_INT(qemu_proc_reap(p, &st), 0); /* ended its output, still running */
    CHECK_INT(qemu_proc_wait(p, 5000000, &st), 1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
    qemu_proc_free(p);
}

int main(void)
{
    char dir[256];
    /* a child that dumps core would do it in the cwd: run where nothing else lives */
    if (check_mkdtemp(dir, sizeof dir) && chdir(dir) == 0) {
        child_limits();
        if (chdir("/") != 0)
            CHECK(0);
        rmdir(dir);
    }
    child_env();
    kill_collects();
    wait_collects();
    holds();
    names();
    ram();
    return check_exit();
}

/* Where a hung QEMU's threads are: eu-stack's output read into named threads and frames (a frame without
 * a name keeps its module), the idle threads told apart from the blocked ones the way a QEMU developer
 * would (the main loop's poll, RCU, an idle vCPU, the monitor's loop are idle; live_migration waiting in a
 * multifd sync is not), and one signature of the threads the others wait for (the blocked ones when none
 * is blocked in the kernel), the same whatever order eu-stack prints them in. A live process is read too: every thread of a running `sleep` (when elfutils is
 * installed; else the test says it skipped that part). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "qemu_proc.h"
#include "qemu_stacks.h"

/* Debian's QEMU 7.2 in a multifd migration that will not end (shortened from a real eu-stack -m run). */
static const char sample[] =
    "PID 100 - process\n"
    "TID 100:\n"
    "#0  0x00007fb440a5d366 __ppoll - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x000056228db49b5e qemu_poll_ns - /usr/bin/qemu-system-x86_64\n"
    "#2  0x000056228db4725e main_loop_wait - /usr/bin/qemu-system-x86_64\n"
    "#3  0x000056228d7a2907 qemu_main_loop - /usr/bin/qemu-system-x86_64\n"
    "TID 101:\n"
    "#0  0x00007fb440a62829 syscall - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x000056228db352da qemu_event_wait - /usr/bin/qemu-system-x86_64\n"
    "#2  0x000056228db3e4b2 call_rcu_thread - /usr/bin/qemu-system-x86_64\n"
    "TID 104:\n"
    "#0  0x00007f9d388d5ab0 sendmsg - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x0000555e76a60000 qio_channel_socket_writev - /usr/bin/qemu-system-x86_64\n"
    "#2  0x0000555e76a61111 - /usr/bin/qemu-system-x86_64\n"
    "TID 103:\n"
    "#0  0x00007f9d3885ef16 __futex_abstimed_wait_common - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x00007f9d388615d8 pthread_cond_wait@@GLIBC_2.3.2 - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#2  0x0000555e76a3fc5b qemu_sem_wait - /usr/bin/qemu-system-x86_64\n"
    "#3  0x0000555e766a1234 multifd_send_sync_main - /usr/bin/qemu-system-x86_64\n"
    "#4  0x0000555e766a5678 migration_thread - /usr/bin/qemu-system-x86_64\n"
    "TID 102:\n"
    "#0  0x00007f9d3885ef16 __futex_abstimed_wait_common - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x0000555e76a3fc5b qemu_cond_wait_impl - /usr/bin/qemu-system-x86_64\n"
    "#2  0x0000555e766a765e qemu_wait_io_event - /usr/bin/qemu-system-x86_64\n"
    "TID 105:\n"
    "#0  0x0000555e76a61111 - /usr/bin/qemu-system-x86_64\n"
    "eu-stack: dwfl_thread_getframes tid 105 at 0x555e76a61111 in /usr/bin/qemu-system-x86_64: no unwind info\n";

static const char *names(void *arg, int tid)
{
    (void)arg;
    switch (tid) {
    case 100: return "qemu-system-x86";
    case 101: return "call_rcu";
    case 102: return "CPU 0/TCG";
    case 103: return "live_migration";
    case 104: return "multifdsend_0";
    case 105: return "multifdsend_1";
    }
    return NULL;
}

static void test_parse(void)
{
    struct qemu_stacks s;
    struct err e = {{0}};
    CHECK_INT(qemu_stacks_parse(sample, names, NULL, &s, &e), 0);
    CHECK_INT(s.n, 6);
    if (s.n != 6)
        return;
    CHECK_STR(s.threads[0].name, "qemu-system-x86");
    CHECK_INT(s.threads[0].nframes, 4);
    CHECK_STR(s.threads[0].frames[1].fn, "qemu_poll_ns");
    CHECK_STR(s.threads[0].frames[1].module, "qemu-system-x86_64");
    CHECK_STR(s.threads[2].frames[2].fn, ""); /* no name: its module stays */
    CHECK_STR(s.threads[2].frames[2].module, "qemu-system-x86_64");
    CHECK_STR(s.threads[3].frames[1].fn, "pthread_cond_wait"); /* without @@GLIBC_... */
    CHECK_INT(s.threads[5].nframes, 1); /* eu-stack's own complaint is no frame */

    CHECK(qemu_stack_idle(&s.threads[0]));  /* the main loop's poll */
    CHECK(qemu_stack_idle(&s.threads[1]));  /* RCU */
    CHECK(!qemu_stack_idle(&s.threads[2])); /* a multifd thread writing */
    CHECK(!qemu_stack_idle(&s.threads[3])); /* live_migration in a sync */
    CHECK(qemu_stack_idle(&s.threads[4]));  /* an idle vCPU */

    char where[128];
    qemu_stack_where(&s.threads[3], where, sizeof where);
    CHECK_STR(where, "multifd_send_sync_main"); /* not the generic qemu_sem_wait */
    qemu_stack_where(&s.threads[2], where, sizeof where);
    CHECK_STR(where, "qio_channel_socket_writev");

    char sig[512];
    qemu_stacks_signature(&s, sig, sizeof sig);
    /* named by what the others wait for: the write that does not return, not live_migration waiting for
     * that thread, nor a thread caught running QEMU's code */
    CHECK(qemu_stack_waits_for_thread(&s.threads[3]));
    CHECK(!qemu_stack_waits_for_thread(&s.threads[2]));
    CHECK_STR(sig, "multifdsend_N in qio_channel_socket_writev");

    /* the same threads in another order: the same signature */
    struct qemu_thread_stack tmp = s.threads[2];
    s.threads[2] = s.threads[3];
    s.threads[3] = tmp;
    char again[512];
    qemu_stacks_signature(&s, again, sizeof again);
    CHECK_STR(again, sig);
    /* no thread blocked in the kernel (a deadlock): the waiting threads name it */
    s.threads[3].nframes = 0; /* the write, now at index 3 */
    qemu_stacks_signature(&s, again, sizeof again);
    CHECK_STR(again, "live_migration in multifd_send_sync_main / multifdsend_N in qemu-system-x86_64+0x555e76a61111");
    qemu_stacks_free(&s);

    CHECK_INT(qemu_stacks_parse("eu-stack: Cannot attach to process 7: Operation not permitted\n", NULL, NULL, &s, &e),
              -1);
}

/* Debian's 7.2 after `colo` into qmprace's sink (shortened from a real hunt's hang): the migration thread
 * waits for the destination's COLO message, which the sink never sends. */
static const char colo_into_sink[] =
    "PID 200 - process\n"
    "TID 200:\n"
    "#0  0x00007fb440a5d366 __ppoll - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x000056228db49b5e qemu_poll_ns - /usr/bin/qemu-system-x86_64\n"
    "#2  0x000056228db4725e main_loop_wait - /usr/bin/qemu-system-x86_64\n"
    "TID 202:\n"
    "#0  0x00007fb440a6a1b0 recvmsg - /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "#1  0x000056228d98ec61 - /usr/bin/qemu-system-x86_64\n"
    "#2  0x000056228d98f000 qio_channel_read - /usr/bin/qemu-system-x86_64\n"
    "#3  0x000056228d7730e5 - /usr/bin/qemu-system-x86_64\n"
    "#4  0x000056228d773200 qemu_get_byte - /usr/bin/qemu-system-x86_64\n"
    "#5  0x000056228d773300 qemu_get_be32 - /usr/bin/qemu-system-x86_64\n"
    "#6  0x000056228d780000 migrate_start_colo_process - /usr/bin/qemu-system-x86_64\n";

static const char *colo_names(void *arg, int tid)
{
    (void)arg;
    return tid == 200 ? "qemu-system-x86" : tid == 202 ? "live_migration" : NULL;
}

/* Whether the hang waits for a peer to speak: the COLO thread reading does; the multifd write into a
 * peer that stopped reading does not (that one QEMU must end itself, by a cancel or a failure). */
static void test_wait_for_peer(void)
{
    struct qemu_stacks s;
    struct err e = {{0}};
    CHECK_INT(qemu_stacks_parse(colo_into_sink, colo_names, NULL, &s, &e), 0);
    char sig[512];
    qemu_stacks_signature(&s, sig, sizeof sig);
    CHECK_STR(sig, "live_migration in qio_channel_read");
    CHECK(qemu_stacks_wait_for_peer(&s));
    qemu_stacks_free(&s);

    CHECK_INT(qemu_stacks_parse(sample, names, NULL, &s, &e), 0);
    CHECK(!qemu_stacks_wait_for_peer(&s));
    qemu_stacks_free(&s);
}

/* A live process: every thread, each with a name, read within a bound. */
static void test_live(void)
{
    if (!qemu_stacks_available()) {
        check_skip("no eu-stack (elfutils): a live process's stacks were not read");
        return;
    }
    char path[256];
    struct err e = {{0}};
    CHECK(qemu_proc_find_binary("sleep", path, sizeof path, &e) == 0);
    char *argv[] = {"sleep", "30", NULL};
    struct qemu_proc_spec spec = {.path = path, .argv = argv};
    struct qemu_proc *p = qemu_proc_spawn(&spec, &e);
    CHECK_MSG(p != NULL, "%s", e.msg);
    if (!p)
        return;
    usleep(50000);
    struct qemu_stacks s;
    int rc = qemu_stacks_capture(qemu_proc_pid(p), 5000000, &s, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    if (rc == 0) {
        CHECK_INT(s.n, 1);
        CHECK_STR(s.threads[0].name, "main"); /* the main thread, whatever the program is called */
        CHECK(s.threads[0].nframes >= 1);
        qemu_stacks_free(&s);
    }
    /* each frame named as eu-stack itself names it (qmprace asks it for addresses only, and names them
     * from the symbols it read once per process): the innermost where the thread is, the others by the
     * call before their return address; twice, the second from what the first read */
    char cmd[96];
    snprintf(cmd, sizeof cmd, "eu-stack -m -p %d 2>/dev/null", (int)qemu_proc_pid(p));
    FILE *f = popen(cmd, "r");
    char *text = calloc(1, 1 << 16);
    size_t len = f && text ? fread(text, 1, (1 << 16) - 1, f) : 0;
    if (f)
        pclose(f);
    struct qemu_stacks want;
    CHECK(len > 0 && qemu_stacks_parse(text, NULL, NULL, &want, &e) == 0);
    for (int round = 0; round < 2 && len > 0; round++) {
        CHECK_INT(qemu_stacks_capture(qemu_proc_pid(p), 5000000, &s, &e), 0);
        CHECK_INT(s.threads[0].nframes, want.threads[0].nframes);
        int named = 0;
        for (int i = 0; i < s.threads[0].nframes && i < want.threads[0].nframes; i++) {
            CHECK_STR(s.threads[0].frames[i].fn, want.threads[0].frames[i].fn);
            named += s.threads[0].frames[i].fn[0] != '\0';
        }
        CHECK(named >= 1); /* libc's, at least: where sleep waits */
        qemu_stacks_free(&s);
    }
    if (len > 0)
        qemu_stacks_free(&want);
    free(text);
    qemu_proc_free(p);
    /* a process that is gone: an error, not a crash */
    CHECK_INT(qemu_stacks_capture(999999, 2000000, &s, &e), -1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_parse();
    test_wait_for_peer();
    test_live();
    return check_exit();
}

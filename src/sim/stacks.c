/* stacks: what each modeled thread is doing, as eu-stack would show it on QEMU 7.2 (innermost frame first,
 * QEMU's own function names), so a hang on the simulated VMM is reported, grouped and minimized the way
 * one on a real QEMU is. It reads the model's state and changes nothing. */
#include "sim_internal.h"

#define FRAMES(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

static void main_stack(const struct sim_vmm *v, sim_stack_fn fn, void *arg)
{
    if (v->main_thr.blocked) /* multifd_save_cleanup() joining a send thread */
        fn(arg, v->main_thr.name, v->main_thr.held,
           FRAMES("__futex_abstimed_wait_common", "qemu_thread_join", "multifd_save_cleanup", "migrate_fd_cleanup"));
    else
        fn(arg, v->main_thr.name, v->main_thr.held, FRAMES("ppoll", "qemu_poll_ns", "main_loop_wait", "qemu_main_loop"));
}

static void lm_stack(const struct sim_vmm *v, sim_stack_fn fn, void *arg)
{
    const struct sim_mig *m = &v->mig;
    const char *name = v->lm_thr.name;
    bool held = v->lm_thr.held;
    if (m->lm == LM_SETUP) /* ram_save_setup(): waiting for every channel's first packet */
        fn(arg, name, held, FRAMES("__futex_abstimed_wait_common", "qemu_sem_wait", "multifd_send_sync_main",
                                   "ram_save_setup", "migration_thread"));
    else if (m->rp_wait && v->model->spelling) /* migration_completion() joins the return path thread */
        fn(arg, name, held, FRAMES("__futex_abstimed_wait_common", "__pthread_clockjoin_ex", "qemu_thread_join",
                                   "close_return_path_on_source", "migration_completion", "migration_thread"));
    else if (m->rp_wait)
        fn(arg, name, held, FRAMES("__futex_abstimed_wait_common", "__pthread_clockjoin_ex", "qemu_thread_join",
                                   "await_return_path_close_on_source", "migration_completion", "migration_thread"));
    else if (m->lm_waiting && v->model->spelling) /* 10.x: multifd_send(), no channel free */
        fn(arg, name, held, FRAMES("__futex_abstimed_wait_common", "qemu_sem_wait", "multifd_send",
                                   "multifd_queue_page", "ram_save_iterate", "migration_thread"));
    else if (m->lm_waiting) /* 7.2: multifd_send_pages(), no channel free */
        fn(arg, name, held, FRAMES("__futex_abstimed_wait_common", "qemu_sem_wait", "multifd_send_pages",
                                   "ram_save_iterate", "migration_thread"));
    else if (m->main.armed && (m->main.data_left || m->main.head_off < m->main.head_len))
        fn(arg, name, held, FRAMES("sendmsg", "qio_channel_socket_writev", "qemu_fflush", "migration_thread"));
    else
        fn(arg, name, held, FRAMES("migration_thread"));
}

static void mf_stack(const struct sim_chan *c, sim_stack_fn fn, void *arg)
{
    if (c->armed && (c->job || c->head_off < c->head_len))
        fn(arg, c->thr.name, c->thr.held, FRAMES("sendmsg", "qio_channel_socket_writev", "multifd_send_thread"));
    else
        fn(arg, c->thr.name, c->thr.held,
           FRAMES("__futex_abstimed_wait_common", "qemu_sem_wait", "multifd_send_thread"));
}

void sim_vmm_stacks(const struct sim_vmm *v, sim_stack_fn fn, void *arg)
{
    if (v->dead)
        return;
    main_stack(v, fn, arg);
    if (v->lm_thr.exists)
        lm_stack(v, fn, arg);
    char rp[24];
    if (v->mig.rp_wait) /* the return path thread reads what the destination says (not a thread it can hold) */
        fn(arg, vocab_thread_spelling((struct thread_ref){THR_RETURN_PATH, 0}, v->model->spelling, rp, sizeof rp), false,
           FRAMES("recvmsg", "qio_channel_socket_readv", "qio_channel_readv_full", "qemu_fill_buffer",
                  "qemu_get_be16", "source_return_path_thread"));
    for (int i = 0; v->mig.mf && i < v->mig.created; i++)
        if (v->mig.mf[i].running)
            mf_stack(&v->mig.mf[i], fn, arg);
}

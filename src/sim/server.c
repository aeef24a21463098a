/* server: the standalone simulated VMM (`qmprace sim --listen`): listens on a unix socket path or a
 * loopback TCP port and serves each accepted connection as a QMP monitor of the current VMM. When that
 * VMM has died (a modeled crash or `quit`), the next connection gets a fresh one, as if QEMU had been
 * restarted; deaths are counted. It never listens beyond loopback, never replaces an existing file,
 * and removes its socket file on free. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>

#include "addr.h"
#include "sim_internal.h"

struct sim_server {
    struct event_base *base;
    const struct sim_model *model;
    struct sim_config cfg;
    struct sim_hooks user;
    struct evconnlistener *lis;
    char *path;
    struct sim_vmm *vmm;
    unsigned deaths;
};

static void on_trace(void *arg, const char *thread, const char *event, const char *args)
{
    struct sim_server *s = arg;
    if (s->user.trace)
        s->user.trace(s->user.arg, thread, event, args);
}

static void on_output(void *arg, const char *line)
{
    struct sim_server *s = arg;
    if (s->user.output)
        s->user.output(s->user.arg, line);
}

static void on_died(void *arg, int signo, const char *message)
{
    struct sim_server *s = arg;
    s->deaths++;
    if (s->user.died)
        s->user.died(s->user.arg, signo, message);
}

static void on_thread(void *arg, const char *thread, bool held)
{
    struct sim_server *s = arg;
    if (s->user.thread)
        s->user.thread(s->user.arg, thread, held);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)lis;
    (void)sa;
    (void)salen;
    struct sim_server *s = arg;
    if (s->vmm && sim_vmm_dead(s->vmm)) {
        sim_vmm_free(s->vmm);
        s->vmm = NULL;
    }
    struct err e;
    if (!s->vmm) {
        struct sim_hooks h = {on_trace, on_output, on_died, on_thread, s};
        s->vmm = sim_vmm_new(s->base, s->model, &s->cfg, &h, &e);
        if (!s->vmm) {
            close(fd);
            return;
        }
    }
    sim_vmm_serve(s->vmm, fd, &e); /* owns fd, even when it refuses */
}

static int open_tcp(const char *spec, struct err *e)
{
    char full[300];
    snprintf(full, sizeof full, "tcp:%s", spec);
    struct addr a;
    if (addr_parse(full, true, &a, e) < 0)
        return err_prefix(e, "cannot listen");
    int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
        int err = errno;
        close(fd);
        return err_set(e, "cannot listen on tcp:%s: %s", spec, strerror(err));
    }
    return fd;
}

static int open_unix(const char *path, struct err *e)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (!*path || strlen(path) >= sizeof sun.sun_path)
        return err_set(e, "unix socket path '%s' is empty or too long", path);
    struct stat st;
    if (lstat(path, &st) == 0)
        return err_set(e, "'%s' already exists; refusing to replace it (remove it or pick another path)",
                       path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, "socket: %s", strerror(errno));
    /* listening right away: a script that waits for the path to exist must not be refused meanwhile
     * (evconnlistener_new listens again, which only sets the backlog) */
    bool bound = bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
    if (!bound || listen(fd, 16) < 0) {
        int err = errno;
        close(fd);
        if (bound) /* ours: made just now */
            unlink(path);
        return err_set(e, "cannot listen on unix:%s: %s", path, strerror(err));
    }
    return fd;
}

struct sim_server *sim_server_new(struct event_base *base, const char *listen, const struct sim_model *model,
                                  const struct sim_config *cfg, const struct sim_hooks *hooks, struct err *e)
{
    if (!base || !listen || !model) {
        err_set(e, "sim_server_new: missing event base, address or model");
        return NULL;
    }
    bool is_unix = strncmp(listen, "unix:", 5) == 0;
    if (!is_unix && strncmp(listen, "tcp:", 4) != 0) {
        err_set(e, "bad listen address '%s': expected unix:PATH or tcp:HOST:PORT", listen);
        return NULL;
    }
    struct sim_server *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    s->base = base;
    s->model = model;
    if (cfg)
        s->cfg = *cfg;
    if (hooks)
        s->user = *hooks;
    int fd = is_unix ? open_unix(listen + 5, e) : open_tcp(listen + 4, e);
    if (fd < 0) {
        free(s);
        return NULL;
    }
    if (is_unix && !(s->path = strdup(listen + 5))) {
        unlink(listen + 5);
        close(fd);
        free(s);
        err_set(e, "out of memory");
        return NULL;
    }
    s->lis = evconnlistener_new(base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (!s->lis) {
        err_set(e, "cannot listen on %s: %s", listen, strerror(errno));
        close(fd);
        sim_server_free(s);
        return NULL;
    }
    return s;
}

void sim_server_free(struct sim_server *s)
{
    if (!s)
        return;
    if (s->lis)
        evconnlistener_free(s->lis);
    if (s->path) {
        unlink(s->path);
        free(s->path);
    }
    sim_vmm_free(s->vmm);
    free(s);
}

unsigned sim_server_deaths(const struct sim_server *s)
{
    return s->deaths;
}

/* The standalone server: listens on a unix socket, serves every connection on the current VMM (events
 * reach every negotiated monitor), hands a fresh VMM to the next connection after a crash and counts
 * deaths, removes its socket file on free, and refuses an existing path and non-loopback TCP. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sim_driver.h"

#define MULTIFD_OFF "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": false}]}"

static int server_deaths_seen;

static void on_died(void *arg, int signo, const char *message)
{
    (void)arg;
    (void)signo;
    (void)message;
    server_deaths_seen++;
}

/* A QMP client on the shared loop, through the driver. */
static bool client_open(struct drv *c, struct event_base *base, const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    return drv_attach(c, base, fd) == 0;
}

static void test_unix_server(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[96];
    snprintf(dir, sizeof dir, "%s/qmprace-simtest-XXXXXX", tmp);
    CHECK(mkdtemp(dir) != NULL);
    char path[128], listen[140];
    snprintf(path, sizeof path, "%s/qmp.sock", dir);
    snprintf(listen, sizeof listen, "unix:%s", path);

    struct event_base *base = drv_base_new();
    struct sim_hooks hooks = {.died = on_died};
    struct sim_config cfg = {.ram_bytes = 64u << 20};
    struct err e;
    struct sim_server *s = sim_server_new(base, listen, sim_model_find("qemu-7.2"), &cfg, &hooks, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    if (!s) {
        event_base_free(base);
        return;
    }
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));

    /* the same path again is refused, and the socket is left alone */
    CHECK(sim_server_new(base, listen, sim_model_find("qemu-7.2"), &cfg, NULL, &e) == NULL);
    CHECK(strstr(e.msg, "already exists") != NULL);

    struct drv a, b;
    CHECK(client_open(&a, base, path));
    CHECK(client_open(&b, base, path));
    CHECK(drv_open_dest(&a, 8u << 20) == 0);
    CHECK(drv_negotiate(&a));
    CHECK(drv_negotiate(&b));
    CHECK(drv_ok(drv_start_migration(&a, true, 2)));
    CHECK(drv_event(&a, "MIGRATION", "failed", DRV_TIMEOUT_MS) != NULL);
    CHECK(drv_ok(drv_cmd(&a, "migrate-set-capabilities", MULTIFD_OFF)));
    CHECK(drv_wait_eof(&a, DRV_TIMEOUT_MS));
    CHECK(drv_wait_eof(&b, DRV_TIMEOUT_MS));
    CHECK(drv_count_events(&b, "MIGRATION", "failed") >= 1); /* events reached both monitors */
    CHECK_INT(sim_server_deaths(s), 1);
    CHECK_INT(server_deaths_seen, 1);
    drv_detach(&a);
    drv_detach(&b);

    /* a restarted QEMU: default capabilities, no migration */
    struct drv c;
    CHECK(client_open(&c, base, path));
    CHECK(drv_negotiate(&c));
    CHECK_STR(drv_return_text(drv_cmd(&c, "query-migrate", NULL)), "{}");
    json_object *caps = drv_return(drv_cmd(&c, "query-migrate-capabilities", NULL));
    bool multifd_on = true;
    for (size_t i = 0; caps && i < json_object_array_length(caps); i++) {
        json_object *el = json_object_array_get_idx(caps, i), *n, *v;
        if (json_object_object_get_ex(el, "capability", &n) && strcmp(json_object_get_string(n), "multifd") == 0 &&
            json_object_object_get_ex(el, "state", &v))
            multifd_on = json_object_get_boolean(v);
    }
    CHECK(!multifd_on);
    CHECK_INT(sim_server_deaths(s), 1);
    drv_detach(&c);

    sim_server_free(s);
    CHECK(stat(path, &st) < 0 && errno == ENOENT);

    /* an existing regular file is not replaced */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK(sim_server_new(base, listen, sim_model_find("qemu-7.2"), &cfg, NULL, &e) == NULL);
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    unlink(path);
    rmdir(dir);
    event_base_free(base);
}

static void test_tcp_loopback_only(void)
{
    struct event_base *base = drv_base_new();
    struct err e;
    const struct sim_model *m = sim_model_find("failing");
    CHECK(sim_server_new(base, "tcp:0.0.0.0:0", m, NULL, NULL, &e) == NULL);
    CHECK(strstr(e.msg, "loopback only") != NULL);
    CHECK(sim_server_new(base, "tcp:192.0.2.1:4444", m, NULL, NULL, &e) == NULL);
    CHECK(sim_server_new(base, "udp:127.0.0.1:1", m, NULL, NULL, &e) == NULL);
    struct sim_server *s = sim_server_new(base, "tcp:127.0.0.1:0", m, NULL, NULL, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    sim_server_free(s);
    event_base_free(base);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    drv_guard(60);
    test_unix_server();
    test_tcp_loopback_only();
    return check_exit();
}

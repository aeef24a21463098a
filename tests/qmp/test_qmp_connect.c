/* Connecting: unix sockets and loopback TCP (127.0.0.0/8, ::1, localhost) reach a QMP server and finish
 * the handshake; a socket that is not there or a port nobody listens on ends with CONNECT and the
 * system's reason; any address that is not loopback, or not an address, is refused by qmp_connect
 * itself, with a message and no callback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "qmp_peer.h"
#include "sockets.h"

static struct event_base *base;

static void test_refused_addresses(void)
{
    static const char *const bad[] = {
        "tcp:10.0.0.1:4444",   "tcp:192.168.1.1:4444", "tcp:8.8.8.8:53",     "tcp:example.com:4444",
        "tcp:[::2]:4444",      "tcp:0.0.0.0:4444",     "tcp:[::]:4444",      "tcp:127.1:4444",
        "tcp:127.0.0.1:0",     "tcp:127.0.0.1:65536",  "tcp:127.0.0.1:",     "tcp:127.0.0.1",
        "tcp::4444",           "tcp:127.0.0.1:44x",    "tcp:127.0.0.1:-1",   "ftp:127.0.0.1:21",
        "unix:",               "127.0.0.1:4444",       "",                   "tcp:[::ffff:10.0.0.1]:1",
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        struct rec r = {0};
        struct qmp_hooks h = rec_hooks(&r);
        struct qmp *q = qmp_new(base, &h, NULL);
        struct err e = {{0}};
        int rc = qmp_connect(q, bad[i], &e);
        CHECK_MSG(rc == -1, "'%s' accepted", bad[i]);
        CHECK_MSG(strstr(e.msg, bad[i]) != NULL, "'%s': message '%s' does not name it", bad[i], e.msg);
        peer_run_for(base, 1000);
        CHECK_MSG(r.len == 0, "'%s': callbacks: %s", bad[i], r.log);
        qmp_free(q);
    }

    char longpath[200] = "unix:/";
    memset(longpath + 6, 'a', sizeof longpath - 7);
    longpath[sizeof longpath - 1] = '\0';
    struct qmp *q = qmp_new(base, NULL, NULL);
    struct err e = {{0}};
    CHECK(qmp_connect(q, longpath, &e) == -1);
    CHECK(strstr(e.msg, "longer than") != NULL);
    qmp_free(q);
}

/* Connects to `addr`, expecting CONNECT with `reason` in the detail. */
static void expect_connect_failure(const char *addr, const char *reason)
{
    struct rec r = {0};
    struct qmp_hooks h = rec_hooks(&r);
    struct qmp *q = qmp_new(base, &h, NULL);
    struct err e = {{0}};
    CHECK_MSG(qmp_connect(q, addr, &e) == 0, "%s: %s", addr, e.msg);
    CHECK_INT(r.closed, 0); /* never from inside qmp_connect */
    peer_run_until(base, &r.done, 2000000);
    CHECK_INT(r.why, QMP_CLOSED_CONNECT);
    CHECK_MSG(strstr(r.detail, addr) && strstr(r.detail, reason), "detail '%s'", r.detail);
    CHECK_STR(r.log, "closed connect\n");
    qmp_free(q);
}

/* The server's script: the handshake, then a close. */
static void greet_and_close(struct peer *p)
{
    peer_handshake(p);
    peer_add(p, PEER_CLOSE, 5000, NULL, 0);
}

/* Connects to `addr` served by `s`: the handshake finishes, then the server's close gives EOF. */
static void expect_handshake(struct peer_server *s, const char *addr)
{
    struct rec r = {0};
    struct qmp_hooks h = rec_hooks(&r);
    struct qmp *q = qmp_new(base, &h, NULL);
    struct err e = {{0}};
    CHECK_MSG(qmp_connect(q, addr, &e) == 0, "%s: %s", addr, e.msg);
    CHECK(qmp_connect(q, addr, &e) == -1); /* one connection per client */
    peer_run_until(base, &r.done, 2000000);
    CHECK_MSG(strncmp(r.log, "ready {\"version\"", 16) == 0, "%s: log %s", addr, r.log);
    CHECK_MSG(r.why == QMP_CLOSED_EOF, "%s: %s: %s", addr, qmp_close_reason_name(r.why), r.detail);
    CHECK(s->accepted);
    CHECK_STR(s->peer.got, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
    qmp_free(q);
}

static void test_unix(void)
{
    char dir[96];
    if (!check_mkdtemp(dir, sizeof dir))
        return;
    char addr[128], missing[128];
    snprintf(addr, sizeof addr, "unix:%s/qmp.sock", dir);
    snprintf(missing, sizeof missing, "unix:%s/none.sock", dir);

    expect_connect_failure(missing, "No such file or directory");

    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s/qmp.sock", dir);
    CHECK(bind(lfd, (struct sockaddr *)&un, sizeof un) == 0);
    struct peer_server s;
    peer_server_start(&s, base, lfd, greet_and_close);
    expect_handshake(&s, addr);
    peer_server_stop(&s);

    /* The file is there but nobody listens any more. */
    expect_connect_failure(addr, "Connection refused");

    unlink(un.sun_path);
    rmdir(dir);
}

static void test_tcp(void)
{
    static const char *const forms[] = {"tcp:127.0.0.1:%u", "tcp:localhost:%u", NULL};
    for (int i = 0; forms[i]; i++) {
        unsigned port = 0;
        int lfd = sock_listen(AF_INET, "127.0.0.1", &port);
        CHECK(lfd >= 0);
        struct peer_server s;
        peer_server_start(&s, base, lfd, greet_and_close);
        char addr[64];
        snprintf(addr, sizeof addr, forms[i], port);
        expect_handshake(&s, addr);
        peer_server_stop(&s);
        /* Nobody listens on that port now (a fresh ephemeral port is not reused at once). */
        if (i == 0)
            expect_connect_failure(addr, "Connection refused");
    }

    unsigned port = 0;
    int lfd = sock_listen(AF_INET6, "::1", &port);
    if (lfd >= 0) { /* IPv6 loopback may be off in a container: then the test says so */
        struct peer_server s;
        peer_server_start(&s, base, lfd, greet_and_close);
        char addr[64];
        snprintf(addr, sizeof addr, "tcp:[::1]:%u", port);
        expect_handshake(&s, addr);
        peer_server_stop(&s);
    } else {
        check_skip("IPv6 loopback (::1) is off here: tcp:[::1]:PORT was not tested");
    }
}

static void test_adopt(void)
{
    int sv[2];
    peer_socketpair(sv);
    struct qmp *q = qmp_new(base, NULL, NULL);
    struct err e = {{0}};
    CHECK(qmp_adopt_fd(q, sv[0], &e) == 0);
    int sv2[2];
    peer_socketpair(sv2);
    CHECK(qmp_adopt_fd(q, sv2[0], &e) == -1); /* refused, and the fd is closed all the same */
    char c;
    CHECK(read(sv2[1], &c, 1) == 0);
    qmp_free(q);
    CHECK(read(sv[1], &c, 1) == 0); /* freeing closed the adopted socket */
    close(sv[1]);
    close(sv2[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = mono_event_base_new(); /* the precise clock, as every command runs on */
    test_refused_addresses();
    test_unix();
    test_tcp();
    test_adopt();
    event_base_free(base);
    return check_exit();
}

/* How a QMP connection ends, as the client reports it: no greeting (TIMEOUT within the deadline), a peer
 * that breaks the protocol (PROTOCOL, and the client stops reading), a clean close (EOF), a close in the
 * middle of a message (CUT), a reset (RESET, over TCP loopback with SO_LINGER {1,0}). Pending commands
 * get `lost` in id order before `closed`, `closed` comes once, and nothing comes after it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "qmp_peer.h"
#include "sockets.h"

static struct event_base *base;

/* A client on one end of a socketpair, the scripted peer on the other. */
static struct peer_conn *conn_new(const struct qmp_options *opt)
{
    return peer_conn_new(base, opt, true);
}

/* Checks that after `closed` nothing else is called for a while. */
static void expect_quiet_after_close(struct peer_conn *c)
{
    size_t len = c->rec.len;
    peer_run_for(base, 10000);
    CHECK_INT(c->rec.closed, 1);
    CHECK_MSG(c->rec.len == len, "callbacks after closed:\n%s", c->rec.log + len);
}

static void send_two(struct rec *r, const char *what)
{
    (void)what;
    CHECK_INT(qmp_send(r->q, "query-migrate", NULL, 0, rec_reply, r), 2);
    CHECK_INT(qmp_send(r->q, "query-yank", NULL, 0, rec_reply, r), 3);
}

static void test_no_greeting(void)
{
    struct qmp_options opt = {.handshake_timeout_us = 50000};
    struct peer_conn *c = conn_new(&opt);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_TIMEOUT);
    CHECK_STR(c->rec.detail, "no QMP greeting within 50 ms");
    uint64_t took = c->rec.closed_us - c->rec.start_us;
    CHECK_MSG(took >= 50000 && took < 500000, "TIMEOUT after %" PRIu64 " us", took);
    CHECK_STR(c->rec.log, "closed timeout\n");
    expect_quiet_after_close(c);
    CHECK_MSG(c->peer.got_eof, "the client did not close its socket");
    peer_conn_free(c);

    /* A greeting but no answer to qmp_capabilities. */
    c = conn_new(&opt);
    peer_say(&c->peer, 0, QMP_GREETING);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_TIMEOUT);
    CHECK_STR(c->rec.detail, "qmp_capabilities not answered within 50 ms");
    CHECK_STR(c->peer.got, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
    peer_conn_free(c);
}

static void expect_protocol(const char *const *msgs, const char *detail_part, const char *log)
{
    struct peer_conn *c = conn_new(NULL);
    for (int i = 0; msgs[i]; i++)
        peer_say(&c->peer, 0, msgs[i]);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_PROTOCOL);
    CHECK_MSG(strstr(c->rec.detail, detail_part) != NULL, "detail '%s' lacks '%s'", c->rec.detail, detail_part);
    CHECK_STR(c->rec.log, log);
    expect_quiet_after_close(c);
    CHECK_MSG(c->peer.got_eof, "the client did not close its socket");
    peer_conn_free(c);
}

static void test_protocol(void)
{
    const char *garbage[] = {QMP_GREETING, QMP_CAPS_OK, "{\"event\": \"X\"}\r\nnot json\r\n", NULL};
    expect_protocol(garbage, "malformed JSON", "ready {\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},"
                    "\"package\":\"Debian 1:7.2+dfsg-7+deb12u18\"},\"capabilities\":[\"oob\"]}\n"
                    "event X null\nclosed protocol\n");

    const char *garbage_early[] = {QMP_GREETING, "]\r\n", NULL};
    expect_protocol(garbage_early, "malformed JSON", "closed protocol\n");

    const char *not_greeting[] = {"{\"return\": {}, \"id\": 1}\r\n", NULL};
    expect_protocol(not_greeting, "expected the QMP greeting, got {\"return\":{},\"id\":1}", "closed protocol\n");

    const char *no_caps_reply[] = {QMP_GREETING, "{\"id\": 1}\r\n", NULL};
    expect_protocol(no_caps_reply, "reply to qmp_capabilities has neither return nor error", "closed protocol\n");

    /* A long wrong first message is quoted, shortened. */
    const char *long_first[] = {"{\"event\": \"MIGRATION\", \"data\": {\"status\": \"setup\"}, \"timestamp\": "
                                "{\"seconds\": 1795739090, \"microseconds\": 844221}}\r\n",
                                NULL};
    expect_protocol(long_first, "expected the QMP greeting, got {\"event\":\"MIGRATION\",\"data\":{\"status\":"
                    "\"setup\"},\"timestamp\":{\"seconds\":1795739...", "closed protocol\n");

    const char *array[] = {QMP_GREETING, QMP_CAPS_OK, "[\"QMP\"]\r\n", NULL};
    expect_protocol(array, "not a JSON object", "ready {\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,"
                    "\"major\":7},\"package\":\"Debian 1:7.2+dfsg-7+deb12u18\"},\"capabilities\":[\"oob\"]}\n"
                    "closed protocol\n");

    const char *refused[] = {QMP_GREETING,
                             "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such thing\"}, "
                             "\"id\": 1}\r\n",
                             NULL};
    expect_protocol(refused, "qmp_capabilities refused: no such thing", "closed protocol\n");
}

/* A message bigger than max_message ends the connection and the client reads no further: the peer's
 * 1 MiB write fails (the client closed its end) long before all of it is taken. */
static void test_oversized(void)
{
    struct qmp_options opt = {.max_message = 4096};
    struct peer_conn *c = conn_new(&opt);
    peer_handshake(&c->peer);
    size_t big = 1u << 20;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    memcpy(huge, "{\"event\": \"X\", \"data\": \"", 24);
    peer_add(&c->peer, PEER_DATA, 0, huge, big);
    free(huge);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_PROTOCOL);
    CHECK_MSG(strstr(c->rec.detail, "larger than 4096 bytes") != NULL, "detail: %s", c->rec.detail);
    CHECK(strncmp(c->rec.log, "ready ", 6) == 0);
    /* Let the peer run into the closed socket. */
    for (int i = 0; i < 100 && !c->peer.write_error; i++)
        peer_run_for(base, 1000);
    CHECK_MSG(c->peer.write_error == EPIPE || c->peer.write_error == ECONNRESET, "peer write error %d",
              c->peer.write_error);
    CHECK_MSG(c->peer.written < big, "the client took all %zu bytes", c->peer.written);
    peer_conn_free(c);
}

static void test_eof_and_cut(void)
{
    /* Clean close with two commands pending: each gets `lost`, in id order, then `closed`. */
    struct peer_conn *c = conn_new(NULL);
    c->rec.on_ready = send_two;
    peer_handshake(&c->peer);
    peer_say(&c->peer, 0, "{\"return\": {}, \"id\": 3}\r\n{\"event\": \"STOP\"}\r\n");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_EOF);
    CHECK_STR(c->rec.detail, "the peer closed the connection");
    const char *log = strstr(c->rec.log, "reply");
    CHECK_STR(log, "reply 3 return {}\nevent STOP null\nreply 2 lost\nclosed eof\n");
    CHECK_INT(qmp_pending(c->rec.q), 0);
    CHECK(!qmp_is_ready(c->rec.q));
    CHECK_INT(qmp_send(c->rec.q, "query-status", NULL, 0, rec_reply, &c->rec), 0);
    expect_quiet_after_close(c);
    peer_conn_free(c);

    c = conn_new(NULL);
    c->rec.on_ready = send_two;
    peer_handshake(&c->peer);
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    log = strstr(c->rec.log, "reply");
    CHECK_STR(log, "reply 2 lost\nreply 3 lost\nclosed eof\n");
    peer_conn_free(c);

    /* Closed before saying anything. */
    c = conn_new(NULL);
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_EOF);
    CHECK_STR(c->rec.detail, "the peer closed the connection before the QMP greeting");
    peer_conn_free(c);

    /* Closed after the greeting, before answering qmp_capabilities. */
    c = conn_new(NULL);
    peer_say(&c->peer, 0, QMP_GREETING);
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_EOF);
    CHECK_STR(c->rec.detail, "the peer closed the connection before answering qmp_capabilities");
    peer_conn_free(c);

    /* Closed in the middle of a message. */
    c = conn_new(NULL);
    c->rec.on_ready = send_two;
    peer_handshake(&c->peer);
    peer_say(&c->peer, 0, "{\"event\": \"MIG");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_CUT);
    CHECK_STR(c->rec.detail, "the peer closed the connection in the middle of a message");
    log = strstr(c->rec.log, "reply");
    CHECK_STR(log, "reply 2 lost\nreply 3 lost\nclosed cut\n");
    expect_quiet_after_close(c);
    peer_conn_free(c);

    /* Only whitespace after the last message is a clean end. */
    c = conn_new(NULL);
    peer_say(&c->peer, 0, QMP_GREETING);
    peer_say(&c->peer, 0, QMP_CAPS_OK "\r\n  \r\n");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_EOF);
    peer_conn_free(c);
}

static void send_with_deadline(struct rec *r, const char *what)
{
    (void)what;
    CHECK_INT(qmp_send(r->q, "query-migrate", NULL, 1000000, rec_reply, r), 2);
}

static void send_on_stop(struct rec *r, const char *name)
{
    if (strcmp(name, "STOP") == 0)
        rec_log(r, "sent %" PRIu64 "\n", qmp_send(r->q, "cont", NULL, 0, rec_reply, r));
}

/* The peer's last words and its close arrive together; a hook answers the first of them and the write
 * fails. The rest of what the peer said is still delivered, then the end is reported as a reset;
 * the pending command (with its deadline) is lost, not timed out. */
static void test_write_after_peer_left(void)
{
    struct peer_conn *c = conn_new(NULL);
    c->rec.on_ready = send_with_deadline;
    c->rec.on_event = send_on_stop;
    peer_handshake(&c->peer);
    const char *last = "{\"event\": \"STOP\"}\r\n{\"event\": \"RESUME\"}\r\n";
    peer_add(&c->peer, PEER_DATA_CLOSE, 0, last, strlen(last));
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_RESET);
    CHECK_STR(c->rec.detail, "connection reset while sending a command: Broken pipe");
    CHECK_STR(strstr(c->rec.log, "event"), "event STOP null\nsent 0\nevent RESUME null\nreply 2 lost\nclosed reset\n");
    uint64_t took = c->rec.closed_us - c->rec.start_us;
    CHECK_MSG(took < 90000, "closed after %" PRIu64 " us: EOF should end it before the drain limit", took);
    expect_quiet_after_close(c);
    peer_conn_free(c);

    /* The peer stops receiving but keeps its side open: the client gives up after the drain limit. */
    c = conn_new(NULL);
    c->rec.on_event = send_on_stop;
    peer_handshake(&c->peer);
    peer_add(&c->peer, PEER_SHUT_RD, 0, NULL, 0);
    peer_say(&c->peer, 0, "{\"event\": \"STOP\"}\r\n");
    peer_say(&c->peer, 20000, "{\"event\": \"RESUME\"}\r\n");
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_RESET);
    CHECK_STR(strstr(c->rec.log, "event"), "event STOP null\nsent 0\nevent RESUME null\nclosed reset\n");
    took = c->rec.closed_us - c->rec.start_us;
    /* libevent times a timer added inside a callback from the start of that loop turn: allow slack. */
    CHECK_MSG(took >= 90000 && took < 1000000, "closed after %" PRIu64 " us", took);
    peer_conn_free(c);
}

/* ---- TCP: the peer resets the connection ---- */

static void reset_script(struct peer *p)
{
    peer_handshake(p);
    /* Time for the client's commands to arrive, so its view of them is "sent, then the reset". */
    peer_add(p, PEER_RESET, 20000, NULL, 0);
}

static void test_reset(void)
{
    unsigned port = 0;
    int lfd = sock_listen(AF_INET, "127.0.0.1", &port);
    CHECK(lfd >= 0);
    struct peer_server t;
    peer_server_start(&t, base, lfd, reset_script);

    struct rec *r = calloc(1, sizeof *r);
    r->on_ready = send_two;
    struct qmp_hooks h = rec_hooks(r);
    r->q = qmp_new(base, &h, NULL);
    char addr[64];
    snprintf(addr, sizeof addr, "tcp:127.0.0.1:%u", port);
    struct err e = {{0}};
    CHECK_MSG(qmp_connect(r->q, addr, &e) == 0, "%s", e.msg);
    peer_run_until(base, &r->done, 2000000);
    CHECK_INT(r->why, QMP_CLOSED_RESET);
    CHECK_MSG(strstr(r->detail, "Connection reset by peer") != NULL, "detail: %s", r->detail);
    const char *log = strstr(r->log, "reply");
    CHECK_STR(log, "reply 2 lost\nreply 3 lost\nclosed reset\n");
    CHECK(t.accepted);
    CHECK_STR(t.peer.got, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n{\"execute\":\"query-migrate\",\"id\":2}"
                          "\r\n{\"execute\":\"query-yank\",\"id\":3}\r\n");

    qmp_free(r->q);
    free(r);
    peer_server_stop(&t);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = mono_event_base_new(); /* the precise clock, as every command runs on */
    test_no_greeting();
    test_protocol();
    test_oversized();
    test_eof_and_cut();
    test_write_after_peer_left();
    test_reset();
    event_base_free(base);
    return check_exit();
}

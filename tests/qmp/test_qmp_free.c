/* qmp_free() from inside every kind of callback: the client stops at once (no further message of the
 * same read is delivered, no `lost`, no `closed`), the memory is released after the hook returns (ASan
 * and LeakSanitizer check both), and sending after the free is refused. Also qmp_free() outside hooks
 * with commands, deadlines and a pending `closed` outstanding. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "qmp_peer.h"

static struct event_base *base;

/* Where to free the client: in the callback whose line starts with `at`. */
struct trigger {
    const char *at;
    int sends_after_free;
};

static void maybe_free(struct rec *r, const char *what)
{
    struct trigger *t = r->user;
    if (!r->q || strncmp(what, t->at, strlen(t->at)) != 0)
        return;
    qmp_free(r->q);
    /* Still inside the hook: the client must refuse new work rather than use freed memory. */
    t->sends_after_free = (int)qmp_send(r->q, "query-status", json_object_new_object(), 0, rec_reply, r);
    r->q = NULL;
    rec_log(r, "freed\n");
    r->done = true;
}

static void ready_action(struct rec *r, const char *what)
{
    struct trigger *t = r->user;
    maybe_free(r, what);
    if (!r->q)
        return;
    uint64_t deadline = strstr(t->at, "timed_out") ? 10000 : 0;
    uint64_t a = qmp_send(r->q, "query-migrate", NULL, deadline, rec_reply, r);
    uint64_t b = qmp_send(r->q, "query-yank", NULL, deadline, rec_reply, r);
    rec_log(r, "sent %" PRIu64 " %" PRIu64 "\n", a, b);
}

static struct peer_conn *conn_new(struct trigger *t)
{
    struct peer_conn *c = peer_conn_new(base, NULL, true);
    c->rec.user = t;
    c->rec.on_ready = ready_action;
    c->rec.on_event = maybe_free;
    c->rec.on_reply = maybe_free;
    c->rec.on_closed = maybe_free;
    c->rec.on_wire = maybe_free;
    return c;
}

static const char ready_line[] = "ready {\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},\"package\":"
                                 "\"Debian 1:7.2+dfsg-7+deb12u18\"},\"capabilities\":[\"oob\"]}\n";

/* Runs a conversation in which the peer answers both commands and sends an event in one write, then
 * closes after a while; the client is freed at `trigger`. `want` is the log after the ready line. */
static void free_at(const char *trigger, bool answer, const char *want)
{
    struct trigger t = {trigger, 0};
    struct peer_conn *c = conn_new(&t);
    peer_handshake(&c->peer);
    if (answer)
        peer_say(&c->peer, 0, "{\"return\": {}, \"id\": 2}\r\n{\"event\": \"STOP\"}\r\n{\"return\": {}, \"id\": 3}\r\n");
    /* The close comes after the 10 ms deadline when that is what is tested, soon otherwise. */
    peer_add(&c->peer, PEER_CLOSE, strstr(trigger, "timed_out") ? 30000 : 5000, NULL, 0);
    peer_conn_run(c);
    peer_run_for(base, 15000); /* the peer closes meanwhile: nothing may reach the freed client */
    const char *log = c->rec.log;
    if (strncmp(log, ready_line, strlen(ready_line)) == 0)
        log += strlen(ready_line);
    CHECK_MSG(strcmp(log, want) == 0, "freed at '%s': log\n%s\nwanted\n%s", trigger, log, want);
    CHECK_INT(t.sends_after_free, 0);
    peer_conn_free(c);
}

static void test_free_in_hooks(void)
{
    free_at("ready", true, "freed\n");
    free_at("reply 2 return", true, "sent 2 3\nreply 2 return {}\nfreed\n");
    free_at("STOP", true, "sent 2 3\nreply 2 return {}\nevent STOP null\nfreed\n");
    free_at("reply 2 lost", false, "sent 2 3\nreply 2 lost\nfreed\n");
    free_at("reply 2 timed_out", false, "sent 2 3\nreply 2 timed_out\nfreed\n");
    free_at("closed", false, "sent 2 3\nreply 2 lost\nreply 3 lost\nclosed eof\nfreed\n");
    /* In the wire hook: for a message received (nothing of it is dispatched) and for one sent from
     * inside `ready` (the second send in that hook is refused). */
    free_at("{\"event\"", true, "sent 2 3\nreply 2 return {}\nfreed\n");
    free_at("{\"execute\":\"query-migrate\"", true, "freed\nsent 2 0\n");
    free_at("{\"execute\":\"qmp_capabilities\"", true, "freed\n");
}

static void test_free_outside_hooks(void)
{
    /* Connected, two commands pending, deadlines armed: freed from plain code, no callback. */
    struct trigger never = {"never", 0};
    struct peer_conn *c = conn_new(&never);
    peer_handshake(&c->peer);
    peer_start(&c->peer);
    c->rec.on_ready = NULL;
    bool ready = false;
    for (int i = 0; i < 200 && !ready; i++) {
        peer_run_for(base, 1000);
        ready = qmp_is_ready(c->rec.q);
    }
    CHECK(ready);
    CHECK(qmp_send(c->rec.q, "query-migrate", NULL, 10000, rec_reply, &c->rec) == 2);
    CHECK(qmp_send(c->rec.q, "query-yank", NULL, 0, rec_reply, &c->rec) == 3);
    size_t len = c->rec.len;
    qmp_free(c->rec.q);
    c->rec.q = NULL;
    peer_run_for(base, 30000);
    CHECK_MSG(c->rec.len == len, "callbacks after free:\n%s", c->rec.log + len);
    peer_conn_free(c);

    /* The connection already ended but `closed` is not delivered yet. */
    struct rec r = {0};
    struct qmp_hooks h = rec_hooks(&r);
    struct qmp *q = qmp_new(base, &h, NULL);
    struct err e = {{0}};
    CHECK(qmp_connect(q, "unix:/nonexistent-qmprace-dir/qmp.sock", &e) == 0);
    qmp_free(q);
    peer_run_for(base, 10000);
    CHECK_INT(r.closed, 0);
    CHECK_STR(r.log, "");

    qmp_free(NULL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = mono_event_base_new(); /* the precise clock, as every command runs on */
    test_free_in_hooks();
    test_free_outside_hooks();
    event_base_free(base);
    return check_exit();
}

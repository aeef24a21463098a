/* Commands through the client: replies match by id only (unknown, missing or differently typed ids are
 * ignored but still seen by `wire`), a deadline gives `timed_out` and the late reply is then ignored,
 * raw commands keep their own id (string or number) or get a numeric one, nothing is sent before the
 * handshake, and a peer that stops reading ends the connection instead of growing our buffer. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "qmp_peer.h"

static struct event_base *base;

static struct peer_conn *conn_new(bool peer_reads)
{
    return peer_conn_new(base, NULL, peer_reads);
}

static void send_status(struct rec *r, const char *what)
{
    (void)what;
    CHECK_INT(qmp_send(r->q, "query-status", NULL, 0, rec_reply, r), 2);
}

static void test_unknown_ids(void)
{
    struct peer_conn *c = conn_new(true);
    c->rec.on_ready = send_status;
    c->rec.log_wire = true;
    peer_handshake(&c->peer);
    peer_say(&c->peer, 0,
             "{\"return\": {\"x\": 1}, \"id\": 99}\r\n"
             "{\"return\": {}, \"id\": \"2\"}\r\n"
             "{\"return\": {}}\r\n"
             "{\"return\": {\"running\": true}, \"id\": 2}\r\n"
             "{\"return\": {\"again\": true}, \"id\": 2}\r\n");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    const char *log = strstr(c->rec.log, "< {\"return\":{\"x\"");
    CHECK_STR(log, "< {\"return\":{\"x\":1},\"id\":99}\n"
                   "< {\"return\":{},\"id\":\"2\"}\n"
                   "< {\"return\":{}}\n"
                   "< {\"return\":{\"running\":true},\"id\":2}\n"
                   "reply 2 return {\"running\":true}\n"
                   "< {\"return\":{\"again\":true},\"id\":2}\n"
                   "closed eof\n");
    peer_conn_free(c);
}

static void send_with_deadline(struct rec *r, const char *what)
{
    (void)what;
    CHECK_INT(qmp_send(r->q, "query-migrate", NULL, 30000, rec_reply, r), 2);
    CHECK_INT(qmp_send(r->q, "query-yank", NULL, 0, rec_reply, r), 3);
    CHECK_INT(qmp_pending(r->q), 2);
}

static uint64_t timed_out_after;
static void note_timeout(struct rec *r, const char *line)
{
    if (strstr(line, "timed_out")) {
        timed_out_after = mono_now_us() - r->start_us;
        CHECK_INT(qmp_pending(r->q), 1);
    }
}

static void test_deadline(void)
{
    struct peer_conn *c = conn_new(true);
    c->rec.on_ready = send_with_deadline;
    c->rec.on_reply = note_timeout;
    c->rec.log_wire = true;
    c->rec.start_us = mono_now_us();
    peer_handshake(&c->peer);
    peer_say(&c->peer, 100000, "{\"return\": {\"status\": \"failed\"}, \"id\": 2}\r\n{\"return\": [], \"id\": 3}\r\n");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    const char *log = strstr(c->rec.log, "reply");
    CHECK_STR(log, "reply 2 timed_out\n"
                   "< {\"return\":{\"status\":\"failed\"},\"id\":2}\n"
                   "< {\"return\":[],\"id\":3}\n"
                   "reply 3 return []\n"
                   "closed eof\n");
    CHECK_MSG(timed_out_after >= 30000 && timed_out_after < 100000, "timed out after %" PRIu64 " us",
              timed_out_after);
    peer_conn_free(c);
}

static void send_raw(struct rec *r, const char *what)
{
    (void)what;
    CHECK_INT(qmp_send_raw(r->q, json_tokener_parse("{\"execute\":\"query-yank\",\"id\":\"c6\"}"), 0, rec_reply, r),
              2);
    CHECK_INT(qmp_send_raw(r->q, json_tokener_parse("{\"execute\":\"query-status\"}"), 0, rec_reply, r), 3);
    CHECK_INT(qmp_send_raw(r->q, json_tokener_parse("{\"execute\":\"stop\",\"id\":77}"), 0, rec_reply, r), 4);
    CHECK_INT(qmp_send_raw(r->q, json_tokener_parse("[\"execute\"]"), 0, rec_reply, r), 0);
    CHECK_INT(qmp_send_raw(r->q, NULL, 0, rec_reply, r), 0);
    CHECK_INT(qmp_pending(r->q), 3);
}

static void test_raw(void)
{
    struct peer_conn *c = conn_new(true);
    c->rec.on_ready = send_raw;
    peer_handshake(&c->peer);
    peer_say(&c->peer, 0,
             "{\"return\": {}, \"id\": 2}\r\n"            /* not the raw command's id */
             "{\"return\": {}, \"id\": \"c7\"}\r\n"       /* nobody's */
             "{\"return\": {}, \"id\": 77}\r\n"
             "{\"return\": [{\"type\": \"migration\"}], \"id\": \"c6\"}\r\n"
             "{\"error\": {\"class\": \"GenericError\"}, \"id\": 3}\r\n");
    peer_add(&c->peer, PEER_CLOSE, 0, NULL, 0);
    peer_conn_run(c);
    const char *log = strstr(c->rec.log, "reply");
    CHECK_STR(log, "reply 4 return {}\n"
                   "reply 2 return [{\"type\":\"migration\"}]\n"
                   "reply 3 error GenericError: \n"
                   "closed eof\n");
    CHECK_STR(c->peer.got, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n"
                           "{\"execute\":\"query-yank\",\"id\":\"c6\"}\r\n"
                           "{\"execute\":\"query-status\",\"id\":3}\r\n"
                           "{\"execute\":\"stop\",\"id\":77}\r\n");
    peer_conn_free(c);
}

/* Nothing can be sent before the handshake is done (arguments are still freed: ASan sees leaks). */
static void test_not_ready(void)
{
    struct rec r = {0};
    struct qmp_hooks h = rec_hooks(&r);
    struct qmp *q = qmp_new(base, &h, NULL);
    CHECK_INT(qmp_send(q, "query-status", json_object_new_object(), 0, rec_reply, &r), 0);
    CHECK_INT(qmp_send_raw(q, json_tokener_parse("{\"execute\":\"stop\"}"), 0, rec_reply, &r), 0);
    CHECK(!qmp_is_ready(q));
    qmp_free(q);

    struct peer_conn *c = conn_new(true);
    c->rec.log_wire = true;
    peer_say(&c->peer, 0, QMP_GREETING);
    peer_start(&c->peer);
    for (int i = 0; i < 100 && c->peer.ngot == 0; i++)
        peer_run_for(base, 1000);
    CHECK_STR(c->peer.got, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
    CHECK(!qmp_is_ready(c->rec.q));
    CHECK_INT(qmp_send(c->rec.q, "query-status", NULL, 0, rec_reply, &c->rec), 0);
    peer_conn_free(c);
}

/* A reply with neither return nor error breaks QMP. */
static void test_bad_reply(void)
{
    struct peer_conn *c = conn_new(true);
    c->rec.on_ready = send_status;
    peer_handshake(&c->peer);
    peer_say(&c->peer, 0, "{\"id\": 2}\r\n");
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_PROTOCOL);
    CHECK_STR(c->rec.detail, "reply to command 2 has neither return nor error");
    CHECK_STR(strstr(c->rec.log, "reply"), "reply 2 lost\nclosed protocol\n");
    peer_conn_free(c);
}

static unsigned flood_sent, flood_max = 1000;
static void flood(struct rec *r, const char *what)
{
    (void)what;
    static char text[65536];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    for (unsigned i = 0; i < flood_max; i++) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "filler", json_object_new_string(text));
        if (!qmp_send(r->q, "human-monitor-command", args, 0, rec_reply, r))
            break;
        flood_sent++;
    }
}

static void test_peer_stops_reading(void)
{
    struct peer_conn *c = conn_new(false);
    c->rec.on_ready = flood;
    peer_handshake(&c->peer);
    peer_conn_run(c);
    CHECK_INT(c->rec.why, QMP_CLOSED_PROTOCOL);
    CHECK_MSG(strstr(c->rec.detail, "peer stopped reading") != NULL, "detail: %s", c->rec.detail);
    /* 4 MiB queued plus what the socket itself holds; far from the 1000 commands tried. */
    CHECK_MSG(flood_sent >= 60 && flood_sent < 200, "%u commands accepted", flood_sent);
    unsigned lost = 0;
    for (const char *s = c->rec.log; (s = strstr(s, " lost\n")); s++)
        lost++;
    CHECK_INT(lost, flood_sent);
    peer_conn_free(c);
}

/* The peer stops reading with our commands queued, then goes away: a reset, every command lost. */
static void test_peer_dies_with_backlog(void)
{
    flood_sent = 0;
    flood_max = 20; /* 1.3 MiB: more than the socket holds, less than the limit */
    struct peer_conn *c = conn_new(false);
    c->rec.on_ready = flood;
    peer_handshake(&c->peer);
    peer_add(&c->peer, PEER_CLOSE, 10000, NULL, 0);
    peer_conn_run(c);
    CHECK_INT(flood_sent, 20);
    CHECK_MSG(c->rec.why == QMP_CLOSED_RESET, "%s: %s", qmp_close_reason_name(c->rec.why), c->rec.detail);
    unsigned lost = 0;
    for (const char *s = c->rec.log; (s = strstr(s, " lost\n")); s++)
        lost++;
    CHECK_INT(lost, 20);
    peer_conn_free(c);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = mono_event_base_new(); /* the precise clock, as every command runs on */
    test_unknown_ids();
    test_deadline();
    test_raw();
    test_not_ready();
    test_bad_reply();
    test_peer_stops_reading();
    test_peer_dies_with_backlog();
    event_base_free(base);
    return check_exit();
}

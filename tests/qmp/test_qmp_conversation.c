/* A whole QMP conversation through the client: greeting, qmp_capabilities, commands sent from hooks,
 * replies matched by id, an event between a command and its reply, an error reply, a clean close.
 * The peer's bytes are delivered all in one write, split in two at every byte boundary, and one byte
 * per read: the client must make the same callbacks in the same order every time, and send the same
 * bytes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mono.h"
#include "qmp_peer.h"

static const char *const script[] = {
    QMP_GREETING,
    QMP_CAPS_OK,
    "{\"timestamp\": {\"seconds\": 1795739090, \"microseconds\": 844221}, \"event\": \"MIGRATION\", "
    "\"data\": {\"status\": \"setup\"}}\r\n",
    "{\"return\": {}, \"id\": 2}\r\n",
    "{\"return\": {\"status\": \"active\", \"total-time\": 5}, \"id\": 3}\r\n",
    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"There's a migration process in progress\"}, "
    "\"id\": 4}\r\n",
    "{\"timestamp\": {\"seconds\": 1795739091, \"microseconds\": 85170}, \"event\": \"MIGRATION_PASS\", "
    "\"data\": {\"pass\": 1}}\r\n",
    "{\"return\": [{\"type\": \"migration\"}], \"id\": 5}\r\n",
    "{\"event\": \"SHUTDOWN\"}\r\n",
    NULL,
};

static const char expected_log[] =
    "< {\"QMP\":{\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},\"package\":\"Debian "
    "1:7.2+dfsg-7+deb12u18\"},\"capabilities\":[\"oob\"]}}\n"
    "> {\"execute\":\"qmp_capabilities\",\"id\":1}\n"
    "< {\"return\":{},\"id\":1}\n"
    "ready {\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},\"package\":\"Debian "
    "1:7.2+dfsg-7+deb12u18\"},\"capabilities\":[\"oob\"]}\n"
    "> {\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:4444\"},\"id\":2}\n"
    "> {\"execute\":\"query-migrate\",\"id\":3}\n"
    "< {\"timestamp\":{\"seconds\":1795739090,\"microseconds\":844221},\"event\":\"MIGRATION\",\"data\":"
    "{\"status\":\"setup\"}}\n"
    "event MIGRATION {\"status\":\"setup\"}\n"
    "< {\"return\":{},\"id\":2}\n"
    "reply 2 return {}\n"
    "> {\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":"
    "\"multifd\",\"state\":false}]},\"id\":4}\n"
    "< {\"return\":{\"status\":\"active\",\"total-time\":5},\"id\":3}\n"
    "reply 3 return {\"status\":\"active\",\"total-time\":5}\n"
    "< {\"error\":{\"class\":\"GenericError\",\"desc\":\"There's a migration process in progress\"},"
    "\"id\":4}\n"
    "reply 4 error GenericError: There's a migration process in progress\n"
    "< {\"timestamp\":{\"seconds\":1795739091,\"microseconds\":85170},\"event\":\"MIGRATION_PASS\","
    "\"data\":{\"pass\":1}}\n"
    "event MIGRATION_PASS {\"pass\":1}\n"
    "> {\"execute\":\"query-yank\",\"id\":5}\n"
    "< {\"return\":[{\"type\":\"migration\"}],\"id\":5}\n"
    "reply 5 return [{\"type\":\"migration\"}]\n"
    "< {\"event\":\"SHUTDOWN\"}\n"
    "event SHUTDOWN null\n"
    "closed eof\n";

static const char expected_sent[] =
    "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n"
    "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:4444\"},\"id\":2}\r\n"
    "{\"execute\":\"query-migrate\",\"id\":3}\r\n"
    "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":"
    "\"multifd\",\"state\":false}]},\"id\":4}\r\n"
    "{\"execute\":\"query-yank\",\"id\":5}\r\n";

static void act_ready(struct rec *r, const char *what)
{
    (void)what;
    json_object *args = json_tokener_parse("{\"uri\":\"tcp:127.0.0.1:4444\"}");
    CHECK_INT(qmp_send(r->q, "migrate", args, 0, rec_reply, r), 2);
    CHECK_INT(qmp_send(r->q, "query-migrate", NULL, 0, rec_reply, r), 3);
    CHECK_INT(qmp_pending(r->q), 2);
}

static void act_reply(struct rec *r, const char *line)
{
    if (strcmp(line, "reply 2 return {}") == 0) {
        json_object *args = json_tokener_parse("{\"capabilities\":[{\"capability\":\"multifd\",\"state\":false}]}");
        CHECK_INT(qmp_send(r->q, "migrate-set-capabilities", args, 0, rec_reply, r), 4);
    }
}

static void act_event(struct rec *r, const char *name)
{
    if (strcmp(name, "MIGRATION_PASS") == 0)
        CHECK_INT(qmp_send(r->q, "query-yank", NULL, 0, rec_reply, r), 5);
}

static size_t script_text(char *buf, size_t n)
{
    size_t len = 0;
    for (int i = 0; script[i]; i++) {
        size_t l = strlen(script[i]);
        if (len + l < n) {
            memcpy(buf + len, script[i], l);
            len += l;
        }
    }
    buf[len] = '\0';
    return len;
}

/* One run: the peer writes `text` cut at the given offsets (each piece read separately), then closes.
 * Returns false (with a failed check) when the log differs. */
static bool run_once(struct event_base *base, const char *text, size_t n, const size_t *cuts, size_t ncuts,
                     const char *label)
{
    int sv[2];
    peer_socketpair(sv);
    struct peer peer;
    peer_init(&peer, base, sv[1], sv[0], true);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        if (to > from)
            peer_add(&peer, PEER_DATA, 0, text + from, to - from);
        from = to;
    }
    peer_add(&peer, PEER_CLOSE, 0, NULL, 0);

    struct rec *r = calloc(1, sizeof *r);
    r->peer = &peer;
    r->log_wire = true;
    r->on_ready = act_ready;
    r->on_reply = act_reply;
    r->on_event = act_event;
    struct qmp_hooks h = rec_hooks(r);
    r->q = qmp_new(base, &h, NULL);
    struct err e = {{0}};
    CHECK(qmp_adopt_fd(r->q, sv[0], &e) == 0);
    CHECK(!qmp_is_ready(r->q));
    peer_start(&peer);
    peer_run_until(base, &r->done, 2000000);
    /* The peer reads the client's bytes until it has all five commands (it closed its end itself). */
    bool ok = strcmp(r->log, expected_log) == 0 && r->closed == 1 && qmp_pending(r->q) == 0;
    CHECK_MSG(ok, "%s: log differs:\n%s", label, r->log);
    CHECK_MSG(strcmp(peer.got, expected_sent) == 0, "%s: peer got:\n%s", label, peer.got);
    CHECK_STR(r->detail, "the peer closed the connection");
    qmp_free(r->q);
    peer_fini(&peer);
    free(r);
    return ok;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = mono_event_base_new(); /* the precise clock, as every command runs on */
    char text[4096];
    size_t n = script_text(text, sizeof text);

    /* Everything in one write: several messages per read. */
    run_once(base, text, n, NULL, 0, "one write");

    /* Split in two at every byte boundary. */
    int failures = 0;
    for (size_t k = 1; k < n && failures < 3; k++) {
        char label[32];
        snprintf(label, sizeof label, "split at %zu", k);
        if (!run_once(base, text, n, &k, 1, label))
            failures++;
    }

    /* One byte per read. */
    size_t *cuts = malloc(n * sizeof *cuts);
    for (size_t i = 0; i < n - 1; i++)
        cuts[i] = i + 1;
    run_once(base, text, n, cuts, n - 1, "byte by byte");
    free(cuts);

    event_base_free(base);
    return check_exit();
}

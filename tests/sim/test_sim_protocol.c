/* The simulated VMM speaks QMP as QEMU 7.2 does: greeting, negotiation, QEMU's error texts, the id
 * echoed exactly, and a connection closed (after QEMU's parse error) when the client sends garbage. */
#include <signal.h>
#include <unistd.h>

#include "check.h"
#include "mono.h"
#include "sim_driver.h"

static json_object *first_message(struct drv *d)
{
    for (int i = 0; i < 100 && d->nmsgs == 0 && !d->eof; i++)
        drv_step(d, 10000);
    return d->nmsgs ? d->msgs[0] : NULL;
}

static void test_greeting_and_negotiation(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    json_object *g = first_message(&d);
    CHECK(g != NULL);
    CHECK_STR(json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN),
              "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},"
              "\"package\":\"qmprace-sim qemu-7.2\"},\"capabilities\":[\"oob\"]}}");

    /* Before negotiation every command, known or not, gets CommandNotFound with QEMU's hint. */
    json_object *r = drv_cmd(&d, "query-status", NULL);
    CHECK_STR(drv_error_class(r), "CommandNotFound");
    CHECK_STR(drv_error_desc(r), "Expecting capabilities negotiation with 'qmp_capabilities'");
    r = drv_cmd(&d, "no-such-command", NULL);
    CHECK_STR(drv_error_desc(r), "Expecting capabilities negotiation with 'qmp_capabilities'");

    r = drv_cmd(&d, "qmp_capabilities", "{\"enable\": [\"nope\"]}");
    CHECK_STR(drv_error_desc(r), "Parameter 'null' does not accept value 'nope'");
    CHECK(drv_negotiate(&d));
    r = drv_cmd(&d, "qmp_capabilities", NULL);
    CHECK_STR(drv_error_class(r), "CommandNotFound");
    CHECK_STR(drv_error_desc(r), "Capabilities negotiation is already complete, command ignored");

    r = drv_cmd(&d, "no-such-command", NULL);
    CHECK_STR(drv_error_class(r), "CommandNotFound");
    CHECK_STR(drv_error_desc(r), "The command no-such-command has not been found");

    r = drv_cmd(&d, "query-status", NULL);
    CHECK_STR(drv_return_text(r), "{\"running\":true,\"singlestep\":false,\"status\":\"running\"}");
    r = drv_cmd(&d, "query-status", "{\"verbose\": true}");
    CHECK_STR(drv_error_desc(r), "Parameter 'verbose' is unexpected");
    r = drv_cmd(&d, "query-version", NULL);
    CHECK_STR(drv_return_text(r),
              "{\"qemu\":{\"micro\":22,\"minor\":2,\"major\":7},\"package\":\"qmprace-sim qemu-7.2\"}");
    r = drv_cmd(&d, "query-migrate", NULL);
    CHECK_STR(drv_return_text(r), "{}");
    r = drv_cmd(&d, "query-yank", NULL);
    CHECK_STR(drv_return_text(r), "[{\"type\":\"chardev\",\"id\":\"compat_monitor0\"}]");
    r = drv_cmd(&d, "migrate-pause", NULL);
    CHECK_STR(drv_error_desc(r), "migrate-pause is currently only supported during postcopy-active state");
    r = drv_cmd(&d, "migrate-start-postcopy", NULL);
    CHECK_STR(drv_error_desc(r), "Enable postcopy with migrate_set_capability before the start of migration");
    r = drv_cmd(&d, "migrate-continue", "{\"state\": \"active\"}");
    CHECK_STR(drv_error_desc(r), "Migration not in expected state: none");
    r = drv_cmd(&d, "migrate-continue", "{\"state\": \"failing\"}");
    CHECK_STR(drv_error_desc(r), "Parameter 'state' does not accept value 'failing'");
    drv_close(&d);
}

/* The reply carries the request's id as it was, whatever JSON value it is; no id, no id. */
static void test_id_echo(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    int before = d.nmsgs;
    drv_send_raw(&d, "{\"execute\": \"query-status\", \"id\": 42}\r\n"
                     "{\"execute\": \"query-status\", \"id\": {\"a\": [1, \"x\"]}}\r\n"
                     "{\"execute\": \"query-status\"}\r\n"
                     "{\"execute\": \"nope\", \"id\": \"s\"}\r\n");
    for (int i = 0; i < 200 && d.nmsgs < before + 4; i++)
        drv_step(&d, 10000);
    CHECK_INT(d.nmsgs, before + 4);
    if (d.nmsgs >= before + 4) {
        json_object *id;
        CHECK(json_object_object_get_ex(d.msgs[before], "id", &id) && json_object_get_int(id) == 42 &&
              json_object_is_type(id, json_type_int));
        CHECK(json_object_object_get_ex(d.msgs[before + 1], "id", &id));
        CHECK_STR(json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN), "{\"a\":[1,\"x\"]}");
        CHECK(!json_object_object_get_ex(d.msgs[before + 2], "id", &id));
        CHECK(drv_ok(d.msgs[before + 2]));
        CHECK(json_object_object_get_ex(d.msgs[before + 3], "id", &id));
        CHECK_STR(json_object_get_string(id), "s");
        CHECK_STR(drv_error_desc(d.msgs[before + 3]), "The command nope has not been found");
    }
    drv_close(&d);
}

static void test_request_shape(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    /* Checked before negotiation matters: a GenericError, not the negotiation hint. */
    drv_send_raw(&d, "{\"id\": \"m1\"}\r\n");
    json_object *r = NULL;
    for (int i = 0; i < 100 && !r; i++) {
        drv_step(&d, 10000);
        for (int j = 0; j < d.nmsgs && !r; j++) {
            json_object *id;
            if (json_object_object_get_ex(d.msgs[j], "id", &id) && strcmp(json_object_get_string(id), "m1") == 0)
                r = d.msgs[j];
        }
    }
    CHECK_STR(drv_error_class(r), "GenericError");
    CHECK_STR(drv_error_desc(r), "QMP input lacks member 'execute'");
    CHECK(drv_negotiate(&d));
    r = drv_cmd(&d, "query-status", "[1]");
    CHECK_STR(drv_error_desc(r), "QMP input member 'arguments' must be an object");
    drv_send_raw(&d, "{\"execute\": 5, \"id\": \"m2\"}\r\n"
                     "{\"execute\": \"query-status\", \"x\": 1, \"id\": \"m3\"}\r\n"
                     "{\"exec-oob\": \"migrate-pause\", \"id\": \"m4\"}\r\n");
    drv_pump(&d, 20);
    for (int j = 0; j < d.nmsgs; j++) {
        json_object *id;
        if (!json_object_object_get_ex(d.msgs[j], "id", &id) || !json_object_is_type(id, json_type_string))
            continue;
        const char *s = json_object_get_string(id);
        if (strcmp(s, "m2") == 0)
            CHECK_STR(drv_error_desc(d.msgs[j]), "QMP input member 'execute' must be a string");
        if (strcmp(s, "m3") == 0)
            CHECK_STR(drv_error_desc(d.msgs[j]), "QMP input member 'x' is unexpected");
        if (strcmp(s, "m4") == 0) /* OOB was not enabled at negotiation */
            CHECK_STR(drv_error_desc(d.msgs[j]), "QMP input member 'exec-oob' is unexpected");
    }
    drv_close(&d);
}

static void test_garbage_closes(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    int before = d.nmsgs;
    drv_send_raw(&d, "{\"execute\": \"query-status\"} }garbage\r\n");
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    /* the good request before the garbage was answered, then QEMU's parse error, then EOF */
    CHECK(d.nmsgs >= before + 2);
    if (d.nmsgs >= before + 2) {
        CHECK(drv_ok(d.msgs[before]));
        const char *desc = drv_error_desc(d.msgs[d.nmsgs - 1]);
        CHECK_MSG(desc && strncmp(desc, "JSON parse error, ", 18) == 0, "desc: %s", desc ? desc : "(none)");
    }
    CHECK(!sim_vmm_dead(d.vmm)); /* only that connection is gone */
    drv_close(&d);

    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    drv_send_raw(&d, "[1, 2]\r\n");
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    CHECK_STR(drv_error_desc(d.msgs[d.nmsgs - 1]), "QMP input must be a JSON object");
    drv_close(&d);
}

static void test_oversized_closes(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    /* A string that never ends: the server must stop at 1 MiB and close, not buffer on. */
    static char chunk[64 << 10];
    memset(chunk, 'a', sizeof chunk - 1);
    drv_send_raw(&d, "{\"execute\": \"");
    uint64_t end = mono_now_us() + 3000000;
    size_t sent = 0;
    while (!d.eof && mono_now_us() < end && sent < (4u << 20)) {
        ssize_t n = write(d.fd, chunk, sizeof chunk - 1);
        if (n > 0)
            sent += (size_t)n;
        drv_step(&d, 1000);
    }
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    CHECK(sent < (4u << 20));
    drv_close(&d);
}

/* With OOB negotiated, exec-oob runs at once, even while main is held; only OOB commands may. */
static void test_oob(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_ok(drv_cmd(&d, "qmp_capabilities", "{\"enable\": [\"oob\"]}")));
    struct err e;
    CHECK(sim_vmm_freeze(d.vmm, (struct thread_ref){THR_MAIN, 0}, 200000, &e) == 0);
    uint64_t t0 = mono_now_us();
    drv_send_raw(&d, "{\"exec-oob\": \"migrate-pause\", \"id\": \"o1\"}\r\n"
                     "{\"exec-oob\": \"query-status\", \"id\": \"o2\"}\r\n");
    int got = 0;
    for (int i = 0; i < 100 && got < 2; i++) {
        drv_step(&d, 5000);
        got = 0;
        for (int j = 0; j < d.nmsgs; j++) {
            json_object *id;
            if (!json_object_object_get_ex(d.msgs[j], "id", &id) || !json_object_is_type(id, json_type_string))
                continue;
            if (strcmp(json_object_get_string(id), "o1") == 0) {
                CHECK_STR(drv_error_desc(d.msgs[j]),
                          "migrate-pause is currently only supported during postcopy-active state");
                got++;
            } else if (strcmp(json_object_get_string(id), "o2") == 0) {
                CHECK_STR(drv_error_desc(d.msgs[j]), "The command query-status does not support OOB");
                got++;
            }
        }
    }
    CHECK_INT(got, 2);
    CHECK(mono_now_us() - t0 < 150000); /* answered while main was still held */
    drv_close(&d);
}

/* A client that sends but never reads: the VMM caps what it buffers for it, then drops it. */
static void test_slow_reader_dropped(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    event_del(d.rev); /* stop reading */
    const char *req = "{\"execute\": \"query-migrate-capabilities\"}\r\n";
    bool refused = false;
    for (int i = 0; i < 20000 && !refused; i++) {
        ssize_t n = write(d.fd, req, strlen(req));
        if (n < 0 && errno != EAGAIN)
            refused = true; /* EPIPE/ECONNRESET: the server closed */
        drv_step(&d, n < 0 ? 1000 : 0);
    }
    CHECK(refused);
    size_t got = 0;
    for (int i = 0; i < 10000; i++) {
        ssize_t n = read(d.fd, drv_sink_buf, sizeof drv_sink_buf);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK_MSG(got < (4u << 20), "read %zu bytes", got);
    CHECK(!sim_vmm_dead(d.vmm)); /* only that monitor was dropped */
    drv_close(&d);
}

/* quit: the reply arrives, then the modeled process exits normally (signal 0, no message). */
static void test_quit(void)
{
    struct drv d;
    CHECK(drv_open(&d, "qemu-7.2", 0) == 0);
    CHECK(drv_negotiate(&d));
    json_object *r = drv_cmd(&d, "quit", NULL);
    CHECK(drv_ok(r));
    CHECK_INT(drv_count_events(&d, "SHUTDOWN", NULL), 1);
    CHECK(drv_wait_death(&d, DRV_TIMEOUT_MS));
    CHECK_INT(d.died_signo, 0);
    CHECK(d.died_msg_null);
    CHECK(drv_wait_eof(&d, DRV_TIMEOUT_MS));
    struct err e;
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(sim_vmm_serve(d.vmm, sv[0], &e) < 0); /* a dead VMM serves no one (and closed sv[0]) */
    close(sv[1]);
    drv_close(&d);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_greeting_and_negotiation();
    test_id_echo();
    test_request_shape();
    test_garbage_closes();
    test_oversized_closes();
    test_oob();
    test_slow_reader_dropped();
    test_quit();
    return check_exit();
}

/* fuzz_schedule_text: AFL++ target for the schedule language (src/schedule_text.c), the text people
 * write. The input is a schedule file. A refusal must be one "NAME:LINE:COL: message" line; a schedule
 * that parses must print canonical text that parses again to the same schedule and prints the same bytes;
 * when the binary form can carry it, decoding its encoding must give it back and re-encoding must give
 * the same bytes; every action must turn into its QMP command (or none) without harm.
 * It must never keep state from one input to the next. */
#include <stdlib.h>
#include <string.h>

#include "../harness/afl_main.h"
#include "fuzz_common.h"
#include "schedule.h"

#define NAME "f.sched"

/* "f.sched:LINE:COL: message" with LINE and COL >= 1, on one line. */
static bool well_formed(const char *msg)
{
    size_t n = strlen(NAME);
    if (strncmp(msg, NAME ":", n + 1) != 0)
        return false;
    char *end;
    long line = strtol(msg + n + 1, &end, 10);
    if (line < 1 || *end != ':')
        return false;
    long col = strtol(end + 1, &end, 10);
    if (col < 1 || strncmp(end, ": ", 2) != 0 || !end[2])
        return false;
    return strchr(msg, '\n') == NULL;
}

static int check_binary(const struct schedule *s, const char *text)
{
    uint8_t *bin = NULL, *bin2 = NULL;
    size_t len = 0, len2 = 0;
    struct err e = {{0}};
    if (schedule_encode(s, &bin, &len, &e) < 0)
        return strstr(e.msg, "cannot be encoded") ? 0 : fuzz_fail("encode refused oddly: %s", e.msg);
    int bad = 0;
    struct schedule *d = schedule_decode(bin, len);
    if (!d) {
        free(bin);
        return 0;
    }
    if (!schedule_equal(s, d)) {
        char *dt = schedule_print(d);
        bad = fuzz_fail("decode(encode(s)) differs:\n%s---\n%s", text, dt ? dt : "(null)");
        free(dt);
    } else if (schedule_encode(d, &bin2, &len2, &e) < 0) {
        bad = fuzz_fail("a decoded schedule cannot be encoded: %s", e.msg);
    } else if (len2 != len || memcmp(bin, bin2, len) != 0) {
        bad = fuzz_fail("encoding is not canonical (%zu then %zu bytes)", len, len2);
    }
    free(bin);
    free(bin2);
    schedule_free(d);
    return bad;
}

static int check_actions(const struct schedule *s)
{
    for (size_t i = 0; i < s->nlines; i++)
        for (size_t j = 0; j < s->lines[i].nacts; j++) {
            const struct sched_action *a = &s->lines[i].acts[j];
            json_object *args = NULL;
            const char *name = schedule_action_qmp(a, "tcp:127.0.0.1:4444", &args);
            bool is_qmp = a->kind <= ACT_QMP;
            bool ok = is_qmp ? name != NULL : name == NULL && args == NULL;
            json_object_put(args);
            if (!ok)
                return fuzz_fail("action %s: QMP command %s", schedule_action_name(a->kind),
                                 name ? name : "(none)");
        }
    return 0;
}

static int one(const uint8_t *buf, size_t len)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse((const char *)buf, len, NAME, &e);
    if (!s)
        return well_formed(e.msg) ? 0 : fuzz_fail("refusal not of the form NAME:LINE:COL: message: '%s'", e.msg);
    int bad = 0;
    char *t1 = schedule_print(s), *t2 = NULL;
    struct schedule *s2 = NULL;
    if (!t1)
        goto out;
    s2 = schedule_parse(t1, strlen(t1), NAME, &e);
    if (!s2) {
        bad = fuzz_fail("printed text does not parse: %s\n%s", e.msg, t1);
        goto out;
    }
    t2 = schedule_print(s2);
    if (t2 && strcmp(t1, t2) != 0) {
        bad = fuzz_fail("canonical text changes when parsed again:\n%s---\n%s", t1, t2);
        goto out;
    }
    if (!schedule_equal(s, s2)) {
        bad = fuzz_fail("schedule_equal(parse(print(s)), s) is false:\n%s", t1);
        goto out;
    }
    bad = check_actions(s);
    if (!bad)
        bad = check_binary(s, t1);
out:
    free(t1);
    free(t2);
    schedule_free(s2);
    schedule_free(s);
    return bad;
}

int main(int argc, char **argv)
{
    return afl_main_run(argc, argv, "fuzz_schedule_text", one);
}

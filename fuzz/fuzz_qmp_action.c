/* fuzz_qmp_action: AFL++ target for the JSON of `qmp {...}` actions: the json-c part of the schedule
 * parser and schedule_action_qmp (src/schedule.c), which turn what a person wrote into the bytes sent to
 * the VMM. The input is the text after "qmp " (up to its first line end; it may hold more actions after
 * a ';'). For every `qmp` action that parses: the command is an object with a string "execute" or
 * "exec-oob"; schedule_action_qmp returns an equal copy, and adding an "id" to that copy leaves the
 * schedule unchanged; the command as written to the wire reads back through jsonstream as one equal
 * object with the same text (so a reply's id, matched by its text, finds its command); printing the
 * schedule and parsing it again gives an equal command.
 * It must never keep state from one input to the next. */
#include <stdlib.h>
#include <string.h>

#include "../harness/afl_main.h"
#include "fuzz_common.h"
#include "jsonstream.h"
#include "schedule.h"

#define WIRE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct wire {
    json_object *got;
    int count;
};

static int take(void *arg, json_object *obj)
{
    struct wire *w = arg;
    if (w->count++ == 0)
        w->got = obj;
    else
        json_object_put(obj);
    return 0;
}

static int check_wire(json_object *cmd)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(cmd, WIRE_FLAGS, &len);
    if (!text || len + 2 > JSONSTREAM_DEFAULT_MAX)
        return 0;
    char *line = malloc(len + 3);
    if (!line)
        return 0;
    memcpy(line, text, len);
    memcpy(line + len, "\r\n", 3);
    struct jsonstream *js = jsonstream_new(0);
    struct wire w = {0};
    struct err e = {{0}};
    int bad = 0;
    int rc = js ? jsonstream_feed(js, line, len + 2, take, &w, &e) : 0;
    if (!js) {
        /* out of memory: nothing to judge */
    } else if (rc != 0 || w.count != 1) {
        bad = fuzz_fail("the command as sent reads back as %d messages (rc %d: %s): %s", w.count, rc, e.msg, line);
    } else if (!json_object_equal(w.got, cmd)) {
        bad = fuzz_fail("the command as sent reads back different: %s", line);
    } else {
        size_t n2 = 0;
        const char *again = json_object_to_json_string_length(w.got, WIRE_FLAGS, &n2);
        if (n2 != len || memcmp(again, line, len) != 0)
            bad = fuzz_fail("the command's text changes on a round trip: %s -> %s", line, again);
    }
    json_object_put(w.got);
    jsonstream_free(js);
    free(line);
    return bad;
}

static bool has_command_name(json_object *o)
{
    json_object *v;
    return (json_object_object_get_ex(o, "execute", &v) && json_object_is_type(v, json_type_string)) ||
           (json_object_object_get_ex(o, "exec-oob", &v) && json_object_is_type(v, json_type_string));
}

static int check_action(const struct sched_action *a)
{
    json_object *cmd = a->u.qmp;
    if (!json_object_is_type(cmd, json_type_object) || !has_command_name(cmd))
        return fuzz_fail("a qmp action holds something that is not a command object");
    char *before = strdup(json_object_to_json_string_ext(cmd, WIRE_FLAGS));
    if (!before)
        return 0;
    json_object *copy = NULL;
    const char *name = schedule_action_qmp(a, NULL, &copy);
    int bad = 0;
    if (!copy) {
        /* out of memory: nothing to judge */
    } else if (!name || strcmp(name, "qmp") != 0)
        bad = fuzz_fail("schedule_action_qmp named it '%s'", name ? name : "(null)");
    else if (!json_object_equal(copy, cmd))
        bad = fuzz_fail("schedule_action_qmp's copy differs from the command");
    else if (copy == cmd)
        bad = fuzz_fail("schedule_action_qmp returned the schedule's own object");
    if (!bad && copy) {
        bad = check_wire(copy);
        json_object_object_add(copy, "id", json_object_new_uint64(99));
        if (!bad && strcmp(before, json_object_to_json_string_ext(cmd, WIRE_FLAGS)) != 0)
            bad = fuzz_fail("adding an id to the copy changed the schedule");
    }
    json_object_put(copy);
    free(before);
    return bad;
}

/* Every qmp action of `s` against the same action of `s2`, in order. */
static int compare_qmp(const struct schedule *s, const struct schedule *s2)
{
    if (s->nlines != s2->nlines)
        return fuzz_fail("%zu lines, %zu after printing and parsing", s->nlines, s2->nlines);
    for (size_t i = 0; i < s->nlines; i++) {
        if (s->lines[i].nacts != s2->lines[i].nacts)
            return fuzz_fail("line %zu: action count changes after printing and parsing", i + 1);
        for (size_t j = 0; j < s->lines[i].nacts; j++) {
            const struct sched_action *a = &s->lines[i].acts[j], *b = &s2->lines[i].acts[j];
            if (a->kind != b->kind || (a->kind == ACT_QMP && !json_object_equal(a->u.qmp, b->u.qmp)))
                return fuzz_fail("line %zu action %zu changes after printing and parsing", i + 1, j + 1);
        }
    }
    return 0;
}

static int one(const uint8_t *buf, size_t len)
{
    const uint8_t *nl = memchr(buf, '\n', len);
    if (nl)
        len = (size_t)(nl - buf);
    char *text = malloc(len + 5);
    if (!text)
        return 0;
    memcpy(text, "qmp ", 4);
    memcpy(text + 4, buf, len);
    text[len + 4] = '\0';
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, len + 4, "q.sched", &e);
    free(text);
    if (!s)
        return 0; /* refusals are fuzz_schedule_text's business */
    int bad = 0;
    for (size_t i = 0; i < s->nlines && !bad; i++)
        for (size_t j = 0; j < s->lines[i].nacts && !bad; j++)
            if (s->lines[i].acts[j].kind == ACT_QMP)
                bad = check_action(&s->lines[i].acts[j]);
    if (!bad) {
        char *printed = schedule_print(s);
        struct schedule *s2 = printed ? schedule_parse(printed, strlen(printed), "q.sched", &e) : NULL;
        if (printed && !s2)
            bad = fuzz_fail("printed schedule does not parse: %s\n%s", e.msg, printed);
        else if (s2)
            bad = compare_qmp(s, s2);
        schedule_free(s2);
        free(printed);
    }
    schedule_free(s);
    return bad;
}

int main(int argc, char **argv)
{
    return afl_main_run(argc, argv, "fuzz_qmp_action", one);
}

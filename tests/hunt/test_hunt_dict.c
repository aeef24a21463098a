/* The hunt's AFL++ dictionary: one token per schedule line that the binary form can carry and the hunt's
 * target can run, named after its line, each decoding to exactly that line (so AFL++ splices whole,
 * meaningful lines in), with the actions the hunt leaves out left out here too, and no line naming what
 * the target lacks; no source, no dictionary; a broken source is said. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hunt.h"
#include "hunt_files.h"

/* A started session on the simulated QEMU 7.2 under a hunt's profile, with `without` left out. */
static struct session *session_with(const char *without)
{
    struct trial_profile p;
    profile_init(&p);
    struct err e = {{0}};
    if (without)
        CHECK(profile_set(&p, "without", without, &e) == 0);
    session_defaults(&p, PROFILE_FOR_HUNT);
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    CHECK_MSG(s && session_start(s, SESSION_TRIALS, NULL, 0, &e) == 0, "%s", e.msg);
    return s;
}

/* The tokens of a dictionary file: "line_N" and the bytes of "\xHH..." for each line of it. */
struct token {
    unsigned line;
    uint8_t bytes[512];
    size_t len;
};

static size_t parse_dict(const char *text, struct token *t, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p && n < max; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        int used = 0;
        if (sscanf(p, "line_%u=\"%n", &t[n].line, &used) != 1 || !used) {
            CHECK_MSG(false, "not a token line: %.60s", p);
            continue;
        }
        const char *q = p + used;
        t[n].len = 0;
        unsigned b;
        while (q[0] == '\\' && q[1] == 'x' && sscanf(q + 2, "%2x", &b) == 1 && t[n].len < sizeof t[n].bytes) {
            t[n].bytes[t[n].len++] = (uint8_t)b;
            q += 4;
        }
        CHECK_MSG(q[0] == '"' && q[1] == '\n', "token %u does not end in '\"': %.20s", t[n].line, q);
        n++;
    }
    return n;
}

/* Each token decodes to the one line of `src` (after `without`) it is named after. */
static void check_tokens(const struct schedule *src, const struct token *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].line >= 1 && t[i].line <= src->nlines);
        if (t[i].line < 1 || t[i].line > src->nlines)
            continue;
        struct schedule *got = schedule_decode(t[i].bytes, t[i].len);
        struct schedule one = {.lines = (struct sched_line *)&src->lines[t[i].line - 1], .nlines = 1,
                               .name = src->name};
        CHECK_MSG(got && schedule_equal(got, &one), "token line_%u does not decode to its line", t[i].line);
        schedule_free(got);
    }
}

/* The dictionary hunts use by default: every line of it fits the binary form. */
static void test_hunt_lines(const char *tmp)
{
    const char *src_dir = getenv("QMPRACE_SOURCE_DIR");
    CHECK_MSG(src_dir != NULL, "QMPRACE_SOURCE_DIR is not set");
    if (!src_dir)
        return;
    char src[4096], path[4200];
    snprintf(src, sizeof src, "%s/fuzz/hunt-lines.sched", src_dir);
    snprintf(path, sizeof path, "%s/dict", tmp);
    struct err e = {{0}};
    struct schedule *s = schedule_load(src, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    if (!s)
        return;
    struct session *ses = session_with(NULL);
    int tokens = hunt_dict_write(ses, src, path, &e);
    session_free(ses);
    CHECK_MSG(tokens == (int)s->nlines, "%d tokens for %zu lines: %s", tokens, s->nlines, e.msg);
    char *text = hunt_files_read(path);
    struct token t[64];
    size_t n = parse_dict(text, t, 64);
    CHECK_INT(n, s->nlines);
    check_tokens(s, t, n);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(t[i].line, i + 1);
    free(text);

    /* with `params` left out, as `--without params` hunts: no token carries it */
    unsigned mask;
    CHECK(schedule_action_mask_parse("params", &mask, &e) == 0);
    int with_params = tokens;
    ses = session_with("params");
    tokens = hunt_dict_write(ses, src, path, &e);
    session_free(ses);
    schedule_without(s, mask);
    CHECK_INT(tokens, s->nlines);
    CHECK(tokens < with_params);
    text = hunt_files_read(path);
    n = parse_dict(text, t, 64);
    check_tokens(s, t, n);
    for (size_t i = 0; i < n; i++) {
        struct schedule *got = schedule_decode(t[i].bytes, t[i].len);
        CHECK(got && !schedule_uses_action(got, ACT_PARAMS, NULL, NULL));
        schedule_free(got);
    }
    free(text);
    schedule_free(s);
}

/* A line the binary form cannot carry, or that names a capability the target lacks (mapped-ram is 10.x's),
 * gets no token; the others keep their line numbers. */
static void test_unencodable_line(const char *tmp)
{
    char src[4200], path[4200];
    CHECK(hunt_files_write(tmp, "lines.sched",
                           "caps multifd=off\non failed #7: query\nmigrate\non failed: caps mapped-ram=on\n", src,
                           sizeof src) == 0);
    snprintf(path, sizeof path, "%s/dict2", tmp);
    struct err e = {{0}};
    struct session *ses = session_with(NULL);
    CHECK_INT(hunt_dict_write(ses, src, path, &e), 2);
    session_free(ses);
    char *text = hunt_files_read(path);
    struct token t[8];
    size_t n = parse_dict(text, t, 8);
    CHECK_INT(n, 2);
    CHECK_INT(t[0].line, 1);
    CHECK_INT(t[1].line, 3);
    struct schedule *s = schedule_load(src, &e);
    if (s)
        check_tokens(s, t, n);
    schedule_free(s);
    free(text);
}

/* No source: no dictionary and no error; a source that does not parse: an error at its place. */
static void test_no_source(const char *tmp)
{
    char path[4200], bad[4200];
    snprintf(path, sizeof path, "%s/dict3", tmp);
    struct err e = {{0}};
    struct session *ses = session_with(NULL);
    CHECK_INT(hunt_dict_write(ses, NULL, path, &e), 0);
    CHECK_INT(hunt_dict_write(ses, "/nonexistent/hunt-lines.sched", path, &e), 0);
    CHECK(access(path, F_OK) != 0);
    CHECK(hunt_files_write(tmp, "bad.sched", "migrate\ncpas multifd=on\n", bad, sizeof bad) == 0);
    CHECK_INT(hunt_dict_write(ses, bad, path, &e), -1);
    session_free(ses);
    char want[4400];
    snprintf(want, sizeof want, "%s:2:1: unknown action 'cpas'", bad);
    CHECK_MSG(strncmp(e.msg, want, strlen(want)) == 0, "got '%s'", e.msg);
}

int main(void)
{
    char tmp[512];
    if (!check_mkdtemp(tmp, sizeof tmp))
        return check_exit();
    test_hunt_lines(tmp);
    test_unencodable_line(tmp);
    test_no_source(tmp);
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

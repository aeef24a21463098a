/* What a CI system reads from a hunt: the allow-list decides which crash fails the job; the JUnit XML
 * and the SARIF log keep any signature intact (quotes, <, &, a control character, a byte that is not
 * UTF-8) and well-formed; a crash has the same rule id and fingerprint in every run, and a different
 * crash a different one. With QMPRACE_CI_SAMPLE_DIR set, the sample reports are left there for
 * tests/e2e/e2e_ci_formats.sh, which parses them with real parsers and the SARIF schema. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allow.h"
#include "check.h"
#include "session.h"
#include "ci_report.h"

#define NASTY "SIGABRT f: \"quoted\" <tag> & 'apos'\x01 end \xff"

/* DIR/NAME with `text` in it; its path goes to `path`. */
static bool write_file(const char *dir, const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static void test_allow(const char *dir)
{
    char path[4200];
    if (!write_file(dir, "allow", "# known crashes\n\n  SIGSEGV  \ncompleted: SIGABRT yank\r\n", path, sizeof path))
        return;
    struct allow_list a;
    struct err e = {{0}};
    CHECK_MSG(allow_load(path, &a, &e) == 0, "%s", e.msg);
    CHECK_INT(a.n, 2);
    CHECK(allow_match(&a, "SIGSEGV", "failed"));
    CHECK(allow_match(&a, "SIGABRT yank", "completed"));
    CHECK(!allow_match(&a, "SIGABRT yank", "failed")); /* only after the status it names */
    CHECK(!allow_match(&a, "SIGSEGV in x", "failed")); /* exact, not a prefix */
    allow_free(&a);
    unlink(path);
    CHECK(allow_load(path, &a, &e) < 0 && strstr(e.msg, "No such file"));
}

static void test_ids(void)
{
    char a[128], b[128], c[128];
    ci_rule_id("SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed", a, sizeof a);
    ci_rule_id("SIGABRT yank_unregister_instance: Assertion `QLIST_EMPTY(&entry->yankfns)' failed", b, sizeof b);
    ci_rule_id("SIGSEGV", c, sizeof c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK(strncmp(a, "sigabrt-yank-unregister-instance-assertion", 42) == 0);
    ci_fingerprint("SIGSEGV", "failed", a, sizeof a);
    ci_fingerprint("SIGSEGV", "failed", b, sizeof b);
    ci_fingerprint("SIGSEGV", "setup", c, sizeof c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0); /* the same signature after another status is another crash */
    CHECK_INT(strlen(a), 16);
}

static void test_escape(void)
{
    char *x = ci_xml_escape(NASTY);
    CHECK_STR(x, "SIGABRT f: &quot;quoted&quot; &lt;tag&gt; &amp; &apos;apos&apos;\\x01 end \\xff");
    free(x);
    x = ci_xml_escape("caf\xc3\xa9 \xe2\x9c\x93 line\nnext\ttab");
    CHECK_STR(x, "caf\xc3\xa9 \xe2\x9c\x93 line&#10;next&#9;tab"); /* valid UTF-8 stays as it is */
    free(x);
    x = ci_xml_escape("\xc0\xaf overlong \xed\xa0\x80 surrogate");
    CHECK_STR(x, "\\xc0\\xaf overlong \\xed\\xa0\\x80 surrogate");
    free(x);
    x = ci_utf8_clean(NASTY);
    CHECK_STR(x, "SIGABRT f: \"quoted\" <tag> & 'apos'\x01 end \\xff"); /* json-c escapes the rest */
    free(x);
}

static void test_reports(const char *dir, const char *keep)
{
    char repro[4200];
    if (!write_file(dir, "crash one.sched", "# reproducer\ncaps multifd=on\nmigrate\n", repro, sizeof repro))
        return;
    struct trial_profile p;
    profile_init(&p);
    CHECK(profile_set(&p, "target", "sim:qemu-7.2", NULL) == 0);
    session_defaults(&p, PROFILE_FOR_HUNT);
    struct ci_finding fs[] = {
        {NASTY, "failed", repro, 20, 20, false},
        {"SIGSEGV", "setup", NULL, 3, 20, true},
        {"hang: multifdsend_N in qio_channel_socket_writev (did not settle: migration cancelling)", "cancelling", NULL,
         8, 8, false},
    };
    struct ci_run run = {"hunt", "0.1.0", &p, "2m", 120500000, false, fs, 3};
    char *junit = ci_junit(&run);
    CHECK(junit && strstr(junit, "failures=\"2\"") && strstr(junit, "tests=\"4\""));
    /* a hang is a failure of its own type, and says it hung */
    CHECK_MSG(junit && strstr(junit, "<failure type=\"hang\" message=\"new hang: hang: multifdsend_N in "
                                     "qio_channel_socket_writev (did not settle: migration cancelling)\">hung 8/8 "
                                     "after cancelling;"),
              "%s", junit ? junit : "(none)");
    CHECK(junit && strstr(junit, "name=\"failed: SIGABRT f: &quot;quoted&quot; &lt;tag&gt; &amp;"));
    CHECK(junit && !strchr(junit, '\x01') && !strchr(junit, '\xff'));
    json_object *log = ci_sarif(&run);
    const char *text = json_object_to_json_string_ext(log, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    CHECK(strstr(text, "\"version\":\"2.1.0\""));
    CHECK(strstr(text, "\\\"quoted\\\" <tag> & 'apos'\\u0001 end \\\\xff")); /* the signature, intact */
    CHECK(strstr(text, "\"level\":\"note\"") && strstr(text, "\"kind\":\"external\"")); /* the allowed one */
    CHECK(strstr(text, "\"text\":\"# reproducer\\ncaps multifd=on\\nmigrate\\n\"")); /* attached */
    CHECK(strstr(text, "crash%20one.sched"));
    CHECK(strstr(text, "\"name\":\"TargetHang\"") && strstr(text, "8/8 replays hung on sim:qemu-7.2"));
    if (keep) {
        char path[4200];
        struct err e = {{0}};
        snprintf(path, sizeof path, "%s/junit.xml", keep);
        CHECK_MSG(ci_junit_write(path, &run, &e) == 0, "%s", e.msg);
        snprintf(path, sizeof path, "%s/results.sarif", keep);
        CHECK_MSG(ci_sarif_write(path, &run, &e) == 0, "%s", e.msg);
    }
    struct err e = {{0}};
    CHECK(ci_junit_write("/nonexistent-dir/junit.xml", &run, &e) < 0 && strstr(e.msg, "/nonexistent-dir/junit.xml"));
    json_object_put(log);
    free(junit);
    profile_clear(&p);
    unlink(repro);
}

int main(void)
{
    char dir[4096];
    if (!check_mkdtemp(dir, sizeof dir))
        return check_exit();
    test_allow(dir);
    test_ids();
    test_escape();
    test_reports(dir, getenv("QMPRACE_CI_SAMPLE_DIR"));
    rmdir(dir);
    return check_exit();
}

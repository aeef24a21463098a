/* The trial profile as a user meets it: what a reproducer's header says is what `run` reads back (print
 * and parse round-trip, field by field), a copy stands alone, options override a header field by field,
 * and a damaged header is refused with FILE:LINE:COL and what is wrong. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "profile.h"
#include "schedule.h"

static void set(struct trial_profile *p, const char *key, const char *value)
{
    struct err e = {{0}};
    CHECK_MSG(profile_set(p, key, value, &e) == 0, "%s=%s: %s", key, value, e.msg);
}

static void test_round_trip(void)
{
    struct trial_profile p, q;
    profile_init(&p);
    profile_init(&q);
    set(&p, "target", "qemu:/opt/qemu dir/bin/qemu-system-x86_64");
    set(&p, "ram", "64MiB");
    set(&p, "deadline", "500ms");
    set(&p, "without", "params,qmp");
    set(&p, "fresh", "yes");
    set(&p, "dest", "qemu");
    set(&p, "arg", "-cpu");
    set(&p, "arg", "max,\"x\"=1");
    char *text = profile_print(&p);
    CHECK(text && !strchr(text, '\n'));
    struct err e = {{0}};
    CHECK_MSG(profile_parse(&q, text, &e) == 0, "%s: %s", text, e.msg);
    CHECK_STR(q.target, p.target);
    CHECK_INT(q.ram, 64ull << 20);
    CHECK_INT(q.deadline_us, 500000);
    CHECK_INT(q.without, (1u << ACT_PARAMS) | (1u << ACT_QMP));
    CHECK(q.fresh && q.dest_vmm);
    CHECK_INT(q.nargs, 2);
    if (q.nargs == 2)
        CHECK_STR(q.args[1], "max,\"x\"=1");
    CHECK(profile_same(&p, &q));
    char *again = profile_print(&q);
    CHECK_STR(again, text);
    free(text);
    free(again);
    profile_clear(&p);
    profile_clear(&q);
}

/* A copy owns its arguments (the original can go); filling leaves what was given or filled before. */
static void test_copy_and_fill(void)
{
    struct trial_profile p, q;
    profile_init(&p);
    set(&p, "target", "qemu");
    set(&p, "arg", "-cpu");
    set(&p, "deadline", "1s");
    struct err e = {{0}};
    CHECK(profile_copy(&q, &p, &e) == 0);
    profile_clear(&p);
    CHECK_STR(q.target, "qemu");
    CHECK_INT(q.nargs, 1);
    if (q.nargs == 1)
        CHECK_STR(q.args[0], "-cpu");
    profile_fill(&q, 64ull << 20, 500000);
    CHECK_INT(q.deadline_us, 1000000); /* given: kept */
    CHECK_INT(q.ram, 64ull << 20);
    profile_fill(&q, 0, 10000000);
    CHECK_INT(q.ram, 64ull << 20); /* filled before: kept */
    profile_clear(&q);

    profile_fill(&q, 0, profile_default_deadline(PROFILE_FOR_EXPLORE));
    CHECK_STR(q.target, PROFILE_DEFAULT_TARGET);
    CHECK_INT(q.deadline_us, 2000000);
    profile_clear(&q);
}

static void test_merge(void)
{
    struct trial_profile header, cli;
    profile_init(&header);
    profile_init(&cli);
    struct err e = {{0}};
    CHECK(profile_parse(&header, "{\"target\":\"sim:qemu-7.2\",\"ram\":\"32MiB\",\"deadline\":\"200ms\"}", &e) == 0);
    set(&cli, "deadline", "2s");
    CHECK(!profile_same(&header, &cli));
    CHECK(profile_merge(&header, &cli, &e) == 0);
    CHECK_INT(header.deadline_us, 2000000); /* the option wins */
    CHECK_INT(header.ram, 32ull << 20);     /* the header's stays */
    CHECK_STR(header.target, "sim:qemu-7.2");
    profile_clear(&header);
    profile_clear(&cli);
}

/* A bad profile: the error names what is wrong; a file's error says where. */
static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"ram\":\"lots\"}", "ram"},
        {"{\"deadline\":\"0ms\"}", "deadline: must be above 0"},
        {"{\"without\":\"teleport\"}", "unknown action 'teleport'"},
        {"{\"colour\":\"red\"}", "unknown field 'colour'"},
        {"{\"ram\":32}", "ram: expected a string"},
        {"{\"args\":\"-cpu\"}", "args: expected a list"},
        {"[1]", "not a JSON object"},
        {"{\"ram\":\"1MiB\"", "not a JSON object"},
        {"{} tail", "text after the JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct trial_profile p;
        profile_init(&p);
        struct err e = {{0}};
        CHECK_MSG(profile_parse(&p, bad[i].text, &e) < 0, "%s was accepted", bad[i].text);
        CHECK_MSG(strstr(e.msg, bad[i].want) != NULL, "%s: got '%s', want '%s'", bad[i].text, e.msg, bad[i].want);
        profile_clear(&p);
    }

    char dir[4096];
    if (!check_mkdtemp(dir, sizeof dir))
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/r.sched", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("# reproducer written by qmprace hunt\n\n" PROFILE_HEADER "{\"ram\":\"huge\"}\nat 0 migrate\n", f);
    fclose(f);
    struct trial_profile p;
    profile_init(&p);
    bool found = true;
    struct err e = {{0}};
    CHECK(profile_read_file(path, &p, &found, &e) < 0);
    char want[4300];
    snprintf(want, sizeof want, "%s:3:12: profile: ram", path);
    CHECK_MSG(strncmp(e.msg, want, strlen(want)) == 0, "got '%s', want '%s...'", e.msg, want);

    /* a profile-like comment after the first schedule line is not a header */
    f = fopen(path, "w");
    fputs("at 0 migrate\n" PROFILE_HEADER "{\"ram\":\"huge\"}\n", f);
    fclose(f);
    CHECK(profile_read_file(path, &p, &found, &e) == 0 && !found);
    unlink(path);
    rmdir(dir);
    profile_clear(&p);
}

int main(void)
{
    test_round_trip();
    test_copy_and_fill();
    test_merge();
    test_errors();
    return check_exit();
}

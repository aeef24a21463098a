/* What afl-fuzz is started with: a stand-in afl-fuzz (a shell script) writes its environment to its log,
 * as the real one would run under it. On a target that does not repeat itself (a real QEMU) calibration
 * is short and trimming off, since both spend runs learning nothing there; on the simulated VMM AFL++'s
 * defaults stay. Either way the mutator runs alone and the harness gets its profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afl_fuzz.h"
#include "check.h"
#include "hunt_files.h"
#include "mono.h"

/* The log of one stand-in run (bounded: it ends at once, 5 s at most), into buf; false if none. */
static bool run_once(const char *tmp, const char *name, bool noisy, char *buf, size_t n)
{
    char fake[600], logs[600], log[700];
    snprintf(fake, sizeof fake, "%s/afl-fuzz", tmp);
    snprintf(logs, sizeof logs, "%s/logs-%s", tmp, name);
    mkdir(logs, 0755);
    FILE *f = fopen(fake, "w");
    if (!f)
        return false;
    fputs("#!/bin/sh\nenv | sort\n", f);
    fclose(f);
    chmod(fake, 0755);
    const char *env[] = {"QMPRACE_HARNESS_PROFILE={\"target\":\"qemu\"}", NULL};
    struct afl_job_options o = {
        .afl_fuzz = fake, .harness = "/bin/true", .seeds_dir = tmp, .sync_dir = tmp, .log_dir = logs,
        .mutator = "/dev/null", .jobs = 1, .seconds = 1, .timeout_ms = 1000, .env = env, .noisy = noisy,
    };
    struct err e = {{0}};
    struct afl_jobs *j = afl_jobs_start(&o, &e);
    CHECK_MSG(j, "%s", e.msg);
    if (!j)
        return false;
    struct afl_progress p = {0};
    uint64_t until = mono_now_us() + 5000000;
    do {
        usleep(10000);
        afl_jobs_poll(j, &p);
    } while (p.running && mono_now_us() < until);
    CHECK_INT(p.running, 0);
    afl_jobs_free(j);
    snprintf(log, sizeof log, "%s/afl-default.log", logs); /* one instance: "default" */
    f = fopen(log, "r");
    CHECK_MSG(f, "no log %s", log);
    if (!f)
        return false;
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fclose(f);
    return got > 0;
}

static bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = strstr(text, line); p; p = strstr(p + 1, line))
        if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
            return true;
    return false;
}

int main(void)
{
    char tmp[512];
    if (!check_mkdtemp(tmp, sizeof tmp))
        return check_exit();
    static char out[65536];
    unsetenv("AFL_FAST_CAL"); /* only what qmprace sets is looked at */
    unsetenv("AFL_DISABLE_TRIM");
    if (run_once(tmp, "qemu", true, out, sizeof out)) {
        CHECK_MSG(has_line(out, "AFL_FAST_CAL=1"), "a real QEMU's calibration is not short:\n%s", out);
        CHECK(has_line(out, "AFL_DISABLE_TRIM=1"));
        CHECK(has_line(out, "AFL_CUSTOM_MUTATOR_ONLY=1"));
        CHECK(has_line(out, "QMPRACE_HARNESS_PROFILE={\"target\":\"qemu\"}"));
    }
    if (run_once(tmp, "sim", false, out, sizeof out)) {
        CHECK_MSG(!strstr(out, "AFL_FAST_CAL"), "the simulated VMM's calibration is shortened:\n%s", out);
        CHECK(!strstr(out, "AFL_DISABLE_TRIM"));
        CHECK(has_line(out, "AFL_CUSTOM_MUTATOR_ONLY=1"));
    }
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

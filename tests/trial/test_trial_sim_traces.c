/* What `on trace NAME` may name on a simulated target is what the model really emits: every trace point
 * the timelines of the corpus show on each sim model is one the target says it can report (so a schedule
 * waiting for it is accepted), and a name no model emits is refused before anything runs, at its line. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "session.h"

static struct session *sim(const char *model)
{
    struct trial_profile p;
    profile_init(&p);
    struct err e = {{0}};
    CHECK(profile_set(&p, "target", model, &e) == 0 && profile_set(&p, "deadline", "2s", &e) == 0);
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    CHECK_MSG(s && session_start(s, SESSION_TRIALS, NULL, 0, &e) == 0, "%s: %s", model, e.msg);
    return s;
}

/* Every trace point in the timeline of one trial of `path`; returns how many it checked. */
static unsigned check_trial(struct session *s, const char *model, const char *path)
{
    struct err e = {{0}};
    struct schedule *sched = schedule_load(path, &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    struct trial_result r;
    unsigned n = 0;
    if (sched && session_trial(s, sched, &r, &e) == 0) {
        for (size_t i = 0; i < timeline_count(r.timeline); i++) {
            const struct tl_entry *t = timeline_get(r.timeline, i);
            const char *colon = t->kind == TL_TRACE ? strstr(t->text, ": ") : NULL;
            if (!colon)
                continue;
            char name[80];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(colon + 2, " "), colon + 2);
            CHECK_MSG(target_has_trace(session_target(s), name), "%s emits '%s' (in %s) but says it cannot",
                      model, name, path);
            n++;
        }
        trial_result_clear(&r);
    }
    schedule_free(sched);
    return n;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *src = getenv("QMPRACE_SOURCE_DIR");
    CHECK_MSG(src != NULL, "QMPRACE_SOURCE_DIR is not set");
    if (!src)
        return check_exit();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/corpus", src);
    static const char *const models[] = {"sim:qemu-7.2", "sim:failing", "sim:qemu-10.0", "sim:qemu-10.0-failing"};
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        struct session *s = sim(models[m]);
        DIR *d = opendir(dir);
        unsigned traces = 0;
        for (struct dirent *de; s && d && (de = readdir(d));) {
            size_t len = strlen(de->d_name);
            if (len < 7 || strcmp(de->d_name + len - 6, ".sched") != 0)
                continue;
            char path[8200];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            traces += check_trial(s, models[m], path);
        }
        if (d)
            closedir(d);
        CHECK_MSG(traces > 100, "%s: only %u trace points in the corpus' timelines", models[m], traces);

        /* a point no model emits: refused before a trial, where the schedule names it */
        static const char text[] = "migrate\non trace frobnicate_xyz: query\n";
        struct err e = {{0}};
        struct schedule *bad = schedule_parse(text, strlen(text), "t.sched", &e);
        struct trial_result r;
        CHECK(bad && session_trial(s, bad, &r, &e) == SESSION_REFUSED);
        CHECK_MSG(strncmp(e.msg, "t.sched:2:", 10) == 0 && strstr(e.msg, "frobnicate_xyz"), "got '%s'", e.msg);
        schedule_free(bad);
        session_free(s);
    }
    return check_exit();
}

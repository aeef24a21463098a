/* trial_session: a session ready for trials (see trial_session.h). */
#include "trial_session.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "target.h"

struct session *test_trial_session(const char *target, const char *deadline)
{
    return test_trial_session_with(target, deadline, NULL, NULL);
}

struct session *test_trial_session_with(const char *target, const char *deadline, const char *key, const char *value)
{
    struct trial_profile p;
    profile_init(&p);
    struct err e = {{0}};
    CHECK_MSG(profile_set(&p, "target", target, &e) == 0, "%s", e.msg);
    CHECK_MSG(profile_set(&p, "deadline", deadline, &e) == 0, "%s", e.msg);
    if (key)
        CHECK_MSG(profile_set(&p, key, value, &e) == 0, "%s", e.msg);
    struct session *s = session_new(&p, &e);
    profile_clear(&p);
    if (!s || session_start(s, SESSION_TRIALS, NULL, 0, &e) != 0) {
        CHECK_MSG(false, "a session on %s: %s", target, e.msg);
        session_free(s);
        return NULL;
    }
    return s;
}

bool test_trial_have_qemu(void)
{
    struct err e = {{0}};
    struct target_options topt = {0};
    struct target *probe = target_new("qemu", &topt, &e);
    if (!probe)
        printf("SKIP: no QEMU: %s\n", e.msg);
    target_free(probe);
    return probe != NULL;
}

struct trial_result test_trial_run(struct session *s, const char *text)
{
    struct err e = {{0}};
    struct trial_result r;
    memset(&r, 0, sizeof r);
    struct schedule *sched = schedule_parse(text, strlen(text), "t.sched", &e);
    CHECK_MSG(sched != NULL, "%s", e.msg);
    if (sched)
        CHECK_MSG(session_trial(s, sched, &r, &e) == 0, "%s", e.msg);
    schedule_free(sched);
    return r;
}

bool test_trial_noted(const struct trial_result *r, const char *what)
{
    for (size_t i = 0; i < timeline_count(r->timeline); i++) {
        const struct tl_entry *t = timeline_get(r->timeline, i);
        if (t->kind == TL_NOTE && strstr(t->text, what))
            return true;
    }
    return false;
}

json_object *test_trial_reply_of(const struct trial_result *r, const char *cmd)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s -> ", cmd);
    for (size_t i = 0; i < timeline_count(r->timeline); i++) {
        const struct tl_entry *t = timeline_get(r->timeline, i);
        if (t->kind == TL_QMP_IN && strncmp(t->text, prefix, strlen(prefix)) == 0)
            return json_tokener_parse(t->text + strlen(prefix));
    }
    return NULL;
}

int test_trial_cap_state(json_object *caps, const char *name)
{
    for (size_t i = 0; i < json_object_array_length(caps); i++) {
        json_object *c = json_object_array_get_idx(caps, i), *n, *st;
        if (json_object_object_get_ex(c, "capability", &n) && strcmp(json_object_get_string(n), name) == 0 &&
            json_object_object_get_ex(c, "state", &st))
            return json_object_get_boolean(st);
    }
    return -1;
}

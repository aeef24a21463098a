/* The windows explore opens come from the target: a failure window reacts to `failing` only on a target
 * that reports it (a build with the fix); a route that needs a capability the target lacks, a status it
 * never reports or a destination that answers is listed as not opened, with the reason; every window is
 * a schedule that parses with the command in its place. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "explore.h"
#include "vocab_target.h"

static const struct explore_window *find(const struct explore_windows *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->w[i].name, name) == 0)
            return &w->w[i];
    return NULL;
}

static const char *why_not(const struct explore_windows *w, const char *name)
{
    for (size_t i = 0; i < w->nu; i++)
        if (strcmp(w->u[i].name, name) == 0)
            return w->u[i].reason;
    return NULL;
}

static void target(struct vocab_target *vt, bool failing, bool pause_cap)
{
    memset(vt, 0, sizeof *vt);
    vt->known = true;
    for (int i = 0; i < MIG_STATUS_COUNT; i++)
        if ((i != MIG_FAILING || failing) && i != MIG_POSTCOPY_DEVICE)
            vt->statuses |= 1ull << i;
    for (int i = 0; i < CAP_COUNT; i++)
        if (i != CAP_PAUSE_BEFORE_SWITCHOVER || pause_cap)
            vt->caps |= 1ull << i;
    vt->params = (1ull << PARAM_COUNT) - 1;
}

int main(void)
{
    struct vocab_target vt;
    struct explore_windows w;
    target(&vt, false, true);
    CHECK_INT(explore_windows_plan(&vt, false, &w), 0);
    CHECK(w.n >= 10);
    const struct explore_window *f = find(&w, "failed: reset all");
    CHECK(f && strstr(f->text, "on failed +1ms: @; thaw live_migration\n") && !strstr(f->text, "on failing"));
    /* a window held by a freeze ends the hold once its command landed; one held otherwise has no thaw */
    const struct explore_window *act = find(&w, "active: channels stalled");
    CHECK(act && !strstr(act->text, "thaw"));
    const struct explore_window *can = find(&w, "cancelled");
    CHECK(can && strstr(can->text, "on cancelling +1ms: @; thaw live_migration\n") &&
          strstr(can->text, "on cancelled +1ms: @\n"));
    /* where each window's command is meant to land: the statuses the target reports */
    CHECK(f && f->statuses == 1u << MIG_FAILED);
    const struct explore_window *st = find(&w, "setup: migration thread held");
    CHECK(st && st->statuses == 1u << MIG_SETUP);
    CHECK(find(&w, "pre-switchover: paused") != NULL);
    CHECK(find(&w, "postcopy-active") == NULL);
    CHECK(why_not(&w, "postcopy-active") && strstr(why_not(&w, "postcopy-active"), "--dest qemu"));
    CHECK_STR(why_not(&w, "postcopy-device"), "this target never reports `postcopy-device`");
    /* every window parses with a command in its place */
    for (size_t i = 0; i < w.n; i++) {
        size_t len = 0;
        char *full = explore_window_text(w.w[i].text, "query", &len);
        struct err e = {{0}};
        struct schedule *s = schedule_parse(full, len, w.w[i].name, &e);
        CHECK_MSG(s != NULL, "%s: %s", w.w[i].name, e.msg);
        schedule_free(s);
        free(full);
    }
    explore_windows_free(&w);

    /* the fix's build: the failure windows react to `failing` too; with a destination, postcopy opens */
    target(&vt, true, false);
    CHECK_INT(explore_windows_plan(&vt, true, &w), 0);
    f = find(&w, "failed: reset all");
    /* only the first reaction, the one inside the hold, thaws: a second would find nothing held */
    CHECK(f && strstr(f->text, "on failing +1ms: @; thaw live_migration\n") && strstr(f->text, "on failed +1ms: @\n"));
    CHECK(f && f->statuses == (1u << MIG_FAILING | 1u << MIG_FAILED));
    CHECK(find(&w, "postcopy-active") != NULL);
    CHECK_STR(why_not(&w, "pre-switchover: paused"), "this target has no capability `pause-before-switchover`");
    explore_windows_free(&w);

    /* a target that said nothing: every route it could take */
    CHECK_INT(explore_windows_plan(NULL, false, &w), 0);
    CHECK(find(&w, "failed: reset all") != NULL);
    explore_windows_free(&w);
    return check_exit();
}

/* The structure-aware mutator a hunt gives AFL++: every change leaves a schedule the binary form carries
 * exactly and the text form reads back, never adds an action the hunt left out, and can take each step a
 * race needs in one go (a reaction sooner, another status, another capability, a setting put back the
 * way it was on a later line, as libvirt does after a failure). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "schedule.h"
#include "schedule_mutate.h"

static const char *const seeds[] = {
    "caps events=on multifd=on\nparams multifd-channels=2\nmigrate\nafter 8MiB on any: reset all\n"
    "on failed +10ms: caps multifd=off\n",
    "caps events=on multifd=on\nmigrate\nafter 8MiB on any: stall all; wait 100ms; freeze live_migration 160ms; "
    "reset all\non failing +1ms: query\n",
    "migrate\non trace migrate_set_state #2 +1ms: cancel\nat +5ms: stall multifd1 2ms\n",
};

/* encode -> decode gives the same schedule, and so does print -> parse */
static bool round_trips(const struct schedule *s, char *why, size_t n)
{
    uint8_t *bin = NULL;
    size_t len = 0;
    struct err e = {{0}};
    if (schedule_encode(s, &bin, &len, &e) != 0) {
        snprintf(why, n, "does not encode: %s", e.msg);
        return false;
    }
    struct schedule *d = schedule_decode(bin, len);
    free(bin);
    char *text = schedule_print(s);
    struct schedule *p = text ? schedule_parse(text, strlen(text), "mutated", &e) : NULL;
    bool ok = d && p && schedule_equal(d, s) && schedule_equal(p, s);
    if (!ok)
        snprintf(why, n, "does not read back: %s%s", text ? text : "(no text)", p ? "" : e.msg);
    schedule_free(d);
    schedule_free(p);
    free(text);
    return ok;
}

static bool uses(const struct schedule *s, enum sched_action_kind k)
{
    int line, col;
    return schedule_uses_action(s, k, &line, &col);
}

/* The enumeration a hunt walks once per window shape: each window x each command exactly once (stop,
 * cont and every other `qmp` command of the table, not a kind drawn), the lines in order untouched; the
 * shape ignores times and what the windows hold, and sees a window moved to another status. */
static void test_enumeration(void)
{
    const char *text = "caps events=on multifd=on\nmigrate\nafter 1MiB on any: stall all; freeze live_migration 50ms; "
                       "reset all\non failed +1ms: query\n";
    struct err e = {{0}};
    struct schedule *seed = schedule_parse(text, strlen(text), "seed", &e);
    CHECK_MSG(seed, "%s", e.msg);
    if (!seed)
        return;
    struct sched_mutator all = {.rng = 11}, noparams = {.rng = 11, .without = 1u << ACT_PARAMS};
    /* caps, params, cancel, query and the table's 9 qmp commands, in each of the two windows */
    CHECK_INT((int)schedule_command_pairs(seed, &all), 2 * 13);
    CHECK_INT((int)schedule_command_pairs(seed, &noparams), 2 * 12);
    char *texts[26] = {0};
    unsigned stops = 0, conts = 0, in_window[2] = {0, 0};
    uint64_t shape = schedule_window_shape(seed);
    for (size_t i = 0; i <= 26; i++) {
        struct schedule *s = schedule_clone(seed);
        int rc = schedule_put_command(s, &all, i);
        CHECK_INT(rc, (i < 26 ? 1 : 0));
        if (rc == 1) {
            char why[1200];
            CHECK_MSG(round_trips(s, why, sizeof why), "pair %zu: %s", i, why);
            CHECK(schedule_window_shape(s) == shape);
            for (size_t l = 0; l < 2; l++) /* the lines in order, as they were */
                CHECK(s->lines[l].nacts == seed->lines[l].nacts && s->lines[l].acts[0].kind == seed->lines[l].acts[0].kind);
            /* the fault line gets the command added after its reset; the reaction's query is replaced */
            CHECK_INT((int)s->lines[2].nacts, (i < 13 ? 4 : 3));
            CHECK(s->lines[2].acts[2].kind == ACT_RESET && s->lines[3].trig.status == MIG_FAILED);
            in_window[i / 13]++;
            texts[i] = schedule_print(s);
            for (size_t j = 0; j < i && texts[i]; j++)
                CHECK_MSG(!texts[j] || strcmp(texts[i], texts[j]) != 0 || (i % 13 < 2), "pairs %zu and %zu alike", j, i);
            stops += texts[i] && strstr(texts[i], "\"stop\"") != NULL;
            conts += texts[i] && strstr(texts[i], "\"cont\"") != NULL;
        }
        schedule_free(s);
    }
    CHECK_MSG(stops == 2 && conts == 2, "stop %u times, cont %u times, of two windows", stops, conts);
    CHECK(in_window[0] == 13 && in_window[1] == 13);
    for (size_t i = 0; i < 26; i++)
        free(texts[i]);

    /* times do not change the shape; another status does */
    const char *sooner = "caps events=on multifd=on\nmigrate\nafter 4MiB on any: stall all; freeze live_migration 9ms; "
                         "reset all\non failed +3ms: cancel\n";
    const char *other = "caps events=on multifd=on\nmigrate\nafter 1MiB on any: stall all; freeze live_migration 50ms; "
                        "reset all\non cancelled +1ms: query\n";
    struct schedule *a = schedule_parse(sooner, strlen(sooner), "sooner", &e);
    struct schedule *b = schedule_parse(other, strlen(other), "other", &e);
    CHECK(a && b);
    CHECK(a && schedule_window_shape(a) == shape);
    CHECK(b && schedule_window_shape(b) != shape);
    schedule_free(a);
    schedule_free(b);
    schedule_free(seed);
}

int main(void)
{
    struct sched_mutator m = {.rng = 12345, .without = 1u << ACT_PARAMS};
    unsigned seen[MUT_COUNT] = {0};
    bool sooner = false, other_status = false, other_cap = false, reverted = false;
    struct err e = {{0}};
    struct schedule *donor = schedule_parse(seeds[2], strlen(seeds[2]), "donor", &e);
    CHECK(donor);
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        for (int chain = 0; chain < 300; chain++) {
            struct schedule *s = schedule_parse(seeds[k], strlen(seeds[k]), "seed", &e);
            CHECK_MSG(s, "%s", e.msg);
            if (!s)
                break;
            bool had_params = uses(s, ACT_PARAMS);
            for (int step = 0; step < 12; step++) {
                int kind = schedule_mutate(s, donor, &m);
                CHECK(kind >= 0 && kind < MUT_COUNT);
                if (kind < 0)
                    break;
                seen[kind]++;
                /* the held seed: a capability its first line set, set back on a later line */
                if (k == 1 && step == 0 && kind == MUT_REVERT)
                    for (size_t i = 1; i < s->nlines; i++)
                        for (size_t j = 0; j < s->lines[i].nacts; j++) {
                            const struct sched_action *a = &s->lines[i].acts[j];
                            if (a->kind == ACT_CAPS && a->u.caps.n == 1 && !a->u.caps.items[0].on &&
                                (a->u.caps.items[0].cap == CAP_MULTIFD || a->u.caps.items[0].cap == CAP_EVENTS))
                                reverted = true;
                        }
                char why[1200];
                CHECK_MSG(round_trips(s, why, sizeof why), "after %s: %s", schedule_mutation_name(kind), why);
                CHECK(s->nlines >= 1 && s->nlines <= 64);
                if (!had_params)
                    CHECK_MSG(!uses(s, ACT_PARAMS), "a params action added although it is left out");
                /* the first seed's reaction, taken one step from where it was */
                if (k == 0 && step == 0 && s->nlines == 5 && s->lines[4].trig.kind == TRIG_STATUS &&
                    s->lines[4].nacts == 1 && s->lines[4].acts[0].kind == ACT_CAPS) {
                    const struct sched_line *l = &s->lines[4];
                    sooner |= l->trig.status == MIG_FAILED && l->trig.delay_us < 2000;
                    other_status |= l->trig.status != MIG_FAILED;
                    other_cap |= l->acts[0].u.caps.items[0].cap != CAP_MULTIFD;
                }
            }
            schedule_free(s);
        }
    }
    for (int i = 0; i < MUT_COUNT; i++)
        CHECK_MSG(seen[i] > 0, "the %s step never happened", schedule_mutation_name(i));
    CHECK_MSG(sooner, "never made the reaction come sooner");
    CHECK_MSG(other_status, "never made the reaction react to another status");
    CHECK_MSG(other_cap, "never changed which capability the reaction sets");
    CHECK_MSG(reverted, "never set a capability back on a later line");

    /* a revert lands on any later line alike: the reaction line is not preferred (the revert is one
     * operator among equals, tuned on no seed); the held seed has 3 lines after its `caps` */
    unsigned reverts = 0, on_line[4] = {0};
    for (int i = 0; i < 3000 && reverts < 600; i++) {
        struct schedule *s = schedule_parse(seeds[1], strlen(seeds[1]), "seed", &e);
        CHECK(s != NULL);
        if (!s)
            break;
        /* the lines after the seed's `caps` have none: the one that gets a `caps` got the revert (a
         * full line drops an action to make room) */
        if (schedule_mutate(s, NULL, &m) == MUT_REVERT && s->nlines == 4) {
            reverts++;
            for (size_t l = 1; l < 4; l++)
                for (size_t k = 0; k < s->lines[l].nacts; k++)
                    on_line[l] += s->lines[l].acts[k].kind == ACT_CAPS;
        }
        schedule_free(s);
    }
    CHECK_MSG(reverts >= 150, "only %u reverts drawn", reverts);
    for (size_t l = 1; l < 4; l++)
        CHECK_MSG(on_line[l] * 10 >= reverts * 2 && on_line[l] * 10 <= reverts * 47 / 10,
                  "line %zu got %u of %u reverts (a third expected)", l + 1, on_line[l], reverts);

    /* with caps left out, nothing is reverted (the revert adds a caps action) */
    struct sched_mutator nocaps = {.rng = 99, .without = 1u << ACT_CAPS};
    for (int i = 0; i < 500; i++) {
        struct schedule *s = schedule_parse(seeds[1], strlen(seeds[1]), "seed", &e);
        CHECK(s != NULL);
        if (!s)
            break;
        CHECK(schedule_mutate(s, NULL, &nocaps) != MUT_REVERT);
        schedule_free(s);
    }

    /* the command step puts any command into a window (a line with a trigger), each command as likely
     * as another: `stop` (one of the nine `qmp` commands) as often as `cancel`, where drawing a kind
     * first gives each `qmp` command a ninth of cancel's share. Lines in order are never touched. */
    struct sched_mutator cmdm = {.rng = 11};
    unsigned cmd_steps = 0, stops = 0, cancels = 0, in_order_changed = 0;
    for (int i = 0; i < 20000 && cmd_steps < 2600; i++) {
        struct schedule *s = schedule_parse(seeds[0], strlen(seeds[0]), "seed", &e);
        CHECK(s != NULL);
        if (!s)
            break;
        struct schedule *before = schedule_clone(s);
        if (schedule_mutate(s, NULL, &cmdm) == MUT_COMMAND) {
            cmd_steps++;
            /* seeds[0]'s window with a command is its last line (`after 8MiB` holds a fault only) */
            const struct sched_line *l = &s->lines[s->nlines - 1];
            for (size_t k = 0; k < l->nacts; k++) {
                cancels += l->acts[k].kind == ACT_CANCEL;
                const struct sched_action *a = &l->acts[k];
                json_object *ex;
                stops += a->kind == ACT_QMP && json_object_object_get_ex(a->u.qmp, "execute", &ex) &&
                         strcmp(json_object_get_string(ex), "stop") == 0;
            }
            for (size_t li = 0; li < 3; li++)
                in_order_changed += !schedule_equal(&(struct schedule){.lines = &s->lines[li], .nlines = 1},
                                                    &(struct schedule){.lines = &before->lines[li], .nlines = 1});
            char why[1200];
            CHECK_MSG(round_trips(s, why, sizeof why), "after command: %s", why);
        }
        schedule_free(before);
        schedule_free(s);
    }
    /* 13 commands; the window is one line of two (each drawn half the time): 1/26 of steps each */
    CHECK_MSG(cmd_steps >= 1000, "only %u command steps drawn", cmd_steps);
    CHECK_MSG(stops * 26 >= cmd_steps / 2 && stops * 26 <= cmd_steps * 2, "stop in %u of %u command steps", stops,
              cmd_steps);
    CHECK_MSG(cancels * 26 >= cmd_steps / 2 && cancels * 26 <= cmd_steps * 2, "cancel in %u of %u command steps",
              cancels, cmd_steps);
    CHECK_MSG(in_order_changed == 0, "the command step changed %u lines in order", in_order_changed);
    /* ... and never draws a command of a kind left out */
    struct sched_mutator noqmp = {.rng = 5, .without = 1u << ACT_QMP};
    for (int i = 0; i < 2000; i++) {
        struct schedule *s = schedule_parse(seeds[0], strlen(seeds[0]), "seed", &e);
        CHECK(s != NULL);
        if (!s)
            break;
        if (schedule_mutate(s, NULL, &noqmp) == MUT_COMMAND)
            CHECK(!uses(s, ACT_QMP));
        schedule_free(s);
    }

    /* with the guest's size as the bound, an `after SIZE` is drawn and doubled only up to it, still on a
     * log scale (small and large sizes both drawn); without one, past it too */
    struct sched_mutator guest = {.rng = 7, .max_bytes = 64ull << 20};
    struct sched_mutator unbounded = {.rng = 7};
    unsigned sizes = 0, small = 0, large = 0, past = 0, past_unbounded = 0;
    for (int i = 0; i < 4000; i++) {
        for (int b = 0; b < 2; b++) {
            struct schedule *s = schedule_parse(seeds[0], strlen(seeds[0]), "seed", &e);
            CHECK(s != NULL);
            if (!s)
                break;
            for (int step = 0; step < 4; step++)
                if (schedule_mutate(s, NULL, b ? &unbounded : &guest) < 0)
                    break;
            for (size_t l = 0; l < s->nlines; l++) {
                if (s->lines[l].trig.kind != TRIG_AFTER)
                    continue;
                uint64_t v = s->lines[l].trig.bytes;
                if (b) {
                    past_unbounded += v > (64ull << 20);
                    continue;
                }
                sizes++;
                past += v > (64ull << 20);
                small += v < (1ull << 20);
                large += v >= (16ull << 20);
            }
            schedule_free(s);
        }
    }
    CHECK_MSG(past == 0, "%u of %u sizes past the guest's 64 MiB", past, sizes);
    CHECK_MSG(past_unbounded > 0, "without a bound no size went past 64 MiB");
    CHECK_MSG(small * 10 >= sizes && large * 10 >= sizes, "sizes not spread: %u under 1 MiB, %u from 16 MiB, of %u",
              small, large, sizes);

    /* a schedule that migrates keeps its migration: its `migrate` line is never dropped, emptied of the
     * command or given a trigger (without the rule, one change in seven took it away) */
    struct sched_mutator keep = {.rng = 3};
    unsigned lost = 0, changes = 0;
    for (int i = 0; i < 3000; i++) {
        struct schedule *s = schedule_parse(seeds[0], strlen(seeds[0]), "seed", &e);
        CHECK(s != NULL);
        if (!s)
            break;
        for (int step = 0; step < 6; step++) {
            if (schedule_mutate(s, donor, &keep) < 0)
                break;
            changes++;
            bool in_order = false;
            for (size_t l = 0; l < s->nlines; l++)
                for (size_t k = 0; s->lines[l].trig.kind == TRIG_NONE && k < s->lines[l].nacts; k++)
                    in_order |= s->lines[l].acts[k].kind == ACT_MIGRATE;
            lost += !in_order;
            char why[1200];
            CHECK_MSG(round_trips(s, why, sizeof why), "%s", why);
        }
        schedule_free(s);
    }
    CHECK_MSG(lost == 0, "%u of %u changes left no migration in order", lost, changes);
    /* ... while one without a migration may still get one, or stay without */
    struct schedule *none = schedule_parse("caps events=on\nquery\n", strlen("caps events=on\nquery\n"), "none", &e);
    CHECK(none != NULL);
    for (int i = 0; none && i < 200; i++)
        CHECK(schedule_mutate(none, donor, &keep) >= 0);
    schedule_free(none);

    /* faults, triggers and holds name multifd channels and threads the migration can have: fewer than the
     * most any `params multifd-channels` of the mutant asks, or than 2, QEMU's default, without one */
    static const char *const chans[] = {"caps events=on multifd=on\nparams multifd-channels=3\nmigrate\n",
                                        "caps events=on multifd=on\nmigrate\n"};
    unsigned named = 0, beyond = 0, high = 0;
    for (int c = 0; c < 2; c++) {
        struct sched_mutator cm = {.rng = 11};
        for (int i = 0; i < 1500; i++) {
            struct schedule *s = schedule_parse(chans[c], strlen(chans[c]), "seed", &e);
            CHECK(s != NULL);
            if (!s)
                break;
            for (int step = 0; step < 5; step++)
                if (schedule_mutate(s, NULL, &cm) < 0)
                    break;
            int n = schedule_multifd_channels(s);
            for (size_t l = 0; l < s->nlines; l++) {
                const struct sched_line *ln = &s->lines[l];
                int idx[1 + 4] = {ln->trig.kind == TRIG_AFTER ? ln->trig.chan : -1, -1, -1, -1, -1};
                for (size_t k = 0; k < ln->nacts && k < 4; k++) {
                    const struct sched_action *a = &ln->acts[k];
                    if (a->kind == ACT_RESET || a->kind == ACT_CLOSE || a->kind == ACT_STALL)
                        idx[1 + k] = a->u.fault.chan;
                    if (a->kind == ACT_FREEZE && a->u.freeze.thread.kind == THR_MULTIFDSEND)
                        idx[1 + k] = a->u.freeze.thread.index;
                }
                for (int k = 0; k < 5; k++) {
                    named += idx[k] >= 0;
                    beyond += idx[k] >= n;
                    high += idx[k] >= 2;
                }
            }
            schedule_free(s);
        }
    }
    CHECK_MSG(named > 100 && beyond == 0, "%u of %u multifd indexes past the mutant's channels", beyond, named);
    CHECK_MSG(high > 0, "no index past 1 although the first seed asks 3 channels");
    /* (the channels a schedule can have: the most it asks, QEMU's 2 without a word) */
    static const char twice[] = "params multifd-channels=3\nmigrate\non failed: params multifd-channels=8\n";
    struct schedule *tw = schedule_parse(twice, strlen(twice), "twice", &e);
    struct schedule *plain = schedule_parse("migrate\n", 8, "plain", &e);
    CHECK(tw && plain && schedule_multifd_channels(tw) == 8 && schedule_multifd_channels(plain) == 2);
    schedule_free(tw);
    schedule_free(plain);

    /* at the binary form's line limit a schedule does not grow */
    struct schedule *big = schedule_new("big");
    for (int i = 0; i < 64; i++) {
        struct sched_line *l = schedule_add_line(big);
        CHECK(l && schedule_add_action(l, ACT_QUERY));
    }
    for (int i = 0; i < 200; i++) {
        CHECK(schedule_mutate(big, big, &m) >= 0);
        CHECK(big->nlines <= 64);
    }
    schedule_free(big);
    schedule_free(donor);
    test_enumeration();
    return check_exit();
}

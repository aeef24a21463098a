/* triage: from AFL++'s crash inputs to reproducers with rates (see triage.h). */
#include "triage.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hunt_say.h"
#include "report.h"
#include "vocab.h"
#include "wholefile.h"

struct schedule *triage_load_input(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1u << 16; /* AFL++ inputs for schedules are tiny; a bigger file is cut, as the harness reads */
    uint8_t *buf = malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    struct schedule *s = buf ? schedule_decode(buf, len) : NULL;
    free(buf);
    if (!s)
        return NULL;
    free(s->name);
    s->name = strdup(path);
    return s;
}

double triage_input_time(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *t = strstr(base, ",time:");
    if (!t || !isdigit((unsigned char)t[6]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long ms = strtoull(t + 6, &end, 10);
    if (errno || (*end && *end != ','))
        return -1;
    return (double)ms / 1000.0;
}

static size_t text_len(const struct schedule *s)
{
    char *t = schedule_print(s);
    size_t n = t ? strlen(t) : (size_t)-1;
    free(t);
    return n;
}

static struct triage_case *find_case(struct triage *t, const char *sig, const char *phase)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->cases[i].signature, sig) == 0 && strcmp(t->cases[i].phase, phase) == 0)
            return &t->cases[i];
    return NULL;
}

const char *triage_phase(const struct timeline *tl)
{
    int status = MIG_NONE;
    for (size_t i = 0; i < timeline_count(tl); i++) {
        const struct tl_entry *e = timeline_get(tl, i);
        if (e->kind == TL_DEATH)
            break;
        if (timeline_entry_status(e) >= 0)
            status = timeline_entry_status(e);
    }
    return vocab_status_name((enum mig_status)status);
}

int triage_run(struct session *ses, char *const *files, size_t nfiles, const struct triage_options *o,
               triage_progress_fn progress, void *arg, struct triage *t, struct err *e)
{
    unsigned trials = o->trials ? o->trials : 20;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < nfiles && !t->interrupted; i++) {
        struct schedule *s = triage_load_input(files[i]);
        if (!s)
            continue;
        t->inputs++;
        struct repeat r;
        repeat_init(&r);
        int rc = repeat_run(ses, s, trials, &r, NULL, NULL, e);
        if (rc == SESSION_REFUSED) { /* a name this target lacks: the harness did not run it either */
            hunt_say(progress, arg, "input %zu/%zu: not run: %s", i + 1, nfiles, e->msg);
            t->unreproduced++;
            repeat_clear(&r);
            schedule_free(s);
            continue;
        }
        if (rc < 0) {
            repeat_clear(&r);
            schedule_free(s);
            return -1;
        }
        t->interrupted = r.interrupted;
        const char *sig = repeat_top_signature(&r);
        if (!sig) {
            hunt_say(progress, arg, "input %zu/%zu: no finding (crash, violation or hang of the target) in %u replays", i + 1, nfiles, r.stats.trials);
            t->unreproduced++;
            repeat_clear(&r);
            schedule_free(s);
            continue;
        }
        unsigned count = repeat_signature_count(&r, sig);
        const char *phase = r.shown.verdict != VERDICT_PASS ? triage_phase(r.shown.timeline) : "none";
        hunt_say(progress, arg, "input %zu/%zu: %s (after %s), %u/%u", i + 1, nfiles, sig, phase, count,
                 r.stats.trials);
        struct triage_case *c = find_case(t, sig, phase);
        double when = triage_input_time(files[i]);
        if (c) {
            c->inputs++;
            if (when >= 0 && (c->first_found_s < 0 || when < c->first_found_s))
                c->first_found_s = when;
            unsigned old = repeat_signature_count(&c->rate, sig);
            bool better = count > old || (count == old && text_len(s) < text_len(c->sched));
            if (!better) {
                repeat_clear(&r);
                schedule_free(s);
                continue;
            }
            repeat_clear(&c->rate);
            schedule_free(c->sched);
            free(c->source);
        } else {
            struct triage_case *nc = realloc(t->cases, (t->n + 1) * sizeof *nc);
            if (!nc) {
                repeat_clear(&r);
                schedule_free(s);
                return err_set(e, "out of memory");
            }
            t->cases = nc;
            c = &t->cases[t->n++];
            memset(c, 0, sizeof *c);
            c->signature = strdup(sig);
            c->phase = phase;
            c->inputs = 1;
            c->first_found_s = when;
        }
        c->sched = s;
        c->rate = r;
        c->source = strdup(files[i]);
    }

    for (size_t i = 0; i < t->n && o->minimize && !t->interrupted; i++)
        if (triage_minimize_case(ses, &t->cases[i], o, progress, arg, &t->interrupted, e) < 0)
            return -1;
    return 0;
}

int triage_minimize_case(struct session *ses, struct triage_case *c, const struct triage_options *o,
                         triage_progress_fn progress, void *arg, bool *interrupted, struct err *e)
{
    unsigned trials = o->trials ? o->trials : 20;
    unsigned crashes = repeat_signature_count(&c->rate, c->signature);
    hunt_say(progress, arg, "minimizing %s (%u/%u)", c->signature, crashes, c->rate.stats.trials);
    struct schedule *small = NULL;
    int rc = minimize_run(ses, c->sched, c->signature, crashes, c->rate.stats.trials, &o->min, NULL, NULL, &small,
                          &c->min, e);
    if (rc < 0)
        return -1;
    if (rc == TRIAL_INTERRUPTED)
        *interrupted = true;
    if (!small || c->min.accepted == 0) {
        schedule_free(small);
        return 0;
    }
    /* The reproducer's own rate, from as many replays as the input had. */
    struct repeat r;
    repeat_init(&r);
    if (repeat_run(ses, small, trials, &r, NULL, NULL, e) < 0) {
        repeat_clear(&r);
        schedule_free(small);
        return -1;
    }
    if (r.interrupted)
        *interrupted = true;
    if (repeat_signature_count(&r, c->signature) == 0) {
        /* a lucky minimization that does not hold up: keep the original */
        repeat_clear(&r);
        schedule_free(small);
        return 0;
    }
    schedule_free(c->sched);
    repeat_clear(&c->rate);
    c->sched = small;
    c->rate = r;
    hunt_say(progress, arg, "minimized in %u steps of %u tried: %u/%u", c->min.accepted, c->min.candidates,
             repeat_signature_count(&r, c->signature), r.stats.trials);
    return 0;
}

void triage_slug(const char *signature, char *out, size_t n)
{
    size_t o = 0;
    bool dash = false;
    const char *p = signature;
    for (; *p && o + 1 < n && o < 64; p++) {
        if (isalnum((unsigned char)*p)) {
            if (dash && o)
                out[o++] = '-';
            dash = false;
            if (o + 1 < n)
                out[o++] = (char)tolower((unsigned char)*p);
        } else {
            dash = true;
        }
    }
    out[o] = '\0';
    /* cut at a word boundary when the signature was longer than the slug */
    char *last = strrchr(out, '-');
    if (*p && last && last - out > 24)
        *last = '\0';
    if (!o)
        snprintf(out, n, "crash");
}

int triage_write(struct triage *t, const char *dir, const struct trial_profile *prof, struct err *e)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return err_set(e, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < t->n; i++) {
        struct triage_case *c = &t->cases[i];
        char slug[160], path[4096];
        if (c->name) {
            snprintf(slug, sizeof slug, "%s", c->name);
        } else {
            triage_slug(c->signature, slug, sizeof slug);
            size_t sl = strlen(slug);
            snprintf(slug + sl, sizeof slug - sl, "-after-%s", c->phase);
        }
        /* two signatures may share a slug: number the later ones */
        snprintf(path, sizeof path, "%s/%s.sched", dir, slug);
        for (unsigned k = 2; k < 100; k++) {
            bool taken = false;
            for (size_t j = 0; j < i; j++)
                if (t->cases[j].file && strcmp(t->cases[j].file, path) == 0)
                    taken = true;
            if (!taken)
                break;
            snprintf(path, sizeof path, "%s/%s-%u.sched", dir, slug, k);
        }
        unsigned crashes = repeat_signature_count(&c->rate, c->signature), trials = c->rate.stats.trials;
        double lo, hi;
        verdict_wilson(crashes, trials, &lo, &hi);
        char inputs[32];
        snprintf(inputs, sizeof inputs, " (%u", c->inputs);
        char *body = schedule_print(c->sched), *profile = profile_print(prof);
        const char *target = prof->target;
        /* A window nothing holds is won or lost by microseconds: whoever replays it on a busier machine
         * (or beside other work) should know why the rate they see may be lower than the one stated. */
        const char *natural = schedule_uses_action(c->sched, ACT_FREEZE, NULL, NULL)
                                  ? ""
                                  : "# it freezes no thread: the window is the target's own timing, and a busier "
                                    "machine may hit it less often\n";
        char *text = NULL;
        if (!body || !profile || asprintf(&text,
                              "# reproducer written by qmprace %s\n"
                              "# signature: %s\n"
                              "# the migration was %s when it %s\n"
                              "# %s %u/%u on %s (%.0f%%, 95%% CI %.0f-%.0f%%)\n"
                              "%s"
                              "# from %s%s%s%s%s%s\n"
                              PROFILE_HEADER "%s\n"
                              "# run it: qmprace run THIS_FILE --repeat %u --timeline  (under the profile above)\n"
                              "%s",
                              t->origin ? t->origin : "hunt", c->signature, c->phase, verdict_past(verdict_of_signature(c->signature)),
                              verdict_past(verdict_of_signature(c->signature)), crashes, trials, target, trials ? 100.0 * crashes / trials : 0.0,
                              100 * lo, 100 * hi, natural, t->origin ? "" : "the AFL++ input ", c->source,
                              t->origin ? "" : inputs, t->origin ? "" : c->inputs == 1 ? " input" : " inputs",
                              t->origin ? "" : " with this signature)",
                              c->min.accepted ? ", minimized" : "", profile, trials, body) < 0) {
            free(body);
            free(profile);
            return err_set(e, "out of memory");
        }
        free(body);
        free(profile);
        int rc = wholefile_write_text(path, text, e);
        free(text);
        if (rc < 0)
            return -1;
        free(c->file);
        c->file = strdup(path);

        /* the report: the rate and the timeline of a crashing replay */
        char rpath[4200];
        snprintf(rpath, sizeof rpath, "%.*s.txt", (int)(strlen(path) - 6), path);
        char *rep = NULL;
        size_t rlen = 0;
        FILE *mf = open_memstream(&rep, &rlen);
        if (!mf)
            return err_set(e, "out of memory");
        struct report r = {path, target, &c->rate.stats, c->rate.shown.timeline, c->rate.shown_trial,
                           verdict_name(c->rate.shown.verdict), false, prof};
        report_text(mf, &r, true);
        fclose(mf);
        rc = wholefile_write_text(rpath, rep ? rep : "", e);
        free(rep);
        if (rc < 0)
            return -1;
    }
    return 0;
}

json_object *triage_json(const struct triage *t)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < t->n; i++) {
        const struct triage_case *c = &t->cases[i];
        unsigned crashes = repeat_signature_count(&c->rate, c->signature), trials = c->rate.stats.trials;
        double lo, hi;
        verdict_wilson(crashes, trials, &lo, &hi);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "signature", json_object_new_string(c->signature));
        json_object_object_add(o, "phase", json_object_new_string(c->phase));
        json_object_object_add(o, "crashes", json_object_new_int64(crashes));
        json_object_object_add(o, "trials", json_object_new_int64(trials));
        json_object_object_add(o, "rate", json_object_new_double(trials ? (double)crashes / trials : 0));
        json_object *ci = json_object_new_array();
        json_object_array_add(ci, json_object_new_double(lo));
        json_object_array_add(ci, json_object_new_double(hi));
        json_object_object_add(o, "ci95", ci);
        json_object_object_add(o, "inputs", json_object_new_int64(c->inputs));
        json_object_object_add(o, "first_found_s",
                               c->first_found_s >= 0 ? json_object_new_double(c->first_found_s) : NULL);
        json_object_object_add(o, "minimized", json_object_new_boolean(c->min.accepted > 0));
        json_object_object_add(o, "reproducer", c->file ? json_object_new_string(c->file) : NULL);
        json_object_object_add(o, "source", json_object_new_string(c->source ? c->source : ""));
        json_object_array_add(arr, o);
    }
    return arr;
}

void triage_free(struct triage *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->cases[i].signature);
        free(t->cases[i].source);
        free(t->cases[i].file);
        schedule_free(t->cases[i].sched);
        repeat_clear(&t->cases[i].rate);
    }
    free(t->cases);
    memset(t, 0, sizeof *t);
}

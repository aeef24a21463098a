/* hunt_summary: what a hunt found, for scripts: summary.json and signatures.txt (see hunt.h). */
#include "hunt.h"

#include <stdio.h>

int hunt_summary_write(const char *path, const struct trial_profile *profile, const struct hunt_options *o,
                       const struct afl_progress *p, const struct triage *t, bool interrupted, struct err *e)
{
    json_object *sum = json_object_new_object();
    json_object_object_add(sum, "target", json_object_new_string(profile->target));
    json_object_object_add(sum, "jobs", json_object_new_int64(o->jobs));
    json_object *prof = profile_json(profile);
    json_object *without = NULL;
    json_object_object_get_ex(prof, "without", &without);
    json_object_object_add(sum, "without", json_object_get(without)); /* kept for scripts that read it */
    json_object_object_add(sum, "profile", prof);
    json_object_object_add(sum, "execs", json_object_new_int64((int64_t)p->execs));
    json_object_object_add(sum, "paths", json_object_new_int64(p->paths));
    json_object_object_add(sum, "afl_crashes", json_object_new_int64(p->crashes));
    /* what AFL++'s executions were: trials that ran a migration, trials that ran none, inputs refused; of
     * the trials, findings and hangs that are not findings */
    json_object *in = json_object_new_object();
    json_object_object_add(in, "migration_trials", json_object_new_int64((int64_t)p->tally.migrations));
    json_object_object_add(in, "trials_without_migration", json_object_new_int64((int64_t)p->tally.no_migration));
    json_object_object_add(in, "refused", json_object_new_int64((int64_t)p->tally.refused));
    json_object_object_add(in, "findings", json_object_new_int64((int64_t)p->tally.findings));
    json_object_object_add(in, "hangs", json_object_new_int64((int64_t)p->tally.hangs));
    json_object_object_add(sum, "inputs", in);
    /* where the harnesses' time went, in seconds of all instances together; `elsewhere` is the rest of the
     * instances' time (AFL++'s own work, and starting a harness process before its set-up) */
    const struct tally *ty = &p->tally;
    json_object *tm = json_object_new_object();
    double spent = (double)(ty->us_migrations + ty->us_no_migration + ty->us_refused + ty->us_findings + ty->us_hangs +
                            ty->us_starts);
    double all = (double)p->elapsed_us * (o->jobs ? o->jobs : 1);
    json_object_object_add(tm, "migration_trials", json_object_new_double(ty->us_migrations / 1e6));
    json_object_object_add(tm, "trials_without_migration", json_object_new_double(ty->us_no_migration / 1e6));
    json_object_object_add(tm, "refused", json_object_new_double(ty->us_refused / 1e6));
    json_object_object_add(tm, "findings", json_object_new_double(ty->us_findings / 1e6));
    json_object_object_add(tm, "hangs", json_object_new_double(ty->us_hangs / 1e6));
    json_object_object_add(tm, "harness_starts", json_object_new_double(ty->us_starts / 1e6));
    json_object_object_add(tm, "elsewhere", json_object_new_double(all > spent ? (all - spent) / 1e6 : 0.0));
    json_object_object_add(sum, "harness_seconds", tm);
    json_object_object_add(in, "harness_starts", json_object_new_int64((int64_t)ty->starts));
    json_object_object_add(sum, "fuzz_seconds", json_object_new_double(p->elapsed_us / 1e6));
    json_object_object_add(sum, "migration_trials_per_sec",
                           json_object_new_double(p->elapsed_us ? p->tally.migrations / (p->elapsed_us / 1e6) : 0.0));
    json_object_object_add(sum, "unreproduced", json_object_new_int64(t->unreproduced));
    json_object_object_add(sum, "interrupted", json_object_new_boolean(interrupted));
    json_object_object_add(sum, "crashes", triage_json(t));
    int rc = json_object_to_file_ext(path, sum, JSON_C_TO_STRING_PRETTY);
    json_object_put(sum);
    return rc < 0 ? err_set(e, "cannot write %s", path) : 0;
}

int hunt_signatures_write(const char *path, const struct triage *t, struct err *e)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < t->n; i++) {
        const struct triage_case *c = &t->cases[i];
        fprintf(f, "%s\t%u/%u\t%s\t%s\n", c->signature, repeat_signature_count(&c->rate, c->signature),
                c->rate.stats.trials, c->file ? c->file : "", c->phase);
    }
    if (!f || fclose(f) != 0)
        return err_set(e, "cannot write %s", path);
    return 0;
}

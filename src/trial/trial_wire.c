/* trial_wire: one trial's result as JSON and back, whole, for a result made in another qmprace process
 * (explore's workers): what the parent adds up must be what it would have added up itself. */
#include "trial.h"

#include <stdio.h>
#include <string.h>

json_object *trial_result_to_wire(const struct trial_result *r)
{
    json_object *o = json_object_new_object(), *misses = json_object_new_array();
    json_object_object_add(o, "verdict", json_object_new_int(r->verdict));
    json_object_object_add(o, "signo", json_object_new_int(r->signo));
    json_object_object_add(o, "signature", json_object_new_string(r->signature));
    json_object_object_add(o, "duration_us", json_object_new_uint64(r->duration_us));
    json_object_object_add(o, "nmisses", json_object_new_int64(r->nmisses));
    for (unsigned i = 0; i < r->nmisses && i < TRIAL_MAX_MISSES; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "what", json_object_new_string(r->misses[i].what));
        json_object_object_add(m, "expected", json_object_new_boolean(r->misses[i].expected));
        json_object_array_add(misses, m);
    }
    json_object_object_add(o, "misses", misses);
    json_object_object_add(o, "timeline", r->timeline ? timeline_to_wire(r->timeline) : NULL);
    return o;
}

int trial_result_from_wire(json_object *j, struct trial_result *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    json_object *v, *sig, *dur, *n, *misses, *tl;
    if (!json_object_object_get_ex(j, "verdict", &v) || !json_object_object_get_ex(j, "signature", &sig) ||
        !json_object_object_get_ex(j, "duration_us", &dur) || !json_object_object_get_ex(j, "nmisses", &n) ||
        !json_object_object_get_ex(j, "misses", &misses) || !json_object_object_get_ex(j, "timeline", &tl) ||
        !json_object_is_type(misses, json_type_array) || json_object_get_int(v) < 0 ||
        json_object_get_int(v) > VERDICT_VIOLATION)
        return err_set(e, "a trial result from a worker is not whole");
    r->verdict = (enum verdict)json_object_get_int(v);
    json_object *signo;
    r->signo = json_object_object_get_ex(j, "signo", &signo) ? json_object_get_int(signo) : 0;
    snprintf(r->signature, sizeof r->signature, "%s", json_object_get_string(sig) ? json_object_get_string(sig) : "");
    r->duration_us = json_object_get_uint64(dur);
    r->nmisses = (unsigned)json_object_get_int64(n);
    for (size_t i = 0; i < json_object_array_length(misses) && i < TRIAL_MAX_MISSES; i++) {
        json_object *m = json_object_array_get_idx(misses, i), *what, *exp;
        if (json_object_object_get_ex(m, "what", &what))
            snprintf(r->misses[i].what, sizeof r->misses[i].what, "%s", json_object_get_string(what));
        r->misses[i].expected = json_object_object_get_ex(m, "expected", &exp) && json_object_get_boolean(exp);
    }
    if (tl && !(r->timeline = timeline_from_wire(tl)))
        return err_set(e, "a trial's timeline from a worker is not whole");
    return 0;
}

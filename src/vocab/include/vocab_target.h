/* vocab_target: what one target knows of QEMU's migration vocabulary, as its own QAPI schema says
 * (`query-qmp-schema`): which statuses it can report, which capabilities and parameters it accepts,
 * which commands it has. Schedules are checked against it before anything runs, so a name this target
 * lacks is a schedule error (file:line:col), not a refusal at run time counted as a pass. Pure: it reads
 * a schema someone else fetched. */
#ifndef QMPRACE_VOCAB_TARGET_H
#define QMPRACE_VOCAB_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"
#include "vocab.h"

struct vocab_target {
    bool known;       /* false: the target did not say; every name is taken as known */
    char version[32]; /* "10.2.2", from query-version; "" when unknown */
    uint64_t statuses; /* bit (1 << enum mig_status) */
    uint64_t caps;     /* bit (1 << enum mig_cap) */
    uint64_t params;   /* bit (1 << enum mig_param) */
    char **commands;   /* sorted */
    size_t ncommands;
    bool traces_known; /* whether `traces` says anything (a target without trace points leaves it false) */
    uint64_t traces;   /* bit (1 << enum vocab_trace): the fuzzers' trace points this target has */
};
_Static_assert(MIG_STATUS_COUNT <= 64 && CAP_COUNT <= 64 && PARAM_COUNT <= 64 && TRACE_COUNT <= 64,
               "the bit sets hold every name");

/* Fills `vt` from a `query-qmp-schema` reply (the array of SchemaInfo). -1 when it is not a schema that
 * names the migration commands. */
int vocab_target_from_schema(struct vocab_target *vt, json_object *schema, struct err *e);
/* The version from a `query-version` reply ({"qemu": {"major", "minor", "micro"}, ...}). */
void vocab_target_set_version(struct vocab_target *vt, json_object *version);
void vocab_target_free(struct vocab_target *vt);

bool vocab_target_has_status(const struct vocab_target *vt, enum mig_status s);
bool vocab_target_has_cap(const struct vocab_target *vt, enum mig_cap c);
bool vocab_target_has_param(const struct vocab_target *vt, enum mig_param p);
bool vocab_target_has_command(const struct vocab_target *vt, const char *name);
bool vocab_target_has_trace(const struct vocab_target *vt, enum vocab_trace t);

/* As JSON, for another process (the hunt hands it to AFL++'s mutator): {"version", "statuses", "caps",
 * "params", "commands", "traces"}, each a list of names ("traces" only when known). An unknown target is
 * {}. */
json_object *vocab_target_to_json(const struct vocab_target *vt);
/* Back from that JSON; names this qmprace does not know are left out. -1 (and `vt` unknown) when `j` is
 * not such an object. */
int vocab_target_from_json(struct vocab_target *vt, json_object *j, struct err *e);

#endif

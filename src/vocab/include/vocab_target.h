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
};
_Static_assert(MIG_STATUS_COUNT <= 64 && CAP_COUNT <= 64 && PARAM_COUNT <= 64, "the bit sets hold every name");

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

#endif

/* tally: what became of a harness's inputs (see tally.h). */
#include "tally.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "session.h"
#include "wholefile.h"

void tally_add(struct tally *t, int rc, const struct trial_result *r, uint64_t us)
{
    if (rc != 0) { /* refused before it ran (or stopped before it began) */
        t->refused++;
        t->us_refused += us;
        return;
    }
    bool finding = verdict_is_finding(r->verdict, r->signature);
    if (trial_result_migrated(r))
        t->migrations++;
    else
        t->no_migration++;
    t->findings += finding;
    bool hang = !finding && r->verdict == VERDICT_HANG;
    t->hangs += hang;
    if (finding)
        t->us_findings += us;
    else if (hang)
        t->us_hangs += us;
    else if (trial_result_migrated(r))
        t->us_migrations += us;
    else
        t->us_no_migration += us;
}

void tally_start(struct tally *t, uint64_t us)
{
    t->starts++;
    t->us_starts += us;
}

static const struct {
    const char *key;
    size_t off;
} fields[] = {
    {"migration_trials", offsetof(struct tally, migrations)},
    {"trials_without_migration", offsetof(struct tally, no_migration)},
    {"inputs_refused", offsetof(struct tally, refused)},
    {"findings", offsetof(struct tally, findings)},
    {"hangs", offsetof(struct tally, hangs)},
    {"us_migration_trials", offsetof(struct tally, us_migrations)},
    {"us_trials_without_migration", offsetof(struct tally, us_no_migration)},
    {"us_inputs_refused", offsetof(struct tally, us_refused)},
    {"us_findings", offsetof(struct tally, us_findings)},
    {"us_hangs", offsetof(struct tally, us_hangs)},
    {"harness_starts", offsetof(struct tally, starts)},
    {"us_harness_starts", offsetof(struct tally, us_starts)},
};

void tally_read(const char *path, struct tally *t)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[128];
    while (fgets(line, sizeof line, f)) {
        char key[64];
        uint64_t v;
        if (sscanf(line, "%63s : %" SCNu64, key, &v) != 2)
            continue;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            if (strcmp(key, fields[i].key) == 0)
                *(uint64_t *)((char *)t + fields[i].off) += v;
    }
    fclose(f);
}

int tally_write(const char *path, const struct tally *t, struct err *e)
{
    char text[1024];
    size_t used = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0] && used < sizeof text; i++) {
        int w = snprintf(text + used, sizeof text - used, "%-28s : %" PRIu64 "\n", fields[i].key,
                         *(const uint64_t *)((const char *)t + fields[i].off));
        used += w > 0 ? (size_t)w : 0;
    }
    return wholefile_write_text(path, text, e);
}

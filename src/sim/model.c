/* model: the table of modeled QEMU behaviours and their timing parameters. Every delay the simulated VMM
 * uses comes from here, with the measurement it rests on, so a run is deterministic and the numbers can
 * be checked against docs/qemu-7.2-facts.md and tests/transcripts/. It must never hold mutable state. */
#include <string.h>

#include "sim_internal.h"

static const struct sim_model models[] = {
    {
        .name = "qemu-7.2",
        .summary = "QEMU 7.2: a failed multifd migration is FAILED before cleanup; the cleanup race crashes",
        .version = {7, 2, 22},
        .vocab = VOCAB_V72,
        .spelling = 0,
        .has_failing = false,
        /* FACTS: FAILED to the start of cleanup is ~3 ms median in crashed trials (0.4 ms in survived
         * ones); reacting 1 ms after the `failed` event still crashed 37%, 5 ms never. 2 ms sits in
         * that window, so an immediate reaction lands inside it and a 5 ms one after it. */
        .notice_delay_us = 2000,
        /* Transcript segv-multifd-turned-on: `migrate_set_state new state failed` at .359219, then
         * migration_thread_file_err at .360445 (1.2 ms) on the live_migration thread. */
        .main_error_delay_us = 1000,
        /* Transcripts: migration_thread_after_loop to savevm_state_cleanup took 19 us
         * (yank-crash-natural) and 53 us (survived-natural). */
        .bh_delay_us = 50,
    },
    {
        .name = "failing",
        .summary = "QEMU 7.2 with the upstream `failing` fix: FAILING counts as running until cleanup",
        .version = {7, 2, 22},
        .vocab = VOCAB_V72,
        .spelling = 0,
        .has_failing = true,
        /* FACTS (patched build): FAILING to FAILED takes about 1.2 to 1.7 ms unheld; this delay plus
         * bh_delay_us lands in that range. */
        .notice_delay_us = 1400,
        .main_error_delay_us = 1000, /* as qemu-7.2: the patch does not touch this path's timing */
        .bh_delay_us = 50,           /* as qemu-7.2 */
    },
    {
        /* 10.0.13 runs the same race through renamed code: migration_cleanup() (7.2: migrate_fd_cleanup),
         * multifd_send_shutdown() returning early when the multifd capability is off (7.2:
         * multifd_save_cleanup), threads mig/src/main and mig/src/send_N; the 10.x vocabulary (no compress
         * or block; switchover-ack, dirty-limit, mapped-ram, zero-page-detection, mode, ...). The timing
         * is 7.2's: FACTS measured no difference in the window that a model at this grain would show. */
        .name = "qemu-10.0",
        .summary = "QEMU 10.0: the same cleanup race, under 10.0's names and vocabulary, as narrow as measured",
        .version = {10, 0, 13},
        .vocab = VOCAB_V100,
        .spelling = 1,
        .has_failing = false,
        /* FACTS (measured later): on real QEMU the migration thread notices the failure 0.1-0.3 ms after a
         * multifd thread set FAILED, while a QMP command needs about 0.7 ms to reach its handler, so a
         * reaction to the `failed` event almost never lands (10.0 vanilla: 2/30 natural; 10.2: 0/300
         * reused) and a window held open always does (30/30). This model keeps those two numbers, where
         * qemu-7.2 models the wide window of the original report. */
        .notice_delay_us = 300,
        .main_error_delay_us = 1000,
        .bh_delay_us = 50,
        .qmp_latency_us = 700,
    },
    {
        /* The seed's patch as adapted to 10.0.13 (qemu-fixed/failing-10.0.patch): FAILING at the sites the
         * seed lists (multifd_send_set_error, migration_detect_error, the migration thread's error exits,
         * migration_connect's failure), FAILED once migration_cleanup runs; migrate-set-parameters left
         * unprotected, as the seed leaves it. */
        .name = "qemu-10.0-failing",
        .summary = "QEMU 10.0 with the seed's `failing` patch as adapted to 10.0.13",
        .version = {10, 0, 13},
        .vocab = VOCAB_V100,
        .spelling = 1,
        .has_failing = true,
        .notice_delay_us = 300, /* as qemu-10.0 */
        .main_error_delay_us = 1000,
        .bh_delay_us = 50,
        .qmp_latency_us = 700,
    },
};

#define NMODELS (sizeof models / sizeof models[0])

static const char *const model_names[NMODELS + 1] = {"qemu-7.2", "failing", "qemu-10.0", "qemu-10.0-failing", NULL};

const struct sim_model *sim_model_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NMODELS; i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

const char *const *sim_model_names(void)
{
    return model_names;
}

const char *sim_model_name(const struct sim_model *m)
{
    return m ? m->name : "?";
}

const char *sim_model_summary(const struct sim_model *m)
{
    return m ? m->summary : "";
}

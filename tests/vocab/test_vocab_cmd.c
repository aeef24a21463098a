/* What a command does to a VM, for the reuse of a QEMU (target_qemu.c) and the restore of its settings
 * (target_restore.c), from one table: spelled as QMP or as its trace point, queries change nothing,
 * migration commands the migration only, migrate-set-* its settings, anything else may change the VM. */
#include "check.h"
#include "vocab.h"

int main(void)
{
    CHECK_INT(vocab_cmd_effect("query-migrate"), VOCAB_CMD_QUERY);
    CHECK_INT(vocab_cmd_effect("query_status"), VOCAB_CMD_QUERY);
    CHECK_INT(vocab_cmd_effect("qmp_capabilities"), VOCAB_CMD_QUERY);
    CHECK_INT(vocab_cmd_effect("migrate"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate_cancel"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate-cancel"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate-continue"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate_continue"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate-pause"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("x-colo-lost-heartbeat"), VOCAB_CMD_MIGRATION);
    CHECK_INT(vocab_cmd_effect("migrate-set-capabilities"), VOCAB_CMD_SETTINGS);
    CHECK_INT(vocab_cmd_effect("migrate_set_parameters"), VOCAB_CMD_SETTINGS);
    /* commands that change the VM itself, and names that only start like a known one */
    CHECK_INT(vocab_cmd_effect("stop"), VOCAB_CMD_RUNSTATE);
    CHECK_INT(vocab_cmd_effect("cont"), VOCAB_CMD_RUNSTATE);
    CHECK_INT(vocab_cmd_effect("migrate-start-postcopy"), VOCAB_CMD_POSTCOPY);
    CHECK_INT(vocab_cmd_effect("migrate_start_postcopy"), VOCAB_CMD_POSTCOPY);
    CHECK_INT(vocab_cmd_effect("system_reset"), VOCAB_CMD_OTHER);
    CHECK_INT(vocab_cmd_effect("migrate-incoming"), VOCAB_CMD_OTHER);
    CHECK_INT(vocab_cmd_effect("migrate_set_speed"), VOCAB_CMD_OTHER);
    CHECK_INT(vocab_cmd_effect("migrat"), VOCAB_CMD_OTHER);
    CHECK_INT(vocab_cmd_effect(""), VOCAB_CMD_OTHER);
    CHECK_INT(vocab_cmd_effect(NULL), VOCAB_CMD_OTHER);
    /* what lets a migration go once its channels are gone, when that alone does not */
    CHECK_STR(vocab_status_release_command(MIG_PRE_SWITCHOVER), "migrate_cancel");
    CHECK_STR(vocab_status_release_command(MIG_COLO), "x-colo-lost-heartbeat");
    CHECK(vocab_status_release_command(MIG_ACTIVE) == NULL);
    CHECK(vocab_status_release_command(MIG_FAILED) == NULL);
    return check_exit();
}

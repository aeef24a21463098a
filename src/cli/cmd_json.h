/* cmd_json: what --json writes, said once: one JSON object per line, to stdout ("-") or to a file written
 * whole (wholefile_write: a temporary file beside it, then renamed), so a reader never sees half of one.
 * Prints why it failed, and nothing else. */
#ifndef QMPRACE_CMD_JSON_H
#define QMPRACE_CMD_JSON_H

#include <json-c/json.h>

/* Each element of the array `lines` on a line of its own, printed with json-c's `flags`. 0, or -1 after
 * "qmprace CMD: --json: why" on stderr. */
int cmd_json_lines(const char *cmd, const char *path, json_object *lines, int flags);

#endif

/* cmd_paths: what qmprace ships beside itself, found from the running binary (see cmd_paths.h). */
#include "cmd_paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The install layout, relative to bin/ (the build says, from GNUInstallDirs). */
#ifndef QMPRACE_REL_LIBEXEC
#define QMPRACE_REL_LIBEXEC "../libexec/qmprace"
#endif
#ifndef QMPRACE_REL_DATA
#define QMPRACE_REL_DATA "../share/qmprace"
#endif

static const struct {
    const char *build, *installed; /* relative to the directory of the binary */
} places[] = {
    [CMD_HARNESS] = {"afl/harness/qmprace-harness", QMPRACE_REL_LIBEXEC "/qmprace-harness"},
    [CMD_MUTATOR] = {"harness/qmprace-mutator.so", QMPRACE_REL_LIBEXEC "/qmprace-mutator.so"},
    [CMD_CORPUS] = {"../corpus", QMPRACE_REL_DATA "/corpus"},
    [CMD_HUNT_DICT] = {"../fuzz/hunt-lines.sched", QMPRACE_REL_DATA "/hunt-lines.sched"},
};

char *cmd_shipped_path(enum cmd_shipped what)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    char *build = NULL, *installed = NULL;
    if (asprintf(&build, "%s/%s", exe, places[what].build) < 0)
        return NULL;
    if (access(build, F_OK) == 0)
        return build;
    if (asprintf(&installed, "%s/%s", exe, places[what].installed) < 0)
        return build;
    if (access(installed, F_OK) == 0) {
        free(build);
        return installed;
    }
    free(installed);
    return build;
}

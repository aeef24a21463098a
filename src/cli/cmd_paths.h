/* cmd_paths: where qmprace finds what it ships beside itself, the same way from a build tree and from an
 * installation, whatever the current directory: its AFL++ harness and mutator, the seed corpus and the
 * hunt's dictionary lines. Nothing here is a machine path: every place is relative to the running binary.
 *   build tree (BUILD/qmprace, BUILD inside the checkout): BUILD/afl/harness/qmprace-harness,
 *     BUILD/harness/qmprace-mutator.so, BUILD/../corpus, BUILD/../fuzz/hunt-lines.sched
 *   installed (PREFIX/bin/qmprace, cmake --install; GNUInstallDirs' default places):
 *     PREFIX/libexec/qmprace/qmprace-harness, PREFIX/libexec/qmprace/qmprace-mutator.so,
 *     PREFIX/share/qmprace/corpus, PREFIX/share/qmprace/hunt-lines.sched */
#ifndef QMPRACE_CMD_PATHS_H
#define QMPRACE_CMD_PATHS_H

enum cmd_shipped {
    CMD_HARNESS,   /* the AFL++ schedule harness */
    CMD_MUTATOR,   /* the structure-aware AFL++ custom mutator */
    CMD_CORPUS,    /* the seed schedules */
    CMD_HUNT_DICT, /* the schedule lines of the hunt's dictionary */
};

/* The first place where `what` exists (malloc'ed), or, when none does, where a build tree would have it
 * (malloc'ed, for the error message); NULL when memory runs out or the binary cannot be found. */
char *cmd_shipped_path(enum cmd_shipped what);

#endif

/* hunt_dirs: the layout of a hunt's directory, checked and made (see hunt.h). */
#include "hunt.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hunt_dirs_init(struct hunt_dirs *d, const char *out, const char *join_name)
{
    /* a joined hunt's own files are told apart by its name, so machines sharing `out` do not collide */
    const char *dash = join_name ? "-" : "", *name = join_name ? join_name : "";
    snprintf(d->out, sizeof d->out, "%s", out);
    snprintf(d->seeds, sizeof d->seeds, "%s/seeds", d->out);
    snprintf(d->afl, sizeof d->afl, "%s/afl", d->out);
    snprintf(d->logs, sizeof d->logs, "%s/logs", d->out);
    snprintf(d->dict, sizeof d->dict, "%s/dict", d->out);
    snprintf(d->vocab, sizeof d->vocab, "%s/target-vocab%s%s.json", d->out, dash, name);
    snprintf(d->crashes, sizeof d->crashes, "%s/crashes%s%s", d->out, dash, name);
    snprintf(d->summary, sizeof d->summary, "%s/summary%s%s.json", d->out, dash, name);
    snprintf(d->signatures, sizeof d->signatures, "%s/signatures%s%s.txt", d->out, dash, name);
}

static bool hunt_dir_empty_or_missing(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT;
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = false;
    closedir(d);
    return empty;
}

static int hunt_dir_make(const char *path, enum hunt_failure *why, struct err *e)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    *why = HUNT_BAD_INPUT;
    return err_set(e, "%s: %s", path, strerror(errno));
}

int hunt_dirs_make(const struct hunt_dirs *d, bool join, enum hunt_failure *why, struct err *e)
{
    /* a hunt's results must not mix with an earlier one's */
    if (!join && !hunt_dir_empty_or_missing(d->out)) {
        *why = HUNT_BAD_OPTION;
        return err_set(e, "--out: '%s' exists and is not empty", d->out);
    }
    if (join && (access(d->seeds, R_OK) != 0 || access(d->afl, R_OK) != 0)) {
        *why = HUNT_BAD_OPTION;
        return err_set(e, "--join: '%s' is not a running hunt's directory (no seeds/ and afl/)", d->out);
    }
    if (hunt_dir_make(d->out, why, e) < 0 || hunt_dir_make(d->seeds, why, e) < 0 || hunt_dir_make(d->logs, why, e) < 0)
        return -1;
    return 0;
}

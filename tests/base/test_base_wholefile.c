/* A file written whole or not at all, as every report and reproducer is: the new text replaces the old
 * one, the file gets the mode a plain create gives, and a write that cannot happen says which file and
 * why and leaves nothing behind (no temporary file beside the target, the old file untouched). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "wholefile.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 4096);
    if (buf)
        fread(buf, 1, 4095, f);
    fclose(f);
    return buf;
}

int main(void)
{
    char dir[512], path[700];
    if (!check_mkdtemp(dir, sizeof dir))
        return check_exit();
    snprintf(path, sizeof path, "%s/report.json", dir);
    struct err e = {{0}};
    mode_t mask = umask(022);
    CHECK_INT(wholefile_write_text(path, "old\n", &e), 0);
    CHECK_INT(wholefile_write_text(path, "new text\n", &e), 0);
    char *got = slurp(path);
    CHECK_STR(got, "new text\n");
    free(got);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK_INT(check_dir_entries(dir), 1); /* no temporary file left beside it */

    /* a directory where the file should be: refused, said, nothing left */
    char sub[800];
    snprintf(sub, sizeof sub, "%s/taken", dir);
    CHECK(mkdir(sub, 0755) == 0);
    CHECK_INT(wholefile_write_text(sub, "x", &e), -1);
    char want[900];
    snprintf(want, sizeof want, "cannot write %s: ", sub);
    CHECK_MSG(strncmp(e.msg, want, strlen(want)) == 0, "got '%s'", e.msg);
    CHECK_INT(check_dir_entries(dir), 2);

    /* a directory that does not exist */
    char missing[800];
    snprintf(missing, sizeof missing, "%s/no-such-dir/r.html", dir);
    CHECK_INT(wholefile_write(missing, "x", 1, &e), -1);
    CHECK_MSG(strstr(e.msg, "No such file or directory") != NULL, "got '%s'", e.msg);
    umask(mask);

    rmdir(sub);
    unlink(path);
    CHECK(rmdir(dir) == 0);
    return check_exit();
}

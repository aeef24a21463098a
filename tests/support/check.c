/* check: the counters behind the CHECK macros, and the two functions every test uses (see check.h). */
#include "check.h"

#include <dirent.h>
#include <stdlib.h>

int check_failures;
int check_count;
static int check_skips;

char *check_mkdtemp(char *buf, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, n, "%s/qmprace-test-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(buf);
    CHECK_MSG(dir != NULL, "mkdtemp(%s) failed", buf);
    return dir;
}

void check_skip(const char *reason)
{
    fprintf(stderr, "SKIP: %s\n", reason);
    check_skips++;
}

unsigned check_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    unsigned n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

int check_exit(void)
{
    fprintf(stderr, "%d checks, %d failed%s\n", check_count, check_failures,
            check_skips && !check_failures ? ", part of the test skipped (see SKIP above)" : "");
    return check_failures ? 1 : check_skips ? 77 : 0;
}

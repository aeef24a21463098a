/* check: the counters behind the CHECK macros, and the two functions every test uses (see check.h). */
#include "check.h"

#include <stdlib.h>

int check_failures;
int check_count;

char *check_mkdtemp(char *buf, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, n, "%s/qmprace-test-XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(buf);
    CHECK_MSG(dir != NULL, "mkdtemp(%s) failed", buf);
    return dir;
}

int check_exit(void)
{
    fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}

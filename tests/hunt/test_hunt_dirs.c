/* The layout of a hunt's directory: a hunt starts only in a new or empty directory (an earlier hunt's
 * results must not mix with its own), a joined hunt only in a hunt's directory, and its own files carry
 * its name so machines sharing the directory do not overwrite each other. */
#include <sys/stat.h>

#include "check.h"
#include "hunt.h"
#include "hunt_files.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* DIR/NAME is where `got` says. */
static void check_path(const char *got, const char *dir, const char *name)
{
    char want[4400];
    snprintf(want, sizeof want, "%s/%s", dir, name);
    CHECK_STR(got, want);
}

static void test_new_hunt(const char *tmp)
{
    char out[4096];
    snprintf(out, sizeof out, "%s/h1", tmp);
    struct hunt_dirs d;
    hunt_dirs_init(&d, out, NULL);
    check_path(d.summary, out, "summary.json");
    check_path(d.signatures, out, "signatures.txt");
    check_path(d.crashes, out, "crashes");
    check_path(d.seeds, out, "seeds");
    check_path(d.afl, out, "afl");
    enum hunt_failure why = HUNT_OK;
    struct err e = {{0}};
    CHECK_INT(hunt_dirs_make(&d, false, &why, &e), 0);
    CHECK(is_dir(d.out) && is_dir(d.seeds) && is_dir(d.logs));

    /* the same directory again: it is not empty any more */
    CHECK_INT(hunt_dirs_make(&d, false, &why, &e), -1);
    CHECK_INT(why, HUNT_BAD_OPTION);
    char want[4400];
    snprintf(want, sizeof want, "--out: '%s' exists and is not empty", out);
    CHECK_STR(e.msg, want);
}

static void test_joined_hunt(const char *tmp)
{
    char out[4096];
    snprintf(out, sizeof out, "%s/h2", tmp);
    struct hunt_dirs d;
    hunt_dirs_init(&d, out, "box-123");
    enum hunt_failure why = HUNT_OK;
    struct err e = {{0}};
    CHECK_INT(hunt_dirs_make(&d, true, &why, &e), -1);
    CHECK_INT(why, HUNT_BAD_OPTION);
    char want[4400];
    snprintf(want, sizeof want, "--join: '%s' is not a running hunt's directory (no seeds/ and afl/)", out);
    CHECK_STR(e.msg, want);
    CHECK(!is_dir(out));

    /* a running hunt's directory: joined, with this hunt's own files beside the main hunt's */
    CHECK(mkdir(out, 0755) == 0 && mkdir(d.seeds, 0755) == 0 && mkdir(d.afl, 0755) == 0);
    CHECK(hunt_files_write(d.seeds, "control.bin", "x", NULL, 0) == 0);
    CHECK_INT(hunt_dirs_make(&d, true, &why, &e), 0);
    CHECK(is_dir(d.logs));
    check_path(d.crashes, out, "crashes-box-123");
    check_path(d.summary, out, "summary-box-123.json");
    check_path(d.signatures, out, "signatures-box-123.txt");
}

int main(void)
{
    char tmp[512];
    if (!check_mkdtemp(tmp, sizeof tmp))
        return check_exit();
    test_new_hunt(tmp);
    test_joined_hunt(tmp);
    CHECK(hunt_files_rm(tmp) == 0);
    return check_exit();
}

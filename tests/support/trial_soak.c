/* trial_soak: what the soak tests measure of their own process (see trial_soak.h). */
#include "trial_soak.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fds.h"

#if defined(__SANITIZE_ADDRESS__)
#define SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAK_SANITIZED 1
#endif
#endif

#ifdef SOAK_SANITIZED
/* From the sanitizer runtime (sanitizer/allocator_interface.h, which Debian's gcc does not ship). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

/* A "Name:   value" line of /proc/self/status. */
static long soak_status_field(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

/* Children of this process, from every /proc/PID/stat whose parent is us. */
static void soak_count_children(long *children, long *zombies)
{
    *children = *zombies = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return;
    pid_t me = getpid();
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "pid (comm) S ppid ...": the command name may hold spaces and parentheses */
        char *rp = strrchr(buf, ')');
        char state;
        long ppid;
        if (!rp || sscanf(rp + 1, " %c %ld", &state, &ppid) != 2 || ppid != me)
            continue;
        (*children)++;
        if (state == 'Z')
            (*zombies)++;
    }
    closedir(d);
}

struct soak_snap soak_snap(void)
{
    struct soak_snap s;
    s.fds = fds_count();
    s.threads = soak_status_field("Threads");
    s.rss_kib = soak_status_field("VmRSS");
    soak_count_children(&s.children, &s.zombies);
#ifdef SOAK_SANITIZED
    s.heap = (long)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    s.heap = (long)(m.uordblks + m.hblkhd);
#endif
    return s;
}

void soak_print(const char *when, const struct soak_snap *s)
{
    fprintf(stderr, "%-12s fds %ld, threads %ld, children %ld (zombies %ld), rss %ld KiB, heap in use %ld B\n",
            when, s->fds, s->threads, s->children, s->zombies, s->rss_kib, s->heap);
}

void soak_compare(const struct soak_snap *warm, const struct soak_snap *end, long heap_slack,
                                long rss_slack_kib)
{
    CHECK_MSG(end->fds <= warm->fds, "open fds grew from %ld to %ld", warm->fds, end->fds);
    CHECK_MSG(end->threads <= warm->threads, "threads grew from %ld to %ld", warm->threads, end->threads);
    CHECK_MSG(end->zombies == 0, "%ld zombie children at the end", end->zombies);
    CHECK_MSG(end->children <= warm->children, "children grew from %ld to %ld", warm->children, end->children);
    CHECK_MSG(end->heap - warm->heap <= heap_slack, "heap in use grew by %ld bytes (allowed %ld)",
              end->heap - warm->heap, heap_slack);
#ifdef SOAK_SANITIZED
    (void)rss_slack_kib;
    fprintf(stderr, "RSS not compared: under ASan freed memory stays in its quarantine\n");
#else
    CHECK_MSG(end->rss_kib - warm->rss_kib <= rss_slack_kib, "RSS grew by %ld KiB (allowed %ld)",
              end->rss_kib - warm->rss_kib, rss_slack_kib);
#endif
}

/* See trial_soak.h: the heap count is exact only without glibc's per-thread cache. */
void soak_exact_heap(char **argv)
{
#ifndef SOAK_SANITIZED
    static const char tunable[] = "glibc.malloc.tcache_count=0";
    const char *now = getenv("GLIBC_TUNABLES");
    if (now && strstr(now, tunable))
        return;
    if (setenv("GLIBC_TUNABLES", tunable, 1) == 0)
        execv("/proc/self/exe", argv);
    fprintf(stderr, "cannot re-execute with %s: heap counts include glibc's cache\n", tunable);
#else
    (void)argv;
#endif
}

struct schedule *soak_schedule(const char *text, const char *name)
{
    struct err e = {{0}};
    struct schedule *s = schedule_parse(text, strlen(text), name, &e);
    CHECK_MSG(s != NULL, "%s", e.msg);
    return s;
}

void soak_trial(struct soak_tally *t, struct trial_env *env, const struct schedule *s, unsigned k,
                uint64_t deadline_us)
{
    struct trial_options opt = {.deadline_us = deadline_us};
    struct trial_result r;
    struct err e = {{0}};
    t->trials++;
    int rc = trial_run(env, s, &opt, &r, &e);
    if (rc != 0) {
        if (t->errors++ < 3)
            CHECK_MSG(rc == 0, "trial %u (%s): %s", t->trials, s->name, e.msg);
    } else {
        t->ran[k]++;
        t->got[k][r.verdict]++;
    }
    trial_result_clear(&r);
}

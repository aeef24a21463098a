/* afl_fuzz: starting, watching and stopping afl-fuzz instances (see afl_fuzz.h). */
#include "afl_fuzz.h"

#include "mono.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64

struct afl_jobs {
    char *sync_dir;
    unsigned n;
    pid_t pid[MAX_JOBS];
    int status[MAX_JOBS];
    bool alive[MAX_JOBS];
    char name[MAX_JOBS][40];
    char tally[MAX_JOBS][4200]; /* each instance's harness tally (tally.h) */
    char log[MAX_JOBS][4200];   /* each instance's output */
    uint64_t start_us;
};

char *afl_fuzz_find(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    while (*path) {
        size_t n = strcspn(path, ":");
        char *cand = NULL;
        if (n && asprintf(&cand, "%.*s/afl-fuzz", (int)n, path) > 0 && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

static void instance_name(unsigned i, unsigned jobs, const char *join, char *buf, size_t n)
{
    if (join)
        snprintf(buf, n, "%.16s-%u", join, i + 1);
    else if (jobs == 1)
        snprintf(buf, n, "default");
    else if (i == 0)
        snprintf(buf, n, "main");
    else
        snprintf(buf, n, "secondary%u", i);
}

/* In the child: environment, process group, output, then exec. Only async-signal-safe work here. */
static void exec_instance(const struct afl_job_options *o, unsigned i, const char *name, int logfd,
                          const char *tally)
{
    setpgid(0, 0);
    /* If qmprace dies (even by SIGKILL), afl-fuzz is told to stop; it then ends its harness. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(logfd, STDOUT_FILENO);
    dup2(logfd, STDERR_FILENO);
    setenv("AFL_NO_UI", "1", 1);
    setenv("AFL_SKIP_CPUFREQ", "1", 1);
    setenv("AFL_NO_AFFINITY", "1", 1);
    setenv("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1", 1);
    if (o->until_crash)
        setenv("AFL_BENCH_UNTIL_CRASH", "1", 1);
    /* Instances that share a sync directory pick up each other's finds every minute, not AFL++'s
     * default half hour: hunts are minutes long. */
    setenv("AFL_SYNC_TIME", "1", 1);
    if (o->mutator) {
        setenv("AFL_CUSTOM_MUTATOR_LIBRARY", o->mutator, 1);
        /* The structure-aware mutator alone. With AFL++'s havoc and splicing after it, one queue entry
         * took 12,000 executions (havoc doubles its stage at every new path, and a real QEMU's timing
         * makes new paths all the time): at 30 per second a 10-minute hunt never got past its second
         * seed. Alone, an entry costs a few hundred and the queue comes round. */
        setenv("AFL_CUSTOM_MUTATOR_ONLY", "1", 1);
    }
    if (o->noisy) {
        /* A new queue entry is calibrated in 8 runs, 40 once its coverage varied, which on a real QEMU
         * it nearly always does; then trimmed by byte removals whose every run also varies, so trimming
         * keeps nothing. Both took most of a hunt's executions there. 3 (8) runs and no trimming leave
         * them to the mutator. */
        setenv("AFL_FAST_CAL", "1", 1);
        setenv("AFL_DISABLE_TRIM", "1", 1);
    }
    for (const char *const *kv = o->env; kv && *kv; kv++)
        putenv((char *)*kv);
    setenv(TALLY_ENV, tally, 1); /* the harness's count of what its inputs became */
    char seconds[32], timeout[32];
    snprintf(seconds, sizeof seconds, "%u", o->seconds);
    snprintf(timeout, sizeof timeout, "%u", o->timeout_ms);
    const char *argv[24];
    int a = 0;
    argv[a++] = o->afl_fuzz;
    argv[a++] = "-i";
    argv[a++] = o->seeds_dir;
    argv[a++] = "-o";
    argv[a++] = o->sync_dir;
    argv[a++] = "-t";
    argv[a++] = timeout;
    argv[a++] = "-V";
    argv[a++] = seconds;
    if (o->dict) {
        argv[a++] = "-x";
        argv[a++] = o->dict;
    }
    if (o->join_name) {
        argv[a++] = "-S";
        argv[a++] = name;
    } else if (o->jobs > 1) {
        argv[a++] = i == 0 ? "-M" : "-S";
        argv[a++] = name;
    }
    argv[a++] = "--";
    argv[a++] = o->harness;
    argv[a] = NULL;
    execv(o->afl_fuzz, (char *const *)argv);
    _exit(127);
}

struct afl_jobs *afl_jobs_start(const struct afl_job_options *o, struct err *e)
{
    if (o->jobs < 1 || o->jobs > MAX_JOBS) {
        err_set(e, "--jobs must be 1 to %d", MAX_JOBS);
        return NULL;
    }
    struct afl_jobs *j = calloc(1, sizeof *j);
    if (!j || !(j->sync_dir = strdup(o->sync_dir))) {
        free(j);
        err_set(e, "out of memory");
        return NULL;
    }
    j->start_us = mono_now_us();
    for (unsigned i = 0; i < o->jobs; i++) {
        instance_name(i, o->jobs, o->join_name, j->name[i], sizeof j->name[i]);
        char *log = j->log[i];
        snprintf(log, sizeof j->log[i], "%s/afl-%s.log", o->log_dir, j->name[i]);
        int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (logfd < 0) {
            err_set(e, "%s: %s", log, strerror(errno));
            afl_jobs_free(j);
            return NULL;
        }
        char name[sizeof j->name[i]]; /* a copy: GCC cannot tell name[] and tally[] of one struct apart */
        memcpy(name, j->name[i], sizeof name);
        snprintf(j->tally[i], sizeof j->tally[i], "%s/" TALLY_FILE "-%s", o->log_dir, name);
        unlink(j->tally[i]); /* a joined hunt's instance of the same name counts afresh */
        pid_t pid = fork();
        if (pid == 0)
            exec_instance(o, i, j->name[i], logfd, j->tally[i]);
        close(logfd);
        if (pid < 0) {
            err_set(e, "fork: %s", strerror(errno));
            afl_jobs_free(j);
            return NULL;
        }
        setpgid(pid, pid); /* also here, so a signal sent right away finds the group */
        j->pid[i] = pid;
        j->alive[i] = true;
        j->status[i] = -1;
        j->n++;
    }
    return j;
}

/* "key : value" from a fuzzer_stats file. */
static bool stat_value(const char *path, const char *key, double *v)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    size_t klen = strlen(key);
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == ':')) {
            char *colon = strchr(line, ':');
            if (colon) {
                *v = strtod(colon + 1, NULL);
                found = true;
            }
            break;
        }
    }
    fclose(f);
    return found;
}

static unsigned count_ids(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "id:", 3) == 0)
            n++;
    closedir(d);
    return n;
}

void afl_jobs_poll(struct afl_jobs *j, struct afl_progress *p)
{
    memset(p, 0, sizeof *p);
    p->exit_status = -1;
    p->elapsed_us = mono_now_us() - j->start_us;
    for (unsigned i = 0; i < j->n; i++) {
        if (j->alive[i]) {
            int st;
            pid_t r = waitpid(j->pid[i], &st, WNOHANG);
            if (r == j->pid[i]) {
                j->alive[i] = false;
                j->status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
        }
        if (j->alive[i])
            p->running++;
        char path[4096];
        double v;
        snprintf(path, sizeof path, "%s/%s/fuzzer_stats", j->sync_dir, j->name[i]);
        /* AFL++'s own execs_per_sec is the average since its start at its last write of the file, and
         * its first write ends the dry run: a few executions over a few milliseconds, thousands per
         * second, left standing until the next write (tens of seconds later). The rate is taken from
         * the same write's executions and run time instead, and only once that covers a few seconds. */
        double execs = 0, run_time = 0;
        if (stat_value(path, "execs_done", &execs))
            p->execs += (uint64_t)execs;
        if (stat_value(path, "run_time", &run_time) && run_time >= 5)
            p->execs_per_sec += execs / run_time;
        if (i == 0 && stat_value(path, "corpus_count", &v))
            p->paths = (unsigned)v;
        snprintf(path, sizeof path, "%s/%s/crashes", j->sync_dir, j->name[i]);
        p->crashes += count_ids(path);
        tally_read(j->tally[i], &p->tally);
    }
    if (!p->running && j->n)
        p->exit_status = j->status[0];
}

void afl_jobs_stop(struct afl_jobs *j, unsigned grace_ms)
{
    for (unsigned i = 0; i < j->n; i++)
        if (j->alive[i])
            kill(j->pid[i], SIGINT);
    for (unsigned waited = 0; waited <= grace_ms; waited += 50) {
        struct afl_progress p;
        afl_jobs_poll(j, &p);
        if (!p.running)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* Its group too, even after afl-fuzz ended by itself: a persistent-mode harness stops itself
     * (SIGSTOP) between inputs, and one caught stopped when afl-fuzz exits stays so for good, with the
     * QEMU it reuses. The group is ours: afl-fuzz was made its leader (setpgid) when it started. */
    for (unsigned i = 0; i < j->n; i++) {
        kill(-j->pid[i], SIGKILL);
        if (j->alive[i]) {
            int st;
            waitpid(j->pid[i], &st, 0);
            j->alive[i] = false;
        }
    }
}

/* One log line without its terminal colours (ESC [ ... letter). */
static void strip_colours(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '\033' && r[1] == '[') {
            r += 2;
            while (*r && !((*r >= 'A' && *r <= 'Z') || (*r >= 'a' && *r <= 'z')))
                r++;
            if (!*r)
                break;
            continue;
        }
        if (*r == '\033' || *r == '\017' || *r == '\016')
            continue; /* a lone escape, and the charset shifts afl-fuzz's screen uses */
        *w++ = *r;
    }
    *w = '\0';
}

bool afl_jobs_abort_reason(const struct afl_jobs *j, char *buf, size_t n)
{
    static const char mark[] = "PROGRAM ABORT : ";
    for (unsigned i = 0; i < j->n; i++) {
        FILE *f = fopen(j->log[i], "r");
        if (!f)
            continue;
        char line[1024];
        bool found = false;
        for (unsigned lines = 0; !found && lines < 100000 && fgets(line, sizeof line, f); lines++) {
            strip_colours(line);
            const char *at = strstr(line, mark);
            if (!at)
                continue;
            at += sizeof mark - 1;
            size_t len = strcspn(at, "\r\n");
            while (len && at[len - 1] == ' ')
                len--;
            snprintf(buf, n, "%.*s", (int)len, at);
            found = len > 0;
        }
        fclose(f);
        if (found)
            return true;
    }
    return false;
}

void afl_jobs_free(struct afl_jobs *j)
{
    if (!j)
        return;
    afl_jobs_stop(j, 5000);
    free(j->sync_dir);
    free(j);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t afl_crash_files(const char *sync_dir, size_t max, char ***files)
{
    *files = NULL;
    size_t n = 0, cap = 0;
    DIR *top = opendir(sync_dir);
    if (!top)
        return 0;
    struct dirent *inst;
    while ((inst = readdir(top)) && n < max) {
        if (inst->d_name[0] == '.')
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/crashes", sync_dir, inst->d_name);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) && n < max) {
            if (strncmp(de->d_name, "id:", 3) != 0)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                char **nf = realloc(*files, cap * sizeof *nf);
                if (!nf)
                    break;
                *files = nf;
            }
            if (asprintf(&(*files)[n], "%s/%s", dir, de->d_name) > 0)
                n++;
        }
        closedir(d);
    }
    closedir(top);
    if (n)
        qsort(*files, n, sizeof **files, cmp_str);
    return n;
}

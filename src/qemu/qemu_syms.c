/* qemu_syms: names of code addresses in a live process, kept per process (see qemu_syms.h). */
#include "qemu_syms.h"

#include <elfutils/libdwfl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Names already found, by address: the threads of a hung QEMU wait in the same places look after look. */
#define NAMES 1024 /* a power of two */

/* The process the names are of: a pid and its start time (a pid can be used again). */
static struct {
    pid_t pid;
    unsigned long long start;
    Dwfl *dwfl;  /* this look's modules, read for its first address without a kept name (qemu_syms_done) */
    bool failed; /* ... or they could not be read in this look */
    size_t nnames;
    struct {
        uint64_t at; /* 0: empty */
        char name[96];
    } names[NAMES];
} cache;

/* Debug files by build ID only (/usr/lib/debug/.build-id/, where Debian's -dbgsym packages put them),
 * never a debuginfod server: a look at a hung QEMU must not reach beyond the machine. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                          char **debuginfo_file_name)
{
    return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc,
                                        debuginfo_file_name);
}

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = find_debuginfo,
};

/* The process's start time (field 22 of /proc/PID/stat), 0 when it is gone. */
static unsigned long long start_time(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long start = 0;
    if (fgets(line, sizeof line, f)) {
        const char *p = strrchr(line, ')'); /* the name may hold spaces and parentheses */
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                        &start) != 1)
            start = 0;
    }
    fclose(f);
    return start;
}

void qemu_syms_done(void)
{
    if (cache.dwfl)
        dwfl_end(cache.dwfl);
    cache.dwfl = NULL;
    cache.failed = false;
}

int qemu_syms_use(pid_t pid)
{
    unsigned long long start = start_time(pid);
    if (!start)
        return -1;
    if (cache.pid != pid || cache.start != start) {
        qemu_syms_done();
        memset(&cache, 0, sizeof cache);
        cache.pid = pid;
        cache.start = start;
    }
    return 0;
}

/* The process's modules as it maps them now, read once per look. */
static Dwfl *modules(void)
{
    if (cache.dwfl || cache.failed)
        return cache.dwfl;
    cache.dwfl = dwfl_begin(&callbacks);
    bool ok = cache.dwfl != NULL;
    if (ok) {
        dwfl_report_begin(cache.dwfl);
        ok = dwfl_linux_proc_report(cache.dwfl, cache.pid) == 0;
        dwfl_report_end(cache.dwfl, NULL, NULL);
    }
    if (!ok) {
        qemu_syms_done();
        cache.failed = true;
    }
    return cache.dwfl;
}

void qemu_syms_name(uint64_t pc, bool activation, char *buf, size_t n)
{
    buf[0] = '\0';
    Dwarf_Addr at = activation ? pc : pc - 1;
    if (!cache.pid || !at)
        return;
    size_t i = (size_t)((at * 0x9e3779b97f4a7c15ull) >> 54) & (NAMES - 1);
    for (size_t k = 0; k < NAMES && cache.names[i].at; k++, i = (i + 1) & (NAMES - 1))
        if (cache.names[i].at == at) {
            snprintf(buf, n, "%s", cache.names[i].name);
            return;
        }
    Dwfl *d = modules();
    if (!d)
        return; /* not kept: another look may read them */
    Dwfl_Module *mod = dwfl_addrmodule(d, at);
    GElf_Off off;
    GElf_Sym sym;
    const char *name = mod ? dwfl_module_addrinfo(mod, at, &off, &sym, NULL, NULL, NULL) : NULL;
    if (name)
        snprintf(buf, n, "%.*s", (int)strcspn(name, "@"), name); /* pthread_cond_wait@@GLIBC_2.3.2 */
    if (cache.nnames < NAMES * 3 / 4 && !cache.names[i].at) { /* past that, the table only answers */
        cache.names[i].at = at;
        snprintf(cache.names[i].name, sizeof cache.names[i].name, "%s", buf);
        cache.nnames++;
    }
}

/* qemu_ram: guest RAM content in a memfd (see qemu_ram.h). */
#include "qemu_ram.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* splitmix64: fast, and every 8-byte word differs, so no page is ever all zeros. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int qemu_ram_create(uint64_t bytes, uint64_t seed, struct err *e)
{
    int fd = memfd_create("qmprace-guest-ram", MFD_CLOEXEC);
    if (fd < 0)
        return err_set(e, "memfd_create: %s", strerror(errno));
    /* fallocate, not just ftruncate: running out of memory must be an error here, not a SIGBUS below. */
    if (fallocate(fd, 0, 0, (off_t)bytes) < 0) {
        int err = errno;
        close(fd);
        return err_set(e, "guest RAM of %llu bytes: %s", (unsigned long long)bytes, strerror(err));
    }
    uint64_t *w = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED) {
        int err = errno;
        close(fd);
        return err_set(e, "guest RAM of %llu bytes: mmap: %s", (unsigned long long)bytes, strerror(err));
    }
    uint64_t s = seed;
    for (uint64_t i = 0; i < bytes / 8; i++)
        w[i] = next(&s);
    munmap(w, bytes);
    return fd;
}

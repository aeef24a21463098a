/* qemu_ram: guest RAM content in a memfd (see qemu_ram.h). */
#include "qemu_ram.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h> /* memfd_create */
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
    /* Written through a buffer, not a mapping: filling a mapping takes a page fault per 4 KiB, which on a
     * virtual machine made 256 MiB take a second. */
    enum { CHUNK_WORDS = 1 << 17 }; /* 1 MiB */
    uint64_t *w = malloc(CHUNK_WORDS * sizeof *w);
    if (!w) {
        close(fd);
        return err_set(e, "out of memory");
    }
    uint64_t s = seed;
    for (uint64_t off = 0; off < bytes;) {
        uint64_t words = (bytes - off) / 8 < CHUNK_WORDS ? (bytes - off) / 8 : CHUNK_WORDS;
        if (words == 0)
            break; /* a tail under 8 bytes stays as fallocate left it */
        for (uint64_t i = 0; i < words; i++)
            w[i] = next(&s);
        size_t len = (size_t)(words * 8), done = 0;
        while (done < len) {
            ssize_t n = pwrite(fd, (const char *)w + done, len - done, (off_t)(off + done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                int err = n < 0 ? errno : EIO;
                free(w);
                close(fd);
                return err_set(e, "guest RAM of %llu bytes: write: %s", (unsigned long long)bytes, strerror(err));
            }
            done += (size_t)n;
        }
        off += len;
    }
    free(w);
    return fd;
}

/* qemu_ram: the content of a source QEMU's guest RAM: an anonymous memory file (memfd) filled with
 * pseudo-random bytes. Random, because QEMU 7.2 sends zero pages on the main channel: a guest with zero
 * RAM leaves the multifd channels idle and the race never happens. A memfd, because it has no name on
 * disk to leave behind, and QEMU maps it private (share=off), so every QEMU started from it sees the
 * same RAM whatever the previous one wrote. */
#ifndef QMPRACE_QEMU_RAM_H
#define QMPRACE_QEMU_RAM_H

#include <stdint.h>

#include "err.h"

/* A close-on-exec memfd of `bytes` filled from `seed`; the caller closes it. */
int qemu_ram_create(uint64_t bytes, uint64_t seed, struct err *e);

#endif

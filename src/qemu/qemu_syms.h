/* qemu_syms: the names of code addresses in a live process, as eu-stack names them (elfutils' libdwfl:
 * the symbol tables of the modules the process maps, and their separate debug files where installed).
 * Naming is most of what a look at the stacks costs (~20 ms of eu-stack's ~30 on QEMU: libdwfl scans a
 * module's whole symbol table for each address); the name of each address is kept for the process, so
 * that the next look at a hung QEMU, whose threads wait in the same places, reads no module at all. */
#ifndef QEMU_SYMS_H
#define QEMU_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Makes `pid` the process qemu_syms_name names addresses of (what was kept for another is dropped).
 * Returns -1 when it is gone. */
int qemu_syms_use(pid_t pid);

/* The name of the function at `pc` in that process ("" when no module has one), without a symbol version
 * ("pthread_cond_wait", not "pthread_cond_wait@@GLIBC_2.3.2"). `activation`: the frame is where the
 * thread is now (the innermost), not a return address, whose call is the byte before it. */
void qemu_syms_name(uint64_t pc, bool activation, char *buf, size_t n);

/* The look is over: the modules read for it are let go (the names found are kept). */
void qemu_syms_done(void);

#endif

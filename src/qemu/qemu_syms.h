/* qemu_syms: the names of code addresses in a live process, as eu-stack names them (elfutils' libdwfl:
 * the symbol tables of the modules the process maps, and their separate debug files where installed).
 * Reading a module's symbols is most of what a look at the stacks costs (~20 ms of eu-stack's ~30 on
 * QEMU: libdwfl scans a module's whole symbol table for each address); kept here for the process being
 * looked at, with each address's name, the next look names its frames for next to nothing. */
#ifndef QEMU_SYMS_H
#define QEMU_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Makes `pid`'s modules the ones qemu_syms_name reads (once per process: a look at the same QEMU again
 * reads nothing). Returns -1 when they could not be read (the process is gone). */
int qemu_syms_use(pid_t pid);

/* The name of the function at `pc` in that process ("" when no module has one), without a symbol version
 * ("pthread_cond_wait", not "pthread_cond_wait@@GLIBC_2.3.2"). `activation`: the frame is where the
 * thread is now (the innermost), not a return address, whose call is the byte before it. */
void qemu_syms_name(uint64_t pc, bool activation, char *buf, size_t n);

#endif

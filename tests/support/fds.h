/* fds: what this test process holds open, from /proc/self/fd: the tests compare these counts before
 * and after to show that nothing under test leaks a descriptor or lets a child inherit one. */
#ifndef QMPRACE_TEST_FDS_H
#define QMPRACE_TEST_FDS_H

/* Open file descriptors (not counting the one used to list them); -1 when /proc cannot be read. */
int fds_count(void);

/* Descriptors open without FD_CLOEXEC: a child (QEMU) would inherit them, and an inherited socket also
 * keeps our close() from sending its RST. -1 when /proc cannot be read. */
int fds_inheritable(void);

#endif

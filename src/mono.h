/* mono: monotonic time in microseconds. Every time inside qmprace (deadlines, timelines, delays) is
 * measured with this clock, never with the wall clock, so a clock step cannot stretch or cut a trial. */
#ifndef QMPRACE_MONO_H
#define QMPRACE_MONO_H

#include <stdint.h>
#include <sys/time.h>

uint64_t mono_now_us(void);

/* A duration in microseconds as the struct timeval libevent's timers take. */
struct timeval mono_tv(uint64_t us);

#endif

/* mono: monotonic time in microseconds. Every time inside qmprace (deadlines, timelines, delays) is
 * measured with this clock, never with the wall clock, so a clock step cannot stretch or cut a trial. */
#ifndef QMPRACE_MONO_H
#define QMPRACE_MONO_H

#include <stdint.h>
#include <sys/time.h>

uint64_t mono_now_us(void);

/* An event base whose timers use the precise monotonic clock: libevent's default here is
 * CLOCK_MONOTONIC_COARSE, which moves in 4 ms steps, far coarser than the race window. */
struct event_base *mono_event_base_new(void);

/* A duration in microseconds as the struct timeval libevent's timers take. */
struct timeval mono_tv(uint64_t us);

#endif

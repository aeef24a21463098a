/* hunt_say: a formatted message for a caller's hook, as triage and the hunt's steps say what they do
 * (private to the hunt library). */
#ifndef QMPRACE_HUNT_SAY_H
#define QMPRACE_HUNT_SAY_H

/* Formats the message and passes it to `hook`, when there is one. */
void hunt_say(void (*hook)(void *arg, const char *text), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

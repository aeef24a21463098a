/* hunt_say: messages for the caller's hooks (see hunt_say.h). */
#include "hunt_say.h"

#include <stdarg.h>
#include <stdio.h>

void hunt_say(void (*hook)(void *arg, const char *text), void *arg, const char *fmt, ...)
{
    if (!hook)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hook(arg, text);
}

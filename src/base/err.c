/* err: failure messages for library code (see err.h). */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Build "prefix: old" by moving the old text right; truncation at the end is fine for a message. */
    size_t plen = strlen(prefix);
    if (plen + 2 >= sizeof e->msg)
        plen = sizeof e->msg - 3;
    size_t olen = strnlen(e->msg, sizeof e->msg - 1);
    if (plen + 2 + olen >= sizeof e->msg)
        olen = sizeof e->msg - 1 - plen - 2;
    memmove(e->msg + plen + 2, e->msg, olen);
    memcpy(e->msg, prefix, plen);
    e->msg[plen] = ':';
    e->msg[plen + 1] = ' ';
    e->msg[plen + 2 + olen] = '\0';
    return -1;
}

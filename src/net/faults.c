/* faults: fault names to what the proxy does (see faults.h). */
#include "faults.h"

#include <string.h>

static int do_reset(struct proxy *p, int chan, uint64_t dur_us, struct err *e)
{
    (void)dur_us;
    return proxy_reset(p, chan, e);
}

static int do_close(struct proxy *p, int chan, uint64_t dur_us, struct err *e)
{
    (void)dur_us;
    return proxy_close(p, chan, e);
}

static const struct {
    const char *name;
    int (*inject)(struct proxy *p, int chan, uint64_t dur_us, struct err *e);
} faults[] = {
    {"reset", do_reset},
    {"close", do_close},
    {"stall", proxy_stall},
};

int net_fault(struct proxy *p, const char *name, int chan, uint64_t dur_us, struct err *e)
{
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        if (strcmp(faults[i].name, name) == 0)
            return faults[i].inject(p, chan, dur_us, e);
    return err_set(e, "proxy: no fault named '%s'", name);
}

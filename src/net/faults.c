/* faults: the one table of faults, keyed by the schedule action that names each (see faults.h). */
#include "faults.h"

#include <inttypes.h>

#include "fault.h"
#include "units.h"

static const struct net_fault *const faults[] = {
    [ACT_RESET] = &net_fault_reset,
    [ACT_CLOSE] = &net_fault_close,
    [ACT_STALL] = &net_fault_stall,
};
/* A new action kind is appended to the schedule's table; if it is a fault, its file is registered above.
 * tests/net/test_net_faults.c checks that every SCHED_CLASS_FAULT action has a row and nothing else does. */
_Static_assert(ACT_KIND_COUNT == 12, "a new schedule action: if it is a fault, give it a row in src/net/faults.c, "
                                     "then update this count");

static const struct net_fault *fault_of(enum sched_action_kind kind)
{
    return (unsigned)kind < sizeof faults / sizeof faults[0] ? faults[kind] : NULL;
}

bool net_fault_exists(enum sched_action_kind kind)
{
    return fault_of(kind) != NULL;
}

int net_fault(struct proxy *p, enum sched_action_kind kind, int chan, uint64_t dur_us, struct err *e)
{
    const struct net_fault *f = fault_of(kind);
    if (!f)
        return err_set(e, "proxy: '%s' is not a fault", schedule_action_name(kind));
    if (dur_us > UNITS_MAX_DURATION_US)
        return err_set(e, "proxy: %s of %" PRIu64 " us is longer than an hour", schedule_action_name(kind), dur_us);
    return proxy_each_channel(p, chan, f->hit, dur_us, e);
}

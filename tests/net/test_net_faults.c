/* The fault table as the schedule language meets it: every action the schedule calls a fault
 * (SCHED_CLASS_FAULT) is one the proxy can inject, and nothing else is; an action that is not a fault is
 * refused by name, as is a duration longer than an hour, before any channel is touched. */
#include "check.h"
#include "net_peer.h"
#include "schedule.h"

int main(void)
{
    for (int k = 0; k < ACT_KIND_COUNT; k++) {
        bool fault = schedule_action_desc((enum sched_action_kind)k)->cls == SCHED_CLASS_FAULT;
        CHECK_MSG(net_fault_exists((enum sched_action_kind)k) == fault, "'%s': %s", schedule_action_name(k),
                  fault ? "the schedule calls it a fault, the proxy cannot inject it"
                        : "the proxy injects it, the schedule does not call it a fault");
    }
    struct err e = {{0}};
    CHECK_INT(net_fault(NULL, ACT_CANCEL, CHAN_ALL, 0, &e), -1);
    CHECK_STR(e.msg, "proxy: 'cancel' is not a fault");
    CHECK_INT(net_fault(NULL, ACT_STALL, CHAN_ALL, 7200000000ull, &e), -1);
    CHECK_STR(e.msg, "proxy: stall of 7200000000 us is longer than an hour");
    return check_exit();
}

/* info: the reply of query-migrate as 7.2's fill_source_migration_info() builds it for each status:
 * nothing before the first migration, the status alone in setup, RAM statistics and times while
 * active (and while failing or cancelling), the error text once failed. Members in QAPI schema order.
 * It must never change any state. */
#include <sys/time.h>

#include "mono.h"
#include "sim_internal.h"

static uint64_t elapsed_ms(const struct sim_mig *m)
{
    return (mono_now_us() - m->start_mono) / 1000u;
}

static uint64_t pages_sent(const struct sim_vmm *v)
{
    const struct sim_mig *m = &v->mig;
    if (m->used_multifd)
        return m->pages_done;
    uint64_t per = SIM_PAGE_HDR + SIM_PAGE;
    uint64_t body = m->main.sent > 8 ? m->main.sent - 8 : 0;
    uint64_t n = body / per;
    return n < m->pages_total ? n : m->pages_total;
}

static json_object *ram_stats(const struct sim_vmm *v, bool completed)
{
    const struct sim_mig *m = &v->mig;
    uint64_t normal = pages_sent(v);
    uint64_t ms = elapsed_ms(m);
    double mbps = ms ? (double)m->transferred * 8.0 / (double)ms / 1000.0 : 0.0;
    uint64_t pps = ms ? normal * 1000u / ms : 0;
    json_object *r = json_object_new_object();
    json_object_object_add(r, "transferred", json_object_new_uint64(m->transferred));
    json_object_object_add(r, "remaining",
                           json_object_new_uint64(completed ? 0 : (m->pages_total - normal) * SIM_PAGE));
    json_object_object_add(r, "total", json_object_new_uint64(v->cfg.ram_bytes));
    json_object_object_add(r, "duplicate", json_object_new_int(0));
    json_object_object_add(r, "skipped", json_object_new_int(0));
    json_object_object_add(r, "normal", json_object_new_uint64(normal));
    json_object_object_add(r, "normal-bytes", json_object_new_uint64(normal * SIM_PAGE));
    json_object_object_add(r, "dirty-pages-rate", json_object_new_int(0));
    json_object_object_add(r, "mbps", json_object_new_double(mbps));
    json_object_object_add(r, "dirty-sync-count", json_object_new_int(1));
    json_object_object_add(r, "postcopy-requests", json_object_new_int(0));
    json_object_object_add(r, "page-size", json_object_new_int((int)SIM_PAGE));
    json_object_object_add(r, "multifd-bytes", json_object_new_uint64(m->multifd_bytes));
    json_object_object_add(r, "pages-per-second", json_object_new_uint64(pps));
    json_object_object_add(r, "precopy-bytes", json_object_new_uint64(m->transferred));
    json_object_object_add(r, "downtime-bytes", json_object_new_int(0));
    json_object_object_add(r, "postcopy-bytes", json_object_new_int(0));
    json_object_object_add(r, "dirty-sync-missed-zero-copy", json_object_new_int(0));
    return r;
}

json_object *sim_query_migrate(const struct sim_vmm *v)
{
    const struct sim_mig *m = &v->mig;
    json_object *o = json_object_new_object();
    enum mig_status st = v->status;
    if (st == MIG_NONE)
        return o;
    json_object_object_add(o, "status", json_object_new_string(vocab_status_name(st)));
    switch (st) {
    case MIG_ACTIVE:
    case MIG_CANCELLING:
    case MIG_FAILING:
    case MIG_POSTCOPY_ACTIVE:
    case MIG_PRE_SWITCHOVER:
    case MIG_DEVICE:
    case MIG_POSTCOPY_PAUSED:
    case MIG_POSTCOPY_RECOVER:
        json_object_object_add(o, "ram", ram_stats(v, false));
        json_object_object_add(o, "total-time", json_object_new_uint64(elapsed_ms(m)));
        json_object_object_add(o, "expected-downtime", json_object_new_uint64(m->expected_downtime));
        json_object_object_add(o, "setup-time", json_object_new_uint64(m->setup_time));
        break;
    case MIG_COMPLETED:
        json_object_object_add(o, "ram", ram_stats(v, true));
        json_object_object_add(o, "total-time", json_object_new_uint64(m->total_time));
        json_object_object_add(o, "downtime", json_object_new_uint64(m->downtime));
        json_object_object_add(o, "setup-time", json_object_new_uint64(m->setup_time));
        break;
    case MIG_FAILED:
        if (m->has_error)
            json_object_object_add(o, "error-desc", json_object_new_string(m->error));
        break;
    default:
        break;
    }
    return o;
}

/* observe: the one place an observation becomes a timeline entry (see observe.h). */
#include "observe.h"

#include <string.h>

#include "units.h"
#include "verdict.h"
#include "vocab.h"

static void record_death(struct timeline *tl, const struct obs *o)
{
    if (o->signo <= 0) {
        timeline_add_coded(tl, o->mono_us, TL_DEATH, 0, 0, "the target exited normally");
        return;
    }
    char sig[32];
    verdict_signal_name(o->signo, sig, sizeof sig);
    timeline_add_coded(tl, o->mono_us, TL_DEATH, o->signo, 0, "the target died by %s%s%s", sig, o->text ? ": " : "",
                       o->text ? o->text : "");
}

void obs_record(struct timeline *tl, const struct obs *o)
{
    char buf[32];
    switch (o->kind) {
    case OBS_EVENT:
        timeline_add_coded(tl, o->mono_us, TL_EVENT, o->status >= 0 ? o->status : -1, 0, "%s %s", o->name,
                           o->text ? o->text : "");
        if (o->status == -2)
            timeline_add(tl, TL_NOTE, "unknown migration status '%s'", o->status_name ? o->status_name : "");
        break;
    case OBS_TRACE:
        timeline_add_coded(tl, o->mono_us, TL_TRACE, vocab_trace_parse(o->name), o->status, "%s: %s %s",
                           o->thread ? o->thread : "?", o->name, o->text ? o->text : "");
        break;
    case OBS_OUTPUT:
        timeline_add(tl, TL_OUTPUT, "%s", o->text);
        break;
    case OBS_DEATH:
        record_death(tl, o);
        break;
    case OBS_HOLD: {
        struct thread_ref ref = {THR_MAIN, 0};
        int code = vocab_thread_parse(o->name, strlen(o->name), &ref) == 0 ? (int)ref.kind : -1;
        timeline_add_coded(tl, o->mono_us, TL_THREAD, code, o->held, "%s %s", o->name, o->held ? "held" : "released");
        break;
    }
    case OBS_CHAN_OPENED:
        timeline_add(tl, TL_CHANNEL, "channel #%u connected", o->chan_index);
        break;
    case OBS_CHAN_IDENTIFIED:
        timeline_add(tl, TL_CHANNEL, "channel #%u is %s", o->chan_index, vocab_channel_name(o->chan, buf, sizeof buf));
        break;
    case OBS_CHAN_ENDED:
        units_format_size(o->chan_bytes, buf, sizeof buf);
        timeline_add(tl, TL_CHANNEL, "channel #%u ended after %s: %s", o->chan_index, buf, o->text);
        break;
    case OBS_FAULT:
        timeline_add_coded(tl, o->mono_us, TL_FAULT, o->fault_kind, (int)o->chan_index, "%s", o->text);
        break;
    case OBS_CHAN_BYTES:
    case OBS_MIGRATE_SENT:
        break;
    }
}

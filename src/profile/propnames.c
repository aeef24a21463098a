/* propnames: the properties' names (see propnames.h). */
#include "propnames.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name, *summary;
} props[PROP_COUNT] = {
    [PROP_STATUS_MACHINE] = {"status-machine", "every status change is one QEMU's own migration code makes"},
    [PROP_FAILURE_REPORTED] = {"failure-reported",
                               "a migration that entered failing or failed ends failed, with its error in query-migrate"},
    [PROP_SETTINGS_KEPT] = {"settings-kept",
                            "every capability and parameter QEMU accepted still has the value it accepted last"},
    [PROP_EVENTS_AGREE] = {"events-agree", "the last MIGRATION event and query-migrate's status agree once settled"},
    [PROP_ONE_VM] = {"one-vm", "after the migration ends the guest runs on exactly one side: the destination after "
                               "completed, the source after failed or cancelled"},
};

const char *prop_name(enum prop p)
{
    return (unsigned)p < PROP_COUNT ? props[p].name : "?";
}

const char *prop_summary(enum prop p)
{
    return (unsigned)p < PROP_COUNT ? props[p].summary : "?";
}

int props_parse(const char *text, unsigned *mask, struct err *e)
{
    if (strcmp(text, "all") == 0) {
        *mask = PROPS_ALL;
        return 0;
    }
    if (strcmp(text, "none") == 0) {
        *mask = 0;
        return 0;
    }
    unsigned m = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        int k = -1;
        for (int i = 0; i < PROP_COUNT && k < 0; i++)
            if (strlen(props[i].name) == len && strncmp(props[i].name, p, len) == 0)
                k = i;
        if (k < 0) {
            char names[200] = "";
            for (int i = 0; i < PROP_COUNT; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", props[i].name);
            return err_set(e, "unknown property '%.*s' (properties: %s; or all, none)", (int)len, p, names);
        }
        m |= 1u << k;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!m)
        return err_set(e, "no property named (all, none, or names separated by commas)");
    *mask = m;
    return 0;
}

void props_print(unsigned mask, char *buf, size_t n)
{
    if (mask == PROPS_ALL || !mask) {
        snprintf(buf, n, "%s", mask ? "all" : "none");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < PROP_COUNT && used < n; i++)
        if (mask & (1u << i)) {
            int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", props[i].name);
            if (w < 0)
                break;
            used += (size_t)w;
        }
}

/* propnames: the names of the properties every trial is held to (trial/props.h checks them), so a trial
 * profile can say which apply (`--properties LIST|none`) without knowing how they are checked. */
#ifndef QMPRACE_PROPNAMES_H
#define QMPRACE_PROPNAMES_H

#include <stddef.h>

#include "err.h"

enum prop {
    PROP_STATUS_MACHINE,   /* every status change is one QEMU's migration code makes */
    PROP_FAILURE_REPORTED, /* a migration that entered failing or failed ends failed, with its error */
    PROP_SETTINGS_KEPT,    /* what QEMU accepted is what QEMU has */
    PROP_EVENTS_AGREE,     /* the last MIGRATION event and query-migrate agree once settled */
    PROP_ONE_VM,           /* after the migration ends the guest runs on exactly one side */
    PROP_COUNT
};
#define PROPS_ALL ((1u << PROP_COUNT) - 1)

const char *prop_name(enum prop p);
/* One line: what the property says. */
const char *prop_summary(enum prop p);
/* "all", "none", or names separated by commas, into a mask. Errors name the unknown one. */
int props_parse(const char *text, unsigned *mask, struct err *e);
/* The names of `mask`, comma-separated ("all" for every one, "none" for none). */
void props_print(unsigned mask, char *buf, size_t n);

#endif

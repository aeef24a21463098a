/* form: how one family of actions writes its arguments, in both forms of a schedule and in the model:
 * parse from text and print back, decode from bytes and encode back, free, the items and the duration
 * minimization may shrink, and the QMP arguments it sends. An action's descriptor (actions.c) names its
 * form; the parser, printer, codec, model and minimizer go through the form and know no action by name.
 * Private to the schedule library. */
#ifndef QMPRACE_FORM_H
#define QMPRACE_FORM_H

#include <stdio.h>

#include "bin.h"
#include "schedule.h"
#include "syntax.h"

struct sched_form {
    /* Text. `args` are the tokens after the action's name (at most SCHED_MAX_ITEMS + 1, so "too many"
     * can point at the first extra one); a `raw` form reads the rest of the line from `c` itself. */
    bool raw;
    int (*parse)(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n);
    /* Prints what follows the name (with its leading space); NULL: nothing follows. */
    void (*print)(FILE *f, const struct sched_action *a);
    /* Binary: reads what follows the kind byte; never fails but for memory. NULL: nothing follows. */
    int (*decode)(struct rd *r, struct sched_action *a);
    int (*encode)(struct wr *w, const struct sched_action *a);
    /* Model. All optional. */
    void (*free)(struct sched_action *a);
    size_t (*items)(const struct sched_action *a);
    void (*remove_item)(struct sched_action *a, size_t k);
    uint64_t *(*duration)(struct sched_action *a); /* a duration minimization may halve, or NULL */
    json_object *(*qmp_args)(const struct sched_action *a, const char *uri);
};

extern const struct sched_form sched_form_none;   /* migrate, cancel, query */
extern const struct sched_form sched_form_caps;   /* caps NAME=on|off ... */
extern const struct sched_form sched_form_params; /* params NAME=VALUE ... */
extern const struct sched_form sched_form_qmp;    /* qmp {json} */
extern const struct sched_form sched_form_fault;  /* NAME CHANNEL|all [DUR] (flags say whether DUR is taken) */
extern const struct sched_form sched_form_freeze; /* freeze THREAD DUR */
extern const struct sched_form sched_form_thaw;   /* thaw THREAD */
extern const struct sched_form sched_form_wait;   /* wait DUR */

/* The NAME=VALUE items of `caps` and `params`: at least one, at most SCHED_MAX_ITEMS, each parsed by
 * `one` ("'caps' needs at least one NAME=on|off item"). */
int form_parse_items(struct cur *c, struct sched_action *a, struct tok word, const struct tok *args, size_t n,
                     const char *item, int (*one)(struct cur *c, struct sched_action *a, struct tok t));

/* "'stall' needs a channel: stall CHANNEL|all [DUR]" when fewer than `min` arguments, "too many
 * arguments: USAGE" past `max`. */
int form_want_args(struct cur *c, const struct sched_action *a, struct tok word, const struct tok *args, size_t n,
                   size_t min, size_t max, const char *needs);

#endif

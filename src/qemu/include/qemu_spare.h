/* qemu_spare: a source QEMU started before it is needed and warmed up in the background, so that
 * replacing a source costs a swap rather than a start.
 *
 * A new QEMU is slow twice: about 100 ms from exec to its QMP greeting, and its first migration, which
 * takes several times as long as any later one (7.2, 64 MiB: ~70 ms active against ~10). A spare pays
 * both while trials run on the QEMU it will replace: once its monitor answers it migrates once into
 * `exec:cat > /dev/null` (no socket, nothing leaves the process tree), is resumed with `cont`, and
 * closes its QMP connection. It is then where a QEMU that served a passing trial is, with a fresh
 * QEMU's settings: the warm-up sets no capability or parameter.
 *
 * Everything it does runs on the event loop it was started on, as far as the loop runs (trials run it);
 * every wait is bounded (a spare that does not get ready in WARM_LIMIT is a failed one). Its process is
 * its own: qemu_spare_free ends it unless it was taken. */
#ifndef QMPRACE_QEMU_SPARE_H
#define QMPRACE_QEMU_SPARE_H

#include <stdbool.h>

#include <event2/event.h>

#include "err.h"
#include "qemu_args.h"
#include "qemu_vm.h"

struct qemu_spare;

/* Starts a QEMU as `l` says (a source) on `base` and begins to warm it. */
struct qemu_spare *qemu_spare_start(struct event_base *base, const struct qemu_launch *l, struct err *e);
/* Ends it (when not taken) and frees it. */
void qemu_spare_free(struct qemu_spare *s);

/* Runs `base` until the spare is ready or failed (bounded by its warm-up limit), unless the loop is broken
 * meanwhile. Returns true when ready. */
bool qemu_spare_wait(struct qemu_spare *s, struct event_base *base);
/* The warmed QEMU, its output and end going to `hooks` from now on (what it said while warming is read
 * and dropped first); NULL unless ready. The caller owns the VM; the spare is then spent (free it). */
struct qemu_vm *qemu_spare_take(struct qemu_spare *s, const struct qemu_vm_hooks *hooks);
/* Why it failed ("" while it warms or once it is ready). */
const char *qemu_spare_failure(const struct qemu_spare *s);

#endif

/* bin: the shared pieces of the binary form (see bin.h). */
#include "bin.h"

#include <stdarg.h>
#include <stdio.h>

#include "units.h"

unsigned bin_byte(struct rd *r)
{
    unsigned b = r->pos < r->len ? r->p[r->pos] : 0;
    r->pos++;
    return b;
}

unsigned bin_u16(struct rd *r)
{
    unsigned hi = bin_byte(r);
    return hi << 8 | bin_byte(r);
}

uint64_t bin_dur16(unsigned v)
{
    return (uint64_t)(v & 0xfff) << (v >> 12);
}

uint64_t bin_size16(unsigned v)
{
    return (uint64_t)(v & 0x7ff) << (v >> 11);
}

int bin_chan(unsigned b, int first)
{
    b %= 10;
    return b == 0 ? first : b == 1 ? CHAN_MAIN : (int)b - 2;
}

int bin_fail(struct wr *w, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(w->e, "%s:%d:%d: cannot be encoded: %s", w->s->name, w->line, w->col, msg);
}

/* The fixed size of w->buf holds the longest schedule the form can carry, which the callers' limit
 * checks guarantee; the check here only keeps a future mistake from writing past it. */
int bin_put(struct wr *w, unsigned b)
{
    if (w->n >= sizeof w->buf)
        return bin_fail(w, "internal error: encoding longer than %zu bytes", sizeof w->buf);
    w->buf[w->n++] = (uint8_t)b;
    return 0;
}

int bin_put16(struct wr *w, unsigned v)
{
    return bin_put(w, v >> 8) == 0 && bin_put(w, v & 0xff) == 0 ? 0 : -1;
}

/* The smallest exponent that carries x exactly in a mantissa of `bits` bits; -1 if none does. */
static int mant_exp(uint64_t x, unsigned bits, unsigned max_exp, unsigned *v)
{
    uint64_t mask = (1u << bits) - 1;
    for (unsigned ex = 0; ex <= max_exp; ex++) {
        if ((x >> ex) <= mask && ((x >> ex) << ex) == x) {
            *v = ex << bits | (unsigned)(x >> ex);
            return 0;
        }
    }
    return -1;
}

int bin_put_dur(struct wr *w, uint64_t us)
{
    unsigned v;
    if (mant_exp(us, 12, 15, &v) != 0) {
        char buf[32];
        units_format_duration(us, buf, sizeof buf);
        return bin_fail(w, "duration %s is not a 12-bit number of microseconds times a power of two", buf);
    }
    return bin_put16(w, v);
}

int bin_size(struct wr *w, uint64_t bytes, unsigned *v)
{
    if (mant_exp(bytes, 11, 31, v) != 0) {
        char buf[32];
        units_format_size(bytes, buf, sizeof buf);
        return bin_fail(w, "size %s is not an 11-bit number of bytes times a power of two", buf);
    }
    return 0;
}

int bin_put_chan(struct wr *w, int chan, int first)
{
    if (chan == first)
        return bin_put(w, 0);
    if (chan == CHAN_MAIN)
        return bin_put(w, 1);
    char buf[16];
    if (chan < 0 || chan > BIN_MAX_MULTIFD)
        return bin_fail(w, "channel %s: only %s, main and multifd0..multifd7 fit",
                        vocab_channel_name(chan, buf, sizeof buf), first == CHAN_ALL ? "all" : "any");
    return bin_put(w, 2 + (unsigned)chan);
}

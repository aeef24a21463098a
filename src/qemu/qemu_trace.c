/* qemu_trace: live, bounded reading of a QEMU child's stderr and parsing of its trace lines (see
 * qemu_trace.h). */
#include "qemu_trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mono.h"

/* Per read callback: at most this many reads, so a chatty child cannot starve the rest of the loop (the
 * event fires again for what is left). */
#define READS_PER_CALL 16
#define READ_CHUNK 16384

struct qemu_lines {
    struct event *ev;
    int fd;
    struct qemu_lines_hooks hooks;
    char line[QEMU_LINE_MAX + 1];
    size_t len;
    bool cutting; /* the current line was too long: drop the rest up to its newline */
    bool eof, busy;
};

static bool digits(const char **p, uint64_t *v, int *n)
{
    *v = 0;
    *n = 0;
    while (isdigit((unsigned char)**p) && *n < 19) {
        *v = *v * 10 + (uint64_t)(**p - '0');
        (*p)++;
        (*n)++;
    }
    return *n > 0 && !isdigit((unsigned char)**p);
}

/* Exactly `n` digits. */
static bool fixed(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

/* Scales a fraction read with `nfrac` digits to microseconds. */
static uint64_t micros(uint64_t frac, int nfrac)
{
    for (; nfrac < 6; nfrac++)
        frac *= 10;
    for (; nfrac > 6; nfrac--)
        frac /= 10;
    return frac;
}

/* 7.2 and 10.0: "TID@SEC.USEC:". */
static const char *tid_stamp(const char *p, struct qemu_trace_point *tp)
{
    uint64_t tid, sec, frac;
    int n, nfrac;
    if (!digits(&p, &tid, &n) || *p++ != '@' || tid == 0 || tid > 0x7fffffff)
        return NULL;
    if (!digits(&p, &sec, &n) || *p++ != '.' || !digits(&p, &frac, &nfrac) || *p++ != ':')
        return NULL;
    tp->tid = (int)tid;
    tp->epoch_us = sec * 1000000u + micros(frac, nfrac);
    return p;
}

/* 10.2 (its log backend writes through qemu_log, which prefixes GLib's ISO 8601 UTC time and no thread):
 * "YYYY-MM-DDTHH:MM:SS[.FFFFFF]Z ". */
static const char *iso_stamp(const char *p, struct qemu_trace_point *tp)
{
    struct tm tm = {0};
    uint64_t frac = 0;
    int nfrac = 0;
    if (!fixed(&p, 4, &tm.tm_year) || *p++ != '-' || !fixed(&p, 2, &tm.tm_mon) || *p++ != '-' ||
        !fixed(&p, 2, &tm.tm_mday) || *p++ != 'T' || !fixed(&p, 2, &tm.tm_hour) || *p++ != ':' ||
        !fixed(&p, 2, &tm.tm_min) || *p++ != ':' || !fixed(&p, 2, &tm.tm_sec))
        return NULL;
    if (*p == '.' && (p++, !digits(&p, &frac, &nfrac)))
        return NULL;
    if (*p++ != 'Z' || *p++ != ' ')
        return NULL;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t < 0)
        return NULL;
    tp->tid = 0;
    tp->epoch_us = (uint64_t)t * 1000000u + micros(frac, nfrac);
    return p;
}

bool qemu_trace_parse(const char *line, struct qemu_trace_point *tp)
{
    const char *p = tid_stamp(line, tp);
    if (!p)
        p = iso_stamp(line, tp);
    if (!p)
        return false;
    size_t len = 0;
    while (isalnum((unsigned char)p[len]) || p[len] == '_')
        len++;
    if (len == 0 || len >= sizeof tp->event || (p[len] != ' ' && p[len] != '\0'))
        return false;
    memcpy(tp->event, p, len);
    tp->event[len] = '\0';
    tp->args = p[len] == ' ' ? p + len + 1 : p + len;
    return true;
}

uint64_t qemu_trace_mono_us(uint64_t epoch_us)
{
    struct timeval tv;
    uint64_t mono = mono_now_us();
    gettimeofday(&tv, NULL);
    uint64_t real = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    if (epoch_us >= real)
        return mono;
    uint64_t ago = real - epoch_us;
    return ago < mono ? mono - ago : 0;
}

bool qemu_trace_is_fatal(const char *line)
{
    /* "qemu: " is error_exit() in util/qemu-thread-posix.c ("qemu: qemu_thread_join: No such process"),
     * which aborts; QEMU's other messages start with the program's own name. */
    return (strstr(line, ": Assertion `") && strstr(line, "' failed")) || strstr(line, "assertion failed") ||
           strstr(line, "Bail out!") || strstr(line, "Unexpected error in ") || strncmp(line, "qemu: ", 6) == 0;
}

static void emit(struct qemu_lines *l)
{
    l->line[l->len] = '\0';
    if (l->len && l->line[l->len - 1] == '\r')
        l->line[l->len - 1] = '\0';
    l->len = 0;
    if (l->hooks.line)
        l->hooks.line(l->hooks.arg, l->line);
}

static void feed(struct qemu_lines *l, const char *buf, size_t n)
{
    while (n) {
        const char *nl = memchr(buf, '\n', n);
        size_t take = nl ? (size_t)(nl - buf) : n;
        if (!l->cutting) {
            size_t room = QEMU_LINE_MAX - l->len;
            size_t copy = take < room ? take : room;
            memcpy(l->line + l->len, buf, copy);
            l->len += copy;
            if (copy < take || (!nl && l->len == QEMU_LINE_MAX)) {
                /* Too long: hand out what fits now, drop the rest of this line. */
                emit(l);
                l->cutting = true;
            }
        }
        if (!nl)
            return;
        if (l->cutting)
            l->cutting = false;
        else
            emit(l);
        buf = nl + 1;
        n -= take + 1;
    }
}

static void end(struct qemu_lines *l)
{
    if (l->eof)
        return;
    l->eof = true;
    event_del(l->ev);
    if (l->len && !l->cutting)
        emit(l);
    if (l->hooks.eof)
        l->hooks.eof(l->hooks.arg);
}

/* Returns true when it stopped because nothing more was there (or the end came), false when it stopped
 * after a full batch. */
static bool read_some(struct qemu_lines *l)
{
    if (l->busy || l->eof)
        return true;
    l->busy = true;
    bool all = false;
    char buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_CALL; i++) {
        ssize_t r = read(l->fd, buf, sizeof buf);
        if (r > 0) {
            feed(l, buf, (size_t)r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            end(l);
        all = true;
        break;
    }
    l->busy = false;
    return all;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    read_some(arg);
}

struct qemu_lines *qemu_lines_new(struct event_base *base, int fd, const struct qemu_lines_hooks *hooks,
                                  struct err *e)
{
    struct qemu_lines *l = calloc(1, sizeof *l);
    if (!l) {
        err_set(e, "out of memory");
        return NULL;
    }
    l->fd = fd;
    l->hooks = *hooks;
    l->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, l);
    if (!l->ev || event_add(l->ev, NULL) < 0) {
        if (l->ev)
            event_free(l->ev);
        free(l);
        err_set(e, "cannot watch the QEMU output");
        return NULL;
    }
    return l;
}

void qemu_lines_drain(struct qemu_lines *l)
{
    /* What a dead child left in its pipe is at most the pipe's size: a few batches. */
    for (int i = 0; i < 64; i++)
        if (read_some(l))
            return;
}

bool qemu_lines_eof(const struct qemu_lines *l)
{
    return l->eof;
}

void qemu_lines_free(struct qemu_lines *l)
{
    if (!l)
        return;
    event_free(l->ev);
    free(l);
}

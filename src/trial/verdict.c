/* verdict: crash signatures, outcome counts and intervals (see verdict.h). */
#include "verdict.h"

#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reason alone, or after the blocked threads' stacks: "<stacks> (<reason>)". The reason is the
 * parenthesized part that closes at the end: a stack may hold parentheses of its own ("main in a hold of
 * qmprace's (freeze)"), and so may the reason ("... cleanup pending (query-yank lists the migration)"). */
bool verdict_hang_reason_is(const char *reason, const char *what)
{
    /* a reason alone, no stacks before it, may still end in a parenthesis of its own: read from its start */
    if (strncmp(reason, what, strlen(what)) == 0)
        return true;
    size_t n = strlen(reason);
    const char *r = reason;
    if (n && reason[n - 1] == ')') {
        int depth = 0;
        for (size_t i = n; i-- > 0;) {
            depth += reason[i] == ')' ? 1 : reason[i] == '(' ? -1 : 0;
            if (depth == 0) {
                if (i > 0 && reason[i - 1] == ' ')
                    r = reason + i + 1;
                break;
            }
        }
    }
    return strncmp(r, what, strlen(what)) == 0;
}

bool verdict_hang_is_finding(const char *reason)
{
    return reason && *reason && !verdict_hang_reason_is(reason, VERDICT_HANG_SCHEDULE) &&
           !verdict_hang_reason_is(reason, VERDICT_HANG_HELD) && !verdict_hang_reason_is(reason, VERDICT_HANG_COMMAND) &&
           !verdict_hang_reason_is(reason, VERDICT_HANG_SINK) && !verdict_hang_reason_is(reason, VERDICT_HANG_SLOW);
}

bool verdict_is_finding(enum verdict v, const char *signature)
{
    return v == VERDICT_CRASH || v == VERDICT_VIOLATION || (v == VERDICT_HANG && verdict_hang_is_finding(signature));
}

enum verdict verdict_of_signature(const char *signature)
{
    if (signature && strncmp(signature, VERDICT_VIOLATION_PREFIX, strlen(VERDICT_VIOLATION_PREFIX)) == 0)
        return VERDICT_VIOLATION;
    if (signature && strncmp(signature, VERDICT_HANG_PREFIX, strlen(VERDICT_HANG_PREFIX)) == 0)
        return VERDICT_HANG;
    return VERDICT_CRASH;
}

const char *verdict_past(enum verdict v)
{
    switch (v) {
    case VERDICT_PASS:
        return "passed";
    case VERDICT_CRASH:
        return "crashed";
    case VERDICT_HANG:
        return "hung";
    case VERDICT_VIOLATION:
        return "violated";
    }
    return "?";
}

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_PASS:
        return "pass";
    case VERDICT_CRASH:
        return "crash";
    case VERDICT_HANG:
        return "hang";
    case VERDICT_VIOLATION:
        return "violation";
    }
    return "?";
}

const char *verdict_signal_name(int signo, char *buf, size_t n)
{
    const char *abbrev = sigabbrev_np(signo);
    if (abbrev)
        snprintf(buf, n, "SIG%s", abbrev);
    else
        snprintf(buf, n, "signal %d", signo);
    return buf;
}

/* True if s[0..len) looks like "path/file.c:123" (a source location as assert() prints it). */
static bool is_location(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && isdigit((unsigned char)s[i - 1]))
        i--;
    if (i == len || i == 0 || s[i - 1] != ':')
        return false;
    for (size_t j = 0; j + 1 < i; j++)
        if (isspace((unsigned char)s[j]))
            return false;
    return i >= 2;
}

void verdict_normalize_message(const char *message, char *out, size_t n)
{
    const char *s = message ? message : "";
    while (isspace((unsigned char)*s))
        s++;
    /* "-msg timestamp=on" puts "2026-11-27T00:24:51.089864Z " before QEMU's own lines. */
    if (isdigit((unsigned char)s[0]) && strlen(s) > 20 && s[4] == '-' && s[10] == 'T') {
        const char *sp = strchr(s, ' ');
        if (sp)
            s = sp + 1;
    }
    /* "prog: " where prog is one word (a program name or path). */
    const char *colon = strstr(s, ": ");
    if (colon) {
        bool word = true;
        for (const char *p = s; p < colon; p++)
            if (isspace((unsigned char)*p))
                word = false;
        if (word && !is_location(s, (size_t)(colon - s)))
            s = colon + 2;
    }
    /* "../../util/yank.c:107: " */
    colon = strstr(s, ": ");
    if (colon && is_location(s, (size_t)(colon - s)))
        s = colon + 2;
    size_t len = strlen(s);
    while (len > 0 && (isspace((unsigned char)s[len - 1]) || s[len - 1] == '.'))
        len--;
    snprintf(out, n, "%.*s", (int)len, s);
}

void verdict_signature(int signo, const char *message, char *out, size_t n)
{
    char sig[32], msg[400];
    verdict_normalize_message(message, msg, sizeof msg);
    if (signo <= 0) {
        snprintf(out, n, "%s%s%s", "QMP connection lost", msg[0] ? ": " : "", msg);
        return;
    }
    verdict_signal_name(signo, sig, sizeof sig);
    snprintf(out, n, "%s%s%s", sig, msg[0] ? " " : "", msg);
}

void verdict_wilson(unsigned k, unsigned n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)k / n, z2n = z * z / n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z * sqrt(p * (1 - p) / n + z2n / (4.0 * n)) / (1 + z2n);
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
    /* The formula is exact at the ends; keep 0/N and N/N free of rounding noise. */
    if (k == 0)
        *lo = 0;
    if (k == n)
        *hi = 1;
}

void verdict_stats_init(struct verdict_stats *s)
{
    memset(s, 0, sizeof *s);
}

static void free_counts(struct verdict_count *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

void verdict_stats_free(struct verdict_stats *s)
{
    free_counts(s->sigs, s->nsigs);
    free_counts(s->hang_reasons, s->nhang);
    free_counts(s->misses, s->nmisses);
    free_counts(s->never_fired, s->nnever);
    free(s->durations_us);
    memset(s, 0, sizeof *s);
}

static void bump(struct verdict_count **v, size_t *n, const char *key)
{
    if (!key)
        key = "";
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].key, key) == 0) {
            (*v)[i].count++;
            return;
        }
    struct verdict_count *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv)
        return;
    *v = nv;
    nv[*n].key = strdup(key);
    if (!nv[*n].key)
        return;
    nv[*n].count = 1;
    (*n)++;
}

void verdict_stats_add(struct verdict_stats *s, enum verdict v, const char *what, uint64_t duration_us)
{
    s->trials++;
    if (v == VERDICT_CRASH) {
        s->crashes++;
        bump(&s->sigs, &s->nsigs, what);
    } else if (v == VERDICT_HANG) {
        s->hangs++;
        bump(&s->hang_reasons, &s->nhang, what);
    } else if (v == VERDICT_VIOLATION) {
        s->violations++;
        bump(&s->sigs, &s->nsigs, what);
    }
    if (s->ndur == s->capdur) {
        size_t cap = s->capdur ? s->capdur * 2 : 64;
        uint64_t *d = realloc(s->durations_us, cap * sizeof *d);
        if (!d)
            return;
        s->durations_us = d;
        s->capdur = cap;
    }
    s->durations_us[s->ndur++] = duration_us;
}

void verdict_stats_add_miss(struct verdict_stats *s, const char *what, bool expected)
{
    if (expected)
        bump(&s->never_fired, &s->nnever, what);
    else
        bump(&s->misses, &s->nmisses, what);
}

void verdict_stats_unexercised(struct verdict_stats *s)
{
    s->unexercised++;
}

static int by_count(const void *a, const void *b)
{
    const struct verdict_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

void verdict_stats_sort(struct verdict_stats *s)
{
    if (s->nsigs)
        qsort(s->sigs, s->nsigs, sizeof *s->sigs, by_count);
    if (s->nhang)
        qsort(s->hang_reasons, s->nhang, sizeof *s->hang_reasons, by_count);
    if (s->nmisses)
        qsort(s->misses, s->nmisses, sizeof *s->misses, by_count);
    if (s->nnever)
        qsort(s->never_fired, s->nnever, sizeof *s->never_fired, by_count);
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t verdict_stats_median_us(const struct verdict_stats *s)
{
    if (!s->ndur)
        return 0;
    uint64_t *copy = malloc(s->ndur * sizeof *copy);
    if (!copy)
        return 0;
    memcpy(copy, s->durations_us, s->ndur * sizeof *copy);
    qsort(copy, s->ndur, sizeof *copy, by_value);
    uint64_t m = s->ndur % 2 ? copy[s->ndur / 2] : (copy[s->ndur / 2 - 1] + copy[s->ndur / 2]) / 2;
    free(copy);
    return m;
}

/* junit: a hunt as JUnit XML (see ci_report.h): the test case `hunt ran for DUR`, and one per crash,
 * failed when the crash is not in the allow-list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "wholefile.h"
#include "ci_report.h"
#include "verdict.h"

/* Appends printf-style text to the stream; XML values are escaped by the caller. */
static void junit_case(FILE *f, const char *classname, const struct ci_finding *c)
{
    char *name = NULL, *sig = ci_xml_escape(c->signature), *phase = ci_xml_escape(c->phase ? c->phase : "?");
    char *repro = ci_xml_escape(c->reproducer ? c->reproducer : "(not written)");
    if (sig && phase && repro && asprintf(&name, "%s: %s", phase, sig) > 0) {
        fprintf(f, "    <testcase classname=\"%s\" name=\"%s\">", classname, name);
        enum verdict kind = verdict_of_signature(c->signature);
        const char *type = kind == VERDICT_HANG ? "hang" : kind == VERDICT_VIOLATION ? "violation" : "crash";
        if (!c->allowed)
            fprintf(f, "<failure type=\"%s\" message=\"new %s: %s\">%s %u/%u after %s; reproducer: %s</failure>", type,
                    type, sig, verdict_past(kind), c->crashes, c->trials, phase, repro);
        else
            fprintf(f, "<system-out>known %s (in the allow-list): %s %u/%u; reproducer: %s</system-out>", type,
                    verdict_past(kind), c->crashes, c->trials, repro);
        fprintf(f, "</testcase>\n");
    }
    free(name);
    free(sig);
    free(phase);
    free(repro);
}

char *ci_junit(const struct ci_run *r)
{
    char *text = NULL, *prof = profile_print(r->profile);
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    char *target = ci_xml_escape(r->profile->target), *eprof = prof ? ci_xml_escape(prof) : NULL;
    char *dur = ci_xml_escape(r->duration ? r->duration : "?");
    if (!f || !target || !eprof || !dur) {
        if (f)
            fclose(f);
        free(text);
        text = NULL;
        goto out;
    }
    unsigned failures = 0;
    for (size_t i = 0; i < r->n; i++)
        failures += !r->findings[i].allowed;
    char classname[1200];
    snprintf(classname, sizeof classname, "qmprace.%s.%s", r->command, target);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(f, "  <testsuite name=\"qmprace %s on %s\" tests=\"%zu\" failures=\"%u\" errors=\"0\" time=\"%.3f\">\n",
            r->command, target, r->n + 1, failures, r->elapsed_us / 1e6);
    fprintf(f, "    <properties><property name=\"profile\" value=\"%s\"/><property name=\"qmprace\" value=\"%s\"/>"
               "</properties>\n", eprof, r->version ? r->version : "");
    fprintf(f, "    <testcase classname=\"%s\" name=\"%s ran for %s%s\" time=\"%.3f\"/>\n", classname, r->command,
            dur, r->interrupted ? " (interrupted)" : "", r->elapsed_us / 1e6);
    for (size_t i = 0; i < r->n; i++)
        junit_case(f, classname, &r->findings[i]);
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    if (fclose(f) != 0) {
        free(text);
        text = NULL;
    }
out:
    free(prof);
    free(target);
    free(eprof);
    free(dur);
    return text;
}

int ci_junit_write(const char *path, const struct ci_run *r, struct err *e)
{
    char *text = ci_junit(r);
    if (!text)
        return err_set(e, "out of memory");
    int rc = wholefile_write_text(path, text, e);
    free(text);
    return rc;
}

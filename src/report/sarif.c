/* sarif: a hunt as a SARIF 2.1.0 log (see ci_report.h), built with json-c. One run; a rule per distinct
 * signature; a result per crash (error, or note with an external suppression when it is in the
 * allow-list) whose location is the reproducer, attached as an artifact with its text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_internal.h"
#include "wholefile.h"
#include "ci_report.h"
#include "triage.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_FINGERPRINT "qmpraceCrash/v1"

/* FNV-1a, 64 bits: stable across runs, machines and builds. */
static uint64_t sarif_hash(const char *a, const char *b)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = a; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull; /* a separator no text contains */
    for (const char *s = b; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

void ci_rule_id(const char *signature, char *out, size_t n)
{
    char slug[80];
    triage_slug(signature, slug, sizeof slug); /* as the reproducers' file names */
    snprintf(out, n, "%s/%08x", slug, (unsigned)(sarif_hash(signature, NULL) >> 32));
}

void ci_fingerprint(const char *signature, const char *phase, char *out, size_t n)
{
    snprintf(out, n, "%016llx", (unsigned long long)sarif_hash(signature, phase));
}

static json_object *sarif_text(const char *s)
{
    json_object *o = json_object_new_object();
    char *clean = ci_utf8_clean(s ? s : "");
    json_object_object_add(o, "text", json_object_new_string(clean ? clean : ""));
    free(clean);
    return o;
}

static json_object *sarif_string(const char *s)
{
    char *clean = ci_utf8_clean(s ? s : "");
    json_object *o = json_object_new_string(clean ? clean : "");
    free(clean);
    return o;
}

/* A file path as a URI reference: relative paths stay relative (to where the hunt ran: the checkout, for
 * code scanning), absolute ones become file:// URIs; bytes outside RFC 3986's unreserved set and '/' are
 * percent-encoded. */
static json_object *sarif_uri(const char *path)
{
    size_t len = strlen(path);
    char *u = malloc(len * 3 + 8), *o = u;
    if (!u)
        return json_object_new_string("");
    if (path[0] == '/')
        o += sprintf(o, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if (isalnum(*p) || strchr("-._~/", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    *o = '\0';
    json_object *s = json_object_new_string(u);
    free(u);
    return s;
}

/* [item]: the arrays of one element a result has (locations, attachments, suppressions, ...). */
static json_object *sarif_one(json_object *item)
{
    json_object *a = json_object_new_array();
    json_object_array_add(a, item);
    return a;
}

/* The rules array gets one rule per distinct signature; returns the rule's index. */
static size_t sarif_rule(json_object *rules, const char *signature)
{
    char id[128];
    ci_rule_id(signature, id, sizeof id);
    size_t n = json_object_array_length(rules);
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        if (json_object_object_get_ex(json_object_array_get_idx(rules, i), "id", &v) &&
            strcmp(json_object_get_string(v), id) == 0)
            return i;
    }
    json_object *rule = json_object_new_object();
    json_object_object_add(rule, "id", json_object_new_string(id));
    enum verdict kind = verdict_of_signature(signature);
    json_object_object_add(rule, "name", json_object_new_string(kind == VERDICT_VIOLATION ? "PropertyViolation"
                                                                : kind == VERDICT_HANG    ? "TargetHang"
                                                                                          : "TargetCrash"));
    json_object_object_add(rule, "shortDescription", sarif_text(signature));
    json_object_object_add(rule, "fullDescription",
                           sarif_text(kind == VERDICT_VIOLATION
                                          ? "The target VMM settled, but a property of migration did not hold "
                                            "(see docs/running.md: properties)"
                                      : kind == VERDICT_HANG
                                          ? "The target VMM did not finish the migration or a command after the "
                                            "schedule ended; the signature names where its threads wait"
                                          : "The target VMM crashed while qmprace interleaved QMP commands with "
                                            "a migration"));
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "level", json_object_new_string("error"));
    json_object_object_add(rule, "defaultConfiguration", cfg);
    json_object_array_add(rules, rule);
    return n;
}

static json_object *sarif_result(const struct ci_finding *c, const char *target, json_object *rules,
                                 json_object *artifacts)
{
    json_object *res = json_object_new_object();
    char id[128], fp[32], *msg = NULL;
    ci_rule_id(c->signature, id, sizeof id);
    size_t rule = sarif_rule(rules, c->signature);
    json_object_object_add(res, "ruleId", json_object_new_string(id));
    json_object_object_add(res, "ruleIndex", json_object_new_int64((int64_t)rule));
    json_object_object_add(res, "level", json_object_new_string(c->allowed ? "note" : "error"));
    if (asprintf(&msg, "%s%s (after `%s`; %u/%u replays %s on %s)", c->allowed ? "known crash: " : "",
                 c->signature, c->phase ? c->phase : "?", c->crashes, c->trials,
                 verdict_past(verdict_of_signature(c->signature)), target) < 0)
        msg = NULL;
    json_object_object_add(res, "message", sarif_text(msg ? msg : c->signature));
    free(msg);
    ci_fingerprint(c->signature, c->phase, fp, sizeof fp);
    json_object *fps = json_object_new_object();
    json_object_object_add(fps, SARIF_FINGERPRINT, json_object_new_string(fp));
    json_object_object_add(res, "partialFingerprints", fps);
    if (c->reproducer) {
        size_t index = json_object_array_length(artifacts);
        json_object *art = json_object_new_object(), *loc = json_object_new_object();
        json_object_object_add(loc, "uri", sarif_uri(c->reproducer));
        json_object_object_add(art, "location", loc);
        json_object_object_add(art, "roles", sarif_one(json_object_new_string("attachment")));
        json_object_object_add(art, "mimeType", json_object_new_string("text/plain"));
        char *text = ci_read_file(c->reproducer, 1u << 20, NULL);
        if (text) {
            json_object_object_add(art, "contents", sarif_text(text));
            free(text);
        }
        json_object_object_add(art, "description", sarif_text("qmprace reproducer: `qmprace run` this file"));
        json_object_array_add(artifacts, art);

        json_object *aloc = json_object_new_object();
        json_object_object_add(aloc, "uri", sarif_uri(c->reproducer));
        json_object_object_add(aloc, "index", json_object_new_int64((int64_t)index));
        json_object *phys = json_object_new_object(), *region = json_object_new_object(), *l = json_object_new_object();
        json_object_object_add(region, "startLine", json_object_new_int(1));
        json_object_object_add(phys, "artifactLocation", aloc);
        json_object_object_add(phys, "region", region);
        json_object_object_add(l, "physicalLocation", phys);
        json_object_object_add(res, "locations", sarif_one(l));

        json_object *att = json_object_new_object();
        json_object_object_add(att, "description", sarif_text("the reproducer"));
        json_object_object_add(att, "artifactLocation", json_object_get(aloc));
        json_object_object_add(res, "attachments", sarif_one(att));
    }
    if (c->allowed) {
        json_object *sup = json_object_new_object();
        json_object_object_add(sup, "kind", json_object_new_string("external"));
        json_object_object_add(sup, "justification", json_object_new_string("in the CI job's allow-list"));
        json_object_object_add(res, "suppressions", sarif_one(sup));
    }
    json_object *props = json_object_new_object();
    json_object_object_add(props, "signature", sarif_string(c->signature));
    json_object_object_add(props, "phase", sarif_string(c->phase));
    json_object_object_add(props, "crashes", json_object_new_int64(c->crashes));
    json_object_object_add(props, "trials", json_object_new_int64(c->trials));
    json_object_object_add(res, "properties", props);
    return res;
}

json_object *ci_sarif(const struct ci_run *r)
{
    json_object *log = json_object_new_object(), *run = json_object_new_object();
    json_object *driver = json_object_new_object(), *tool = json_object_new_object();
    json_object *rules = json_object_new_array(), *artifacts = json_object_new_array();
    json_object *results = json_object_new_array();
    json_object_object_add(log, "$schema", json_object_new_string(SARIF_SCHEMA));
    json_object_object_add(log, "version", json_object_new_string("2.1.0"));
    json_object_object_add(driver, "name", json_object_new_string("qmprace"));
    json_object_object_add(driver, "version", json_object_new_string(r->version ? r->version : "unknown"));
    for (size_t i = 0; i < r->n; i++)
        json_object_array_add(results, sarif_result(&r->findings[i], r->profile->target, rules, artifacts));
    json_object_object_add(driver, "rules", rules);
    json_object_object_add(tool, "driver", driver);
    json_object_object_add(run, "tool", tool);

    json_object *inv = json_object_new_object(), *props = json_object_new_object();
    json_object_object_add(inv, "executionSuccessful", json_object_new_boolean(!r->interrupted));
    char cmd[64];
    snprintf(cmd, sizeof cmd, "qmprace %s", r->command);
    json_object_object_add(inv, "commandLine", json_object_new_string(cmd));
    json_object_object_add(props, "profile", profile_json(r->profile));
    json_object_object_add(props, "duration", json_object_new_string(r->duration ? r->duration : ""));
    json_object_object_add(props, "elapsedSeconds", json_object_new_double(r->elapsed_us / 1e6));
    json_object_object_add(inv, "properties", props);
    json_object_object_add(run, "invocations", sarif_one(inv));
    json_object_object_add(run, "artifacts", artifacts);
    json_object_object_add(run, "results", results);
    json_object_object_add(log, "runs", sarif_one(run));
    return log;
}

int ci_sarif_write(const char *path, const struct ci_run *r, struct err *e)
{
    json_object *log = ci_sarif(r);
    if (!log)
        return err_set(e, "out of memory");
    int rc = wholefile_write_text(path, json_object_to_json_string_ext(log, JSON_C_TO_STRING_PRETTY |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE), e);
    json_object_put(log);
    return rc;
}

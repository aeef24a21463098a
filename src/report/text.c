/* text: text made safe for the formats CI reads: XML 1.0 and JSON strings (see ci_report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_report.h"

/* The length of the valid UTF-8 sequence (2 to 4 bytes) at `s` of a character XML 1.0 allows, or 0. */
static size_t text_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    unsigned cp = c & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return n;
}

char *ci_xml_escape(const char *s)
{
    size_t cap = strlen(s) * 6 + 1, o = 0; /* the longest: "&quot;" per byte, "\xNN" is 4 */
    char *out = malloc(cap);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const char *ent = NULL;
        switch (*p) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&apos;"; break;
        case '\t': ent = "&#9;"; break;
        case '\n': ent = "&#10;"; break;
        case '\r': ent = "&#13;"; break;
        default: break;
        }
        if (ent) {
            o += (size_t)snprintf(out + o, cap - o, "%s", ent);
            p++;
        } else if (*p < 0x20 || *p == 0x7F) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
            p++;
        } else if (*p < 0x80) {
            out[o++] = (char)*p++;
        } else {
            size_t n = text_utf8_len(p);
            if (n) {
                memcpy(out + o, p, n);
                o += n;
                p += n;
            } else {
                o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
                p++;
            }
        }
    }
    out[o] = '\0';
    return out;
}

char *ci_utf8_clean(const char *s)
{
    size_t cap = strlen(s) * 4 + 1, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : text_utf8_len(p);
        if (n) {
            memcpy(out + o, p, n);
            o += n;
            p += n;
        } else {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p++);
        }
    }
    out[o] = '\0';
    return out;
}

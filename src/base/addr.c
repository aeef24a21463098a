/* addr: unix and loopback TCP addresses (see addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static int parse_tcp(const char *spec, const char *rest, bool any_port, struct addr *out, struct err *e)
{
    const char *colon = strrchr(rest, ':');
    if (!colon || colon == rest)
        return err_set(e, "'%s': expected tcp:HOST:PORT", spec);
    char host[64];
    size_t hlen = (size_t)(colon - rest);
    if (hlen >= 2 && rest[0] == '[' && rest[hlen - 1] == ']') {
        rest++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return err_set(e, "'%s': host too long", spec);
    memcpy(host, rest, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");

    const char *ps = colon + 1;
    unsigned long port = 0;
    bool digits = *ps && strlen(ps) <= 5 && strspn(ps, "0123456789") == strlen(ps);
    if (digits)
        for (const char *c = ps; *c; c++)
            port = port * 10 + (unsigned long)(*c - '0');
    if (!digits || port > 65535 || (port == 0 && !any_port))
        return err_set(e, "'%s': bad port '%s' (1 to 65535)", spec, ps);

    memset(out, 0, sizeof *out);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127)
            return err_set(e, "'%s': loopback only (127.0.0.0/8, ::1): qmprace never talks beyond this host",
                           spec);
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        out->len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return err_set(e, "'%s': loopback only (127.0.0.0/8, ::1): qmprace never talks beyond this host",
                           spec);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *in6;
        return 0;
    }
    return err_set(e, "'%s': the host must be a numeric loopback address (127.0.0.1, ::1) or localhost", spec);
}

int addr_parse(const char *spec, bool any_port, struct addr *out, struct err *e)
{
    if (!spec)
        return err_set(e, "no address given");
    if (strncmp(spec, "unix:", 5) == 0) {
        const char *path = spec + 5;
        struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
        if (!*path)
            return err_set(e, "'%s': empty unix socket path", spec);
        if (strlen(path) >= sizeof un->sun_path)
            return err_set(e, "'%s': unix socket path longer than %zu bytes", spec, sizeof un->sun_path - 1);
        memset(out, 0, sizeof *out);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, strlen(path) + 1);
        out->len = sizeof *un;
        return 0;
    }
    if (strncmp(spec, "tcp:", 4) == 0)
        return parse_tcp(spec, spec + 4, any_port, out, e);
    return err_set(e, "'%s': expected tcp:HOST:PORT or unix:PATH", spec);
}

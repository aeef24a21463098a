/* hostile_peer: a scripted QMP server for the end-to-end tests (tests/e2e/e2e_hostile_peer.sh,
 * tests/e2e/e2e_interrupt.sh): it serves `qmprace run --target qmp:unix:PATH` one connection after another,
 * each the same way, chosen by MODE. `normal` is a VMM whose migrations complete at once; the other modes
 * misbehave in one way each (see `modes` below). It is plain POSIX and json-c, not qmprace's own code, so
 * a bug there cannot hide itself. It appends one line per connection (and what it measured) to LOG.
 *
 *   hostile_peer PATH MODE LOG
 *
 * Bounded: it exits (removing PATH) on SIGTERM/SIGINT, or after 60 s without a connection; every wait
 * inside a connection ends after 30 s. Never used outside tests. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#define IDLE_MS 60000
#define WAIT_MS 30000
#define GIANT_MAX (64u << 20) /* far past the client's 1 MiB limit: it must stop reading long before */

#define GREETING                                                                                       \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": "    \
    "\"hostile_peer\"}, \"capabilities\": [\"oob\"]}}\r\n"

static const char *const modes[] = {
    "normal",           /* greets, answers everything, migrations complete at once */
    "silent",           /* accepts and never says a word */
    "close",            /* closes at once */
    "close-first",      /* closes the first connection at once, then behaves as normal */
    "cut-greeting",     /* half a greeting, then closes */
    "greeting-garbage", /* the greeting, then a line that is not JSON */
    "garbage",          /* behaves until the first command after qmp_capabilities, answers it with garbage */
    "giant",            /* answers the first command with one message far bigger than 1 MiB */
    "no-return",        /* answers the first command with neither "return" nor "error" */
    "unknown-ids",      /* before each reply: replies to ids nobody sent */
    "unknown-events",   /* after `migrate`: events and MIGRATION statuses nobody knows, and `failing` */
    "cut",              /* answers the first command with half a reply, then closes */
    "reset",            /* closes with the client's next command unread (a reset on unix sockets) */
    "stop-reading",     /* after qmp_capabilities: never reads or answers again */
    "odd-replies",      /* query-migrate's status is null, query-yank lists nulls and odd types */
    NULL,
};

static volatile sig_atomic_t stop;
static FILE *log_file;
static char path[108];

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}

static bool wait_for(int fd, short events, int ms)
{
    struct pollfd p = {fd, events, 0};
    int rc;
    do
        rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR && !stop);
    return rc > 0;
}

/* Writes all of it, or stops at the first error (the client went away); returns the bytes written. */
static size_t say_n(int fd, const char *s, size_t n)
{
    size_t done = 0;
    while (done < n && !stop) {
        ssize_t w = send(fd, s + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    return done;
}

static void say(int fd, const char *s)
{
    say_n(fd, s, strlen(s));
}

struct conn {
    int fd;
    char buf[65536];
    size_t len;
};

/* The next command (one JSON object per line, as qmprace sends them), or NULL at EOF, error or timeout. */
static json_object *next_command(struct conn *c)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            *nl = '\0';
            json_object *o = json_tokener_parse(c->buf);
            size_t used = (size_t)(nl + 1 - c->buf);
            memmove(c->buf, nl + 1, c->len - used);
            c->len -= used;
            if (o)
                return o;
            continue;
        }
        if (c->len == sizeof c->buf || stop || !wait_for(c->fd, POLLIN, WAIT_MS))
            return NULL;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        c->len += (size_t)n;
    }
}

/* Reads and drops commands until the client goes away. */
static void ignore_commands(struct conn *c)
{
    json_object *o;
    while ((o = next_command(c)))
        json_object_put(o);
}

static const char *member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* {"return": RET, "id": <the command's id>} */
static void reply(struct conn *c, json_object *cmd, const char *ret)
{
    json_object *id = NULL;
    json_object_object_get_ex(cmd, "id", &id);
    char line[4096];
    snprintf(line, sizeof line, "{\"return\": %s, \"id\": %s}\r\n", ret,
             id ? json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN) : "null");
    say(c->fd, line);
}

static void event(struct conn *c, const char *name, const char *data)
{
    char line[1024];
    snprintf(line, sizeof line,
             "{\"timestamp\": {\"seconds\": 1795739090, \"microseconds\": 844221}, \"event\": \"%s\"%s%s}\r\n",
             name, data ? ", \"data\": " : "", data ? data : "");
    say(c->fd, line);
}

static void unknown_events(struct conn *c)
{
    event(c, "MIGRATION", "{\"status\": \"setup\"}");
    event(c, "FROBNICATED", "{\"how\": [1, 2, {\"x\": null}]}");
    event(c, "MIGRATION", "{\"status\": \"frobbing\"}");
    event(c, "MIGRATION", "{\"status\": \"failing\"}");
    event(c, "MIGRATION", "{\"status\": \"\"}");
    event(c, "MIGRATION", "{\"status\": 42}");
    event(c, "MIGRATION", "{\"status\": {\"nested\": \"failed\"}}");
    event(c, "MIGRATION", "{\"status\": null}");
    event(c, "MIGRATION", "{}");
    event(c, "MIGRATION", "[\"not\", \"an\", \"object\"]");
    event(c, "MIGRATION", NULL);
    say(c->fd, "{\"event\": 7, \"data\": {\"status\": \"failed\"}}\r\n");
    say(c->fd, "{\"event\": \"MIGRATION\", \"data\": {\"status\": \"completed\"}}\r\n");
}

static void giant(struct conn *c)
{
    static char chunk[65536];
    memset(chunk, 'a', sizeof chunk);
    static const char head[] = "{\"event\": \"GIANT\", \"data\": {\"s\": \"";
    size_t total = say_n(c->fd, head, sizeof head - 1);
    while (total < GIANT_MAX && !stop) {
        size_t w = say_n(c->fd, chunk, sizeof chunk);
        total += w;
        if (w < sizeof chunk)
            break;
    }
    note("giant: wrote %zu bytes before the client stopped reading", total);
}

/* Serves one connection in `mode`. */
static void serve(int fd, const char *mode)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->fd = fd;
    if (strcmp(mode, "close") == 0)
        goto out;
    if (strcmp(mode, "silent") == 0) {
        ignore_commands(c);
        goto out;
    }
    if (strcmp(mode, "cut-greeting") == 0) {
        say_n(fd, GREETING, 40);
        goto out;
    }
    say(fd, GREETING);
    if (strcmp(mode, "greeting-garbage") == 0) {
        say(fd, "hello, I am not JSON\r\n");
        ignore_commands(c);
        goto out;
    }
    bool first = true;
    json_object *cmd;
    while ((cmd = next_command(c))) {
        const char *name = member(cmd, "execute");
        if (!name)
            name = member(cmd, "exec-oob");
        if (!name)
            name = "";
        if (strcmp(name, "qmp_capabilities") == 0) {
            reply(c, cmd, "{}");
            json_object_put(cmd);
            if (strcmp(mode, "stop-reading") == 0) {
                /* never read again: only the client's close ends this */
                wait_for(fd, POLLRDHUP, WAIT_MS);
                goto out;
            }
            if (strcmp(mode, "reset") == 0) {
                wait_for(fd, POLLIN, WAIT_MS);
                goto out;
            }
            continue;
        }
        bool was_first = first;
        first = false;
        if (was_first && strcmp(mode, "garbage") == 0) {
            say(fd, "{\"return\": {}} <html>not QMP</html>\r\n");
        } else if (was_first && strcmp(mode, "giant") == 0) {
            giant(c);
        } else if (was_first && strcmp(mode, "no-return") == 0) {
            json_object *id = NULL;
            json_object_object_get_ex(cmd, "id", &id);
            char line[256];
            snprintf(line, sizeof line, "{\"id\": %s}\r\n", json_object_to_json_string(id));
            say(fd, line);
        } else if (was_first && strcmp(mode, "cut") == 0) {
            say(fd, "{\"return\": {\"sta");
            json_object_put(cmd);
            goto out;
        } else {
            if (strcmp(mode, "unknown-ids") == 0) {
                say(fd, "{\"return\": {}, \"id\": 123456}\r\n");
                say(fd, "{\"return\": {\"status\": \"failed\"}, \"id\": \"nobody\"}\r\n");
                say(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"not yours\"}, \"id\": [1]}\r\n");
                say(fd, "{\"return\": {}, \"id\": null}\r\n");
            }
            bool odd = strcmp(mode, "odd-replies") == 0;
            if (strcmp(name, "query-migrate") == 0)
                reply(c, cmd, odd ? "{\"status\": null, \"extra\": [1]}" : "{\"status\": \"completed\"}");
            else if (strcmp(name, "query-yank") == 0)
                reply(c, cmd, odd ? "[null, 5, {\"type\": null}, {\"type\": 7}, {}]" : "[]");
            else
                reply(c, cmd, "{}");
            if (strcmp(name, "migrate") == 0 && strcmp(mode, "unknown-events") == 0)
                unknown_events(c);
        }
        json_object_put(cmd);
    }
out:
    free(c);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hostile_peer PATH MODE LOG\n");
        return 2;
    }
    bool known = false;
    for (size_t i = 0; modes[i]; i++)
        known = known || strcmp(modes[i], argv[2]) == 0;
    if (!known || strlen(argv[1]) >= sizeof path) {
        fprintf(stderr, "hostile_peer: unknown mode '%s' or path too long\n", argv[2]);
        return 2;
    }
    snprintf(path, sizeof path, "%s", argv[1]);
    log_file = fopen(argv[3], "a");
    if (!log_file) {
        perror(argv[3]);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The socket appears at PATH only once it listens (bound under another name, then renamed): the
     * test connects as soon as PATH exists, and between bind() and listen() a connect is refused. */
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    int len = snprintf(un.sun_path, sizeof un.sun_path, "%s.new", path);
    if (len < 0 || (size_t)len >= sizeof un.sun_path) {
        fprintf(stderr, "hostile_peer: path too long for a unix socket: %s\n", path);
        return 2;
    }
    unlink(un.sun_path);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&un, sizeof un) < 0 || listen(lfd, 8) < 0 ||
        rename(un.sun_path, path) < 0) {
        perror(path);
        unlink(un.sun_path);
        return 2;
    }
    unsigned n = 0;
    while (!stop && wait_for(lfd, POLLIN, IDLE_MS)) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        note("connection %u: %s", ++n, argv[2]);
        serve(fd, strcmp(argv[2], "close-first") != 0 ? argv[2] : n == 1 ? "close" : "normal");
        close(fd);
    }
    close(lfd);
    unlink(path);
    fclose(log_file);
    return 0;
}

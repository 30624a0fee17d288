/* rm_host.c -- the text formats of blueprints: host words and fuse-apply's
 * summary line. No I/O, so both are fuzzed (tests/fuzz/fuzz_rmhost.c). */
#include "rm.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* Bytes no host word needs, and that would change what ssh or a terminal
 * make of it: whitespace, controls, quotes, and the shell's specials. */
static int rm_bad_byte(unsigned char c)
{
    return c <= ' ' || c == 0x7f || strchr("\"'`$;&|<>\\*?(){}!#", c) != NULL;
}

static int rm_fail(const char *word, const char *why, strbuf *err)
{
    sb_addf(err, "\"%s\" is not a host: %s", word, why);
    return -1;
}

/* The port after ':' (digits 1-65535), or NULL for none. */
static int rm_port(const char *word, const char *p, rm_host *h, strbuf *err)
{
    if (!*p)
        return 0;
    if (*p != ':')
        return rm_fail(word, "expected [USER@]HOST[:PORT]", err);
    long n = 0;
    const char *d = ++p;
    for (; *d >= '0' && *d <= '9' && n <= 65535; d++)
        n = n * 10 + (*d - '0');
    if (d == p || *d || n < 1 || n > 65535)
        return rm_fail(word, "the port must be a number from 1 to 65535", err);
    h->port = xstrdup(p);
    return 0;
}

int rm_host_parse(const char *word, rm_host *h, strbuf *err)
{
    memset(h, 0, sizeof *h);
    for (const char *p = word; *p; p++)
        if (rm_bad_byte((unsigned char)*p))
            return rm_fail(word, "it holds a space, quote or shell character", err);
    const char *at = strrchr(word, '@');
    const char *host = at ? at + 1 : word;
    if (at && (at == word || word[0] == '-'))
        return rm_fail(word, "the user before @ must be a name not starting with '-'", err);
    const char *end;
    if (*host == '[') {
        /* [v6 address]:port, as ssh's own ssh://[::1]:22 */
        end = strchr(host, ']');
        if (!end || end == host + 1)
            return rm_fail(word, "a bracketed address needs its closing ]", err);
        host++;
    } else {
        end = host + strcspn(host, ":");
    }
    if (end == host || *host == '-')
        return rm_fail(word, "the host name must not be empty or start with '-'", err);
    if (rm_port(word, *end == ']' ? end + 1 : end, h, err) < 0)
        return -1;
    h->name = xmemdup(host, (size_t)(end - host));
    if (strchr(h->name, '@') || (strchr(h->name, '[') || strchr(h->name, ']'))) {
        rm_host_free(h);
        return rm_fail(word, "expected [USER@]HOST[:PORT]", err);
    }
    h->user = at ? xmemdup(word, (size_t)(at - word)) : NULL;
    return 0;
}

void rm_host_free(rm_host *h)
{
    free(h->user);
    free(h->name);
    free(h->port);
    memset(h, 0, sizeof *h);
}

int rm_hosts_check(const fv *hosts, strbuf *err)
{
    if (!hosts || hosts->n == 0) {
        sb_adds(err, "blueprint: no hosts: give hosts = { \"web1\", ... } or hosts=web1;web2");
        return -1;
    }
    for (size_t i = 0; i < hosts->n; i++) {
        rm_host h;
        strbuf why = STRBUF_INIT;
        if (hosts->items[i]->kind != FV_STR || rm_host_parse(hosts->items[i]->str, &h, &why) < 0) {
            sb_addf(err, "blueprint: hosts: %s", why.len ? why.buf : "must be strings");
            sb_release(&why);
            return -1;
        }
        rm_host_free(&h);
    }
    return 0;
}

int rm_user_check(const char *user, strbuf *err)
{
    if (user && (!*user || *user == '-' || strpbrk(user, " \t\n@:'\"$;&|<>\\"))) {
        sb_addf(err, "blueprint: user \"%s\" is not a login name", user);
        return -1;
    }
    return 0;
}

/* Reads a decimal count and the space after it; NULL when there is none. */
static const char *rm_count(const char *p, const char *end, unsigned long *out)
{
    const char *d = p;
    unsigned long n = 0;
    for (; d < end && *d >= '0' && *d <= '9' && d - p < 18; d++)
        n = n * 10 + (unsigned long)(*d - '0');
    if (d == p || (d < end && *d != ' '))
        return NULL;
    *out = n;
    return d < end ? d + 1 : d;
}

int rm_summary_parse(const char *line, size_t len, rm_summary *s)
{
    static const char tag[] = "fuse-apply-summary ";
    const char *end = line + len, *p = line + sizeof tag - 1;
    if (len < sizeof tag - 1 || memcmp(line, tag, sizeof tag - 1) != 0)
        return 0;
    unsigned long n[3];
    for (int i = 0; i < 3; i++)
        if (!(p = rm_count(p, end, &n[i])) || (i < 2 && p == end))
            return 0;
    sb_reset(&s->failed);
    sb_reset(&s->why);
    s->changed = n[0], s->same = n[1], s->total = n[2];
    if (p == end)
        return 1;
    static const char failed[] = "failed ";
    if ((size_t)(end - p) < sizeof failed - 1 || memcmp(p, failed, sizeof failed - 1) != 0)
        return 0;
    p += sizeof failed - 1;
    const char *tab = memchr(p, '\t', (size_t)(end - p));
    if (p == end || tab == p)
        return 0; /* "failed" names the resource */
    sb_add(&s->failed, p, (size_t)((tab ? tab : end) - p));
    if (tab)
        sb_add(&s->why, tab + 1, (size_t)(end - tab - 1));
    return 1;
}

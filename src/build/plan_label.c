/* plan_label.c -- the fuse.plan label's text: written, and read back
 * strictly (plan.h). Apart from plan.c so the fuzzer needs nothing else. */
#include "plan.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        sb_release(&p->steps[i].fields);
    free(p->steps);
    sb_release(&p->base);
    memset(p, 0, sizeof *p);
    sb_init(&p->base);
}

void plan_label(const plan *p, strbuf *out)
{
    sb_addf(out, PLAN_VERSION " W=%s B=%s T=%s P=%s O=%s M=%s S=", p->whole, p->base.buf, p->t,
            p->p, p->o, p->m);
    for (size_t i = 0; i < p->n; i++) {
        const plan_step *st = &p->steps[i];
        sb_addf(out, "%s%s,%s,%s,%s", i ? ";" : "", st->key, st->type, st->src, st->fields.buf);
    }
}

/* Copies exactly n lowercase hex digits from s, then expects one of end's
 * characters (never the string's own end: strchr would find the NUL of end
 * too, and the caller steps over the character it expected). */
static const char *plan_take_hex(const char *s, size_t n, char *out, const char *end)
{
    if (strspn(s, "0123456789abcdef") != n || s[n] == '\0' || !strchr(end, s[n]))
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return s + n;
}

static const char *plan_take_kv(const char *s, const char *key, size_t n, char *out)
{
    size_t kl = strlen(key);
    if (strncmp(s, key, kl) != 0)
        return NULL;
    s = plan_take_hex(s + kl, n, out, " ");
    return s ? s + 1 : NULL;
}

/* "IDX:HASH6" joined by '.', or "-"; *n set to its length. */
static int plan_fields_ok(const char *s, size_t *n)
{
    if (*s == '-') {
        *n = 1;
        return 1;
    }
    const char *p = s;
    for (;;) {
        size_t d = strspn(p, "0123456789");
        if (d == 0 || d > 3 || p[d] != ':' || strspn(p + d + 1, "0123456789abcdef") != 6)
            return 0;
        p += d + 7;
        if (*p != '.')
            break;
        p++;
    }
    *n = (size_t)(p - s);
    return 1;
}

static const char *plan_take_step(const char *s, plan_step *st)
{
    size_t n;
    if (!(s = plan_take_hex(s, 16, st->key, ",")) || !(s = plan_take_hex(s + 1, 4, st->type, ",")))
        return NULL;
    s++;
    if (*s == '-' && s[1] == ',') {
        strcpy(st->src, "-");
        s++;
    } else if (!(s = plan_take_hex(s, 8, st->src, ","))) {
        return NULL;
    }
    s++;
    if (!plan_fields_ok(s, &n) || (s[n] != ';' && s[n] != '\0'))
        return NULL;
    sb_add(&st->fields, s, n);
    return s + n;
}

int plan_parse(plan *p, const char *label)
{
    memset(p, 0, sizeof *p);
    sb_init(&p->base);
    p->no_cache = -1;
    const char *s = label;
    char base[SHA256_HEX + 1];
    if (!s || strncmp(s, PLAN_VERSION " ", 2) != 0)
        return -1;
    s += 2;
    if (!(s = plan_take_kv(s, "W=", SHA256_HEX, p->whole)))
        return -1;
    if (strncmp(s, "B= ", 3) == 0) {
        base[0] = '\0';
        s += 3;
    } else if (!(s = plan_take_kv(s, "B=", SHA256_HEX, base))) {
        return -1;
    }
    sb_adds(&p->base, base);
    if (!(s = plan_take_kv(s, "T=", 8, p->t)) || !(s = plan_take_kv(s, "P=", 8, p->p)) ||
        !(s = plan_take_kv(s, "O=", 8, p->o)) || !(s = plan_take_kv(s, "M=", 8, p->m)) ||
        strncmp(s, "S=", 2) != 0)
        goto bad;
    s += 2;
    size_t cap = 0;
    while (*s) {
        ALLOC_GROW(p->steps, p->n + 1, cap);
        plan_step *st = &p->steps[p->n++];
        memset(st, 0, sizeof *st);
        sb_init(&st->fields);
        if (!(s = plan_take_step(s, st)))
            goto bad;
        if (*s == ';' && *++s == '\0')
            goto bad;
    }
    return 0;
bad:
    plan_free(p);
    return -1;
}

int plan_fresh(const plan *p, const char *label)
{
    plan old;
    if (p->no_cache >= 0 || plan_parse(&old, label) < 0)
        return 0;
    int fresh = strcmp(old.whole, p->whole) == 0;
    plan_free(&old);
    return fresh;
}

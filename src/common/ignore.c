/* ignore.c -- .dockerignore-style exclude patterns (see ignore.h).
 *
 * A pattern is compiled into its path components; matching walks the
 * components of the path with one backtracking point for "**" and, inside
 * a component, one for "*" (the classic wildcard algorithm). Each token but
 * a star consumes exactly one character or one component, so retrying from
 * the latest star is enough and the time stays polynomial whatever the
 * pattern: no recursion, nothing exponential for a fuzzer to find. */
#include "ignore.h"

#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ign_pat {
    char *buf;   /* the cleaned components, NUL-separated */
    char **segs; /* into buf */
    size_t nseg;
    int negate;   /* "!pattern" */
    int dir_only; /* "pattern/" */
    int dstar;    /* some component is "**" */
} ign_pat;

struct ign_list {
    ign_pat *pats;
    size_t n, alloc;
    int negations;
};

/* A path component of the path being matched (not NUL-terminated). */
typedef struct ign_comp {
    const char *s;
    size_t n;
} ign_comp;

ign_list *ign_new(void)
{
    return xcalloc(1, sizeof(ign_list));
}

void ign_free(ign_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->pats[i].buf);
        free(l->pats[i].segs);
    }
    free(l->pats);
    free(l);
}

static int ign_is_dstar(const char *seg)
{
    return seg[0] == '*' && seg[1] == '*' && seg[2] == '\0';
}

/* One character of a class, "\x" escaped; advances *p. -1 at the end. */
static int ign_class_char(const char **p, unsigned char *c)
{
    const char *s = *p;
    if (*s == '\\')
        s++;
    if (*s == '\0')
        return -1;
    *c = (unsigned char)*s;
    *p = s + 1;
    return 0;
}

/* The class starting at p (just after "["): 1 when c is in it, 0 when not,
 * -1 when the class is malformed; *end gets the position after "]". A "]"
 * right after "[" (or "[^") is a member, as in fnmatch. */
static int ign_class(const char *p, unsigned char c, const char **end)
{
    int neg = 0, hit = 0;
    size_t n = 0;
    if (*p == '^' || *p == '!') {
        neg = 1;
        p++;
    }
    for (;; n++) {
        if (*p == '\0')
            return -1;
        if (*p == ']' && n > 0)
            break;
        unsigned char lo, hi;
        if (ign_class_char(&p, &lo) < 0)
            return -1;
        hi = lo;
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            p++;
            if (ign_class_char(&p, &hi) < 0 || hi < lo)
                return -1;
        }
        hit |= c >= lo && c <= hi;
    }
    *end = p + 1;
    return hit != neg;
}

/* Checks the syntax of one component; NULL when good, else the reason. */
static const char *ign_check_seg(const char *p)
{
    while (*p) {
        if (*p == '\\') {
            if (p[1] == '\0')
                return "ends with a lone \\";
            p += 2;
        } else if (*p == '[') {
            const char *end;
            if (ign_class(p + 1, 0, &end) < 0)
                return "has an unclosed or malformed [...] class";
            p = end;
        } else {
            p++;
        }
    }
    return NULL;
}

/* 1 when component s (n bytes) matches the glob p (one component). */
static int ign_seg_match(const char *p, const char *s, size_t n)
{
    const char *star = NULL;
    size_t star_i = 0, i = 0;
    while (i < n) {
        if (*p == '*') {
            star = ++p;
            star_i = i;
            continue;
        }
        if (*p) {
            unsigned char c = (unsigned char)s[i];
            const char *next = p + 1;
            int ok;
            if (*p == '?')
                ok = 1;
            else if (*p == '[')
                ok = ign_class(p + 1, c, &next) == 1;
            else if (*p == '\\')
                ok = (unsigned char)p[1] == c, next = p + 2;
            else
                ok = (unsigned char)*p == c;
            if (ok) {
                p = next;
                i++;
                continue;
            }
        }
        if (!star)
            return 0;
        /* Let the latest star take one more character, retry after it. */
        p = star;
        i = ++star_i;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* 1 when the pattern's components match the n components c exactly. */
static int ign_segs_match(const ign_pat *pt, const ign_comp *c, size_t n)
{
    size_t i = 0, j = 0, star = SIZE_MAX, star_j = 0;
    while (j < n) {
        if (i < pt->nseg && ign_is_dstar(pt->segs[i])) {
            star = ++i;
            star_j = j;
            continue;
        }
        if (i < pt->nseg && ign_seg_match(pt->segs[i], c[j].s, c[j].n)) {
            i++;
            j++;
            continue;
        }
        if (star == SIZE_MAX)
            return 0;
        i = star;
        j = ++star_j;
    }
    while (i < pt->nseg && ign_is_dstar(pt->segs[i]))
        i++;
    return i == pt->nseg;
}

/* Splits a cleaned copy of pattern into components: empty ones and "."
 * dropped, ".." taking back the one before it (as a path would). */
static void ign_split(ign_pat *pt, const char *pattern)
{
    size_t len = strlen(pattern), alloc = 0;
    pt->buf = xmalloc(len + 1);
    char *w = pt->buf;
    const char *p = pattern;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.' && pt->nseg > 0 &&
            strcmp(pt->segs[pt->nseg - 1], "..") != 0) {
            w = pt->segs[--pt->nseg];
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            ALLOC_GROW(pt->segs, pt->nseg + 1, alloc);
            pt->segs[pt->nseg++] = w;
            memcpy(w, p, n);
            w[n] = '\0';
            pt->dstar |= ign_is_dstar(w);
            w += n + 1;
        }
        p += n;
        if (*p == '/')
            p++;
    }
}

int ign_add(ign_list *l, const char *pattern, strbuf *err)
{
    ign_pat pt = {0};
    if (*pattern == '!') {
        pt.negate = 1;
        pattern++;
    }
    size_t len = strlen(pattern);
    pt.dir_only = len > 0 && pattern[len - 1] == '/';
    ign_split(&pt, pattern);
    for (size_t i = 0; i < pt.nseg; i++) {
        const char *why = ign_check_seg(pt.segs[i]);
        if (why) {
            sb_adds(err, why);
            free(pt.buf);
            free(pt.segs);
            return -1;
        }
    }
    ALLOC_GROW(l->pats, l->n + 1, l->alloc);
    l->pats[l->n++] = pt;
    l->negations |= pt.negate;
    return 0;
}

int ign_add_text(ign_list *l, const char *text, size_t len, const char *origin, strbuf *err)
{
    strbuf line = STRBUF_INIT, why = STRBUF_INIT;
    size_t lineno = 0;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        /* Surrounding blanks (a CR of CRLF included) are not part of it. */
        const char *b = text + pos;
        pos += n + 1;
        while (n && (*b == ' ' || *b == '\t')) {
            b++;
            n--;
        }
        sb_reset(&line);
        sb_add(&line, b, n);
        sb_rtrim(&line);
        if (line.len == 0 || line.buf[0] == '#')
            continue;
        if (memchr(line.buf, '\0', line.len)) {
            sb_addf(err, "%s:%zu: a pattern must not contain a NUL byte", origin, lineno);
            rc = -1;
        } else if (ign_add(l, line.buf, &why) < 0) {
            sb_addf(err, "%s:%zu: bad pattern \"", origin, lineno);
            /* One line whatever the file holds: control bytes as \xHH. */
            for (size_t i = 0; i < line.len; i++) {
                unsigned char c = (unsigned char)line.buf[i];
                if (c < 0x20 || c == 0x7f)
                    sb_addf(err, "\\x%02x", c);
                else
                    sb_addc(err, c);
            }
            sb_addf(err, "\": %s", why.buf);
            rc = -1;
        }
    }
    sb_release(&line);
    sb_release(&why);
    return rc;
}

/* 1 when pt matches the first k of the n components c of a path. */
static int ign_pat_matches(const ign_pat *pt, const ign_comp *c, size_t n, int is_dir)
{
    if (pt->nseg == 0)
        return 0;
    /* Without "**" only the prefix of as many components can match. */
    size_t from = pt->dstar ? 1 : pt->nseg, to = pt->dstar ? n : pt->nseg;
    for (size_t k = from; k <= to && k <= n; k++) {
        /* Every proper prefix of a path is a directory. */
        if (pt->dir_only && k == n && !is_dir)
            continue;
        if (ign_segs_match(pt, c, k))
            return 1;
    }
    return 0;
}

int ign_match(const ign_list *l, const char *path, int is_dir)
{
    if (l->n == 0)
        return 0;
    ign_comp stack[64], *c = stack;
    size_t n = 0, alloc = 0;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len) {
            if (c == stack && n == sizeof stack / sizeof *stack) {
                c = NULL;
                ALLOC_GROW(c, 2 * n, alloc);
                memcpy(c, stack, sizeof stack);
            } else if (c != stack) {
                ALLOC_GROW(c, n + 1, alloc);
            }
            c[n++] = (ign_comp){p, len};
        }
        p += len;
        if (*p == '/')
            p++;
    }
    int excluded = 0;
    for (size_t i = 0; i < l->n; i++)
        if (ign_pat_matches(&l->pats[i], c, n, is_dir))
            excluded = !l->pats[i].negate;
    if (c != stack)
        free(c);
    return excluded;
}

int ign_has_negation(const ign_list *l)
{
    return l->negations;
}

size_t ign_count(const ign_list *l)
{
    return l->n;
}

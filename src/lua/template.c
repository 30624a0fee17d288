/* template.c -- {{ name }} placeholders (template.h). One pass over the
 * buffer, left to right: text is copied, "{{{{" gives "{{", and every other
 * "{{" must be a whole placeholder closed on its line. */
#include "template.h"

#include <string.h>

/* How much of a placeholder's text an error message quotes. */
#define TPL_QUOTE_MAX 60

typedef struct tpl_scan {
    const char *p, *end;
    size_t line;
} tpl_scan;

static int tpl_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int tpl_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int tpl_alnum(char c)
{
    return tpl_alpha(c) || (c >= '0' && c <= '9');
}

/* Whether name (len bytes) is segments of [A-Za-z_][A-Za-z0-9_]* joined
 * by single dots. */
static int tpl_name_ok(const char *name, size_t len)
{
    int at_start = 1;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (at_start)
                return 0;
            at_start = 1;
        } else if (at_start ? !tpl_alpha(c) : !tpl_alnum(c)) {
            return 0;
        } else {
            at_start = 0;
        }
    }
    return len > 0 && !at_start;
}

/* The placeholder's inside runs from s to its "}}" (or the line's end). */
static const char *tpl_close(const char *s, const char *end)
{
    for (; s + 1 < end && *s != '\n'; s++)
        if (s[0] == '}' && s[1] == '}')
            return s;
    return NULL;
}

static void tpl_quote(strbuf *err, const char *s, size_t len)
{
    if (len > TPL_QUOTE_MAX)
        sb_addf(err, "{{%.*s...", TPL_QUOTE_MAX, s);
    else
        sb_addf(err, "{{%.*s}}", (int)len, s);
}

/* One placeholder; sc->p is just past its "{{". */
static int tpl_placeholder(tpl_scan *sc, tpl_lookup_fn lookup, void *ud, strbuf *out, strbuf *err)
{
    const char *in = sc->p, *close = tpl_close(in, sc->end);
    if (!close) {
        sb_adds(err, "unclosed {{ (a literal {{ is written {{{{)");
        return -1;
    }
    const char *a = in, *b = close;
    while (a < b && tpl_blank(*a))
        a++;
    while (b > a && tpl_blank(b[-1]))
        b--;
    if (!tpl_name_ok(a, (size_t)(b - a))) {
        sb_adds(err, "bad placeholder ");
        tpl_quote(err, in, (size_t)(close - in));
        sb_adds(err, ": a name is letters, digits and _, parts joined by '.' (a literal {{ is "
                     "written {{{{)");
        return -1;
    }
    strbuf why = STRBUF_INIT;
    int rc = lookup(a, (size_t)(b - a), out, &why, ud);
    if (rc == 1)
        sb_addf(err, "no value for {{ %.*s }}", (int)(b - a), a);
    else if (rc != 0)
        sb_addf(err, "{{ %.*s }}: %s", (int)(b - a), a, why.len ? why.buf : "cannot be written");
    sb_release(&why);
    sc->p = close + 2;
    return rc == 0 ? 0 : -1;
}

int tpl_render(const char *src, size_t len, tpl_lookup_fn lookup, void *ud, strbuf *out,
               size_t *line, strbuf *err)
{
    tpl_scan sc = {src, src + len, 1};
    while (sc.p < sc.end) {
        const char *open = NULL;
        for (const char *s = sc.p; s + 1 < sc.end; s++) {
            if (s[0] == '{' && s[1] == '{') {
                open = s;
                break;
            }
        }
        const char *stop = open ? open : sc.end;
        for (const char *s = sc.p; s < stop; s++)
            sc.line += *s == '\n';
        sb_add(out, sc.p, (size_t)(stop - sc.p));
        if (!open)
            break;
        if (sc.end - open >= 4 && memcmp(open, "{{{{", 4) == 0) {
            sb_adds(out, "{{");
            sc.p = open + 4;
            continue;
        }
        sc.p = open + 2;
        if (tpl_placeholder(&sc, lookup, ud, out, err) != 0) {
            *line = sc.line;
            return -1;
        }
    }
    return 0;
}

void tpl_escape(const char *s, size_t len, strbuf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '{' && i + 1 < len && s[i + 1] == '{') {
            sb_adds(out, "{{{{");
            i++;
        } else {
            sb_addc(out, s[i]);
        }
    }
}

/* restype_ident.c -- resource identities: "File[/index.html]".
 *
 * An identity names a resource in messages, progress lines, watches and
 * state file names, and two resources of one bundle never share one. The
 * rules are fuselage's (fuse-resources(7), IDENTITIES): the id field when
 * given, else the name; a Line adds its match. */
#include "restype.h"

#include <string.h>

/* Identities appear in one-line messages, progress lines and state file
 * names: a control character in a name (a newline, say) is written as
 * \xHH so that none of those ever breaks across lines. */
static void rt_add_name(strbuf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            sb_addf(out, "\\x%02x", c);
        else
            sb_addc(out, c);
    }
}

static void rt_add_value(strbuf *out, const fv *v)
{
    if (v->kind == FV_STR) {
        rt_add_name(out, v->str, v->len);
    } else if (v->kind == FV_LIST) {
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                sb_addc(out, ',');
            if (v->items[i]->kind == FV_STR)
                rt_add_name(out, v->items[i]->str, v->items[i]->len);
        }
    } else {
        sb_addc(out, '?');
    }
}

void rt_name(const rt_type *t, const fv *fields, strbuf *out)
{
    const fv *id = fv_get(fields, "id");
    if (id && id->kind == FV_STR) {
        rt_add_value(out, id);
        return;
    }
    const fv *name = fv_get(fields, "name");
    if (name)
        rt_add_value(out, name);
    else
        sb_addc(out, '?');
    /* fuselage names a Line by file and match, so that several Lines may
     * edit one file; without a match the line itself is what is matched,
     * and the file alone names it. */
    const fv *match = strcmp(t->name, "Line") == 0 ? fv_get(fields, "match") : NULL;
    if (match && match->kind == FV_STR) {
        sb_addc(out, ':');
        rt_add_name(out, match->str, match->len);
    }
}

void rt_ident(const rt_type *t, const fv *fields, strbuf *out)
{
    sb_addf(out, "%s[", t->name);
    rt_name(t, fields, out);
    sb_addc(out, ']');
}

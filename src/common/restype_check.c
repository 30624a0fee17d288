/* restype_check.c -- the cross-field rules of the resource types (the
 * table itself is restype.c): contents or source, command or commands, a
 * tree's name and patterns, an artifact's limits. */
#include "restype.h"
#include "restype_int.h"

#include "ignore.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

static int rt_is(const rt_type *t, const char *name)
{
    return strcmp(t->name, name) == 0;
}

/* Cross-field rules, one per type that has any. */

/* An artifact (from = an image or task, source = a path inside it) is one
 * COPY --from: the classic builder's COPY cannot set a mode, reads * ? [
 * in a source as a pattern, and takes an owner only with a group to mean
 * what fuse-apply means by it; and a COPY is a step of its own. */
static int rt_from_check(const rt_type *t, const fv *fields, strbuf *err)
{
    if (!rt_has(fields, "from"))
        return 0;
    const fv *src = fv_get(fields, "source");
    if (!src || src->kind != FV_STR || src->str[0] != '/')
        return rt_fail(err, t, "from needs source, an absolute path inside that image");
    if (strpbrk(src->str, "*?[\\"))
        return rt_fail(err, t,
                       "source with from must not hold * ? [ or \\ (COPY reads them as a pattern)");
    if (rt_has(fields, "contents") || (rt_is(t, "File") && rt_has(fields, "mode")) ||
        (rt_is(t, "Directory") && (rt_has(fields, "mode") || rt_has(fields, "parents"))))
        return rt_fail(err, t, "from copies %s as it is in the image: give no %s",
                       rt_is(t, "File") ? "the file" : "the tree",
                       rt_is(t, "File") ? "contents or mode" : "mode or parents");
    if (rt_has(fields, "owner") != rt_has(fields, "group"))
        return rt_fail(err, t, "with from, give owner and group together");
    if (strcmp(rt_policy(t, fields), "apply") != 0 || rt_has(fields, "layer") ||
        rt_has(fields, "watches"))
        return rt_fail(err, t, "with from, policy is apply and there is no layer or watches");
    return 0;
}

int rt_file_check(const fv *fields, strbuf *err)
{
    if (rt_has(fields, "contents") && rt_has(fields, "source"))
        return rt_fail(err, rt_find("File"), "give contents or source, not both");
    return rt_from_check(rt_find("File"), fields, err);
}

/* A tree (source) is only ever copied in; its exclude patterns must parse
 * here, so a bad one is reported at the task file's line. With from, the
 * source is in another image: an artifact, checked as File's are. */
int rt_directory_check(const fv *fields, strbuf *err)
{
    if (rt_has(fields, "from") && rt_has(fields, "exclude"))
        return rt_fail(err, rt_find("Directory"),
                       "exclude is for a tree of this host, not with from");
    if (rt_has(fields, "from"))
        return rt_from_check(rt_find("Directory"), fields, err);
    int tree = rt_has(fields, "source");
    if (rt_has(fields, "exclude") && !tree)
        return rt_fail(err, rt_find("Directory"), "exclude needs source (a tree to copy)");
    if (!tree)
        return 0;
    if (rt_has(fields, "layer"))
        return rt_fail(err, rt_find("Directory"),
                       "a tree (source) is a COPY of its own: it takes no layer");
    /* An owner alone means its primary group, which only the image knows,
     * and builders disagree on what COPY --chown=USER gives. */
    if (rt_has(fields, "owner") && !rt_has(fields, "group"))
        return rt_fail(err, rt_find("Directory"),
                       "a tree (source) with an owner needs a group too");
    /* The tree is copied as the last component of name into its parent. */
    const fv *name = fv_get(fields, "name");
    size_t len = name && name->kind == FV_STR ? name->len : 0;
    while (len > 0 && name->str[len - 1] == '/')
        len--;
    size_t base = len;
    while (base > 0 && name->str[base - 1] != '/')
        base--;
    if (name && name->kind == FV_STR &&
        (len == base || (len - base == 1 && name->str[base] == '.') ||
         (len - base == 2 && name->str[base] == '.' && name->str[base + 1] == '.'))) {
        rt_fail(err, rt_find("Directory"), "a tree (source) needs a name below /, not ");
        rt_quote(err, name->str, name->len);
        return -1;
    }
    const fv *ex = fv_get(fields, "exclude");
    int rc = 0;
    strbuf why = STRBUF_INIT;
    for (size_t i = 0; ex && ex->kind == FV_LIST && i < ex->n && rc == 0; i++) {
        ign_list *l = ign_new();
        if (ign_add(l, ex->items[i]->str, &why) < 0) {
            rt_fail(err, rt_find("Directory"), "exclude[%zu] is a bad pattern ", i + 1);
            rt_quote(err, ex->items[i]->str, ex->items[i]->len);
            sb_addf(err, ": %s", why.buf);
            rc = -1;
        }
        ign_free(l);
    }
    sb_release(&why);
    return rc;
}

int rt_execute_check(const fv *fields, strbuf *err)
{
    int one = rt_has(fields, "command"), many = rt_has(fields, "commands");
    if (one && many)
        return rt_fail(err, rt_find("Execute"), "give command or commands, not both");
    if (!one && !many)
        return rt_fail(err, rt_find("Execute"), "give command or commands");
    return 0;
}

int rt_link_check(const fv *fields, strbuf *err)
{
    if (strcmp(rt_policy(rt_find("Link"), fields), "apply") == 0 && !rt_has(fields, "to"))
        return rt_fail(err, rt_find("Link"), "to is required");
    return 0;
}

/* Past the bracket expression that starts at p ("[", "[^", a leading "]"
 * is a member), or NULL when it does not end. */
static const char *rt_re_bracket(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p && *p != ']'; p++)
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *q = strchr(p + 2, p[1]);
            if (!q || q[1] != ']')
                return NULL;
            p = q + 1;
        }
    return *p ? p + 1 : NULL;
}

/* 0 when match has no two adjacent repetitions ("a++", "a*{2}", "a{2}{3}")
 * and no interval count over 255. POSIX leaves adjacent repetitions
 * undefined, and glibc's regcomp copies the expression for each one: a
 * few dozen take gigabytes. 255 is POSIX's least RE_DUP_MAX. */
static int rt_re_tame(const char *p)
{
    int rep = 0; /* the previous token was a repetition */
    while (*p) {
        int now = 0;
        if (*p == '\\') {
            p += p[1] ? 2 : 1;
        } else if (*p == '[') {
            const char *q = rt_re_bracket(p);
            p = q ? q : p + 1; /* regcomp reports it */
        } else if (*p == '*' || *p == '+' || *p == '?') {
            now = 1;
            p++;
        } else if (*p == '{') {
            char *end;
            for (p++; *p && *p != '}'; p = end) {
                long n = strtol(p, &end, 10);
                if (end == p) {
                    end = (char *)p + 1;
                    continue;
                }
                if (n > 255)
                    return -1;
            }
            p += *p ? 1 : 0;
            now = 1;
        } else {
            p++;
        }
        if (now && rep)
            return -1;
        rep = now;
    }
    return 0;
}

int rt_line_check(const fv *fields, strbuf *err)
{
    const char *match = fv_gets(fields, "match");
    if (match && rt_re_tame(match) != 0)
        return rt_fail(err, rt_find("Line"),
                       "match repeats a repetition (\"a++\", \"a{2}{3}\") or counts over 255: "
                       "undefined in extended regular expressions, and ruinous to compile");
    if (match) {
        regex_t re;
        int rc = regcomp(&re, match, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[256];
            regerror(rc, &re, msg, sizeof msg);
            rt_fail(err, rt_find("Line"), "match is not a valid extended regular expression: %s",
                    msg);
            return -1;
        }
        regfree(&re);
    }
    if (strcmp(rt_policy(rt_find("Line"), fields), "apply") == 0 && !rt_has(fields, "line"))
        return rt_fail(err, rt_find("Line"), "policy apply needs line");
    return 0;
}

int rt_checkout_check(const fv *fields, strbuf *err)
{
    const fv *scm = fv_get(fields, "scm");
    if (scm && scm->kind == FV_STR && strcmp(scm->str, "git") != 0) {
        rt_fail(err, rt_find("Checkout"), "scm must be \"git\", not ");
        rt_quote(err, scm->str, scm->len);
        return -1;
    }
    return 0;
}

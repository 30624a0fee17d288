/* bundle_fuselage.c -- what bundles from fuselage's own serialiser need.
 *
 * fuselage serialises only the arguments a resource was given, each as its
 * Python value: Octal as the mode's integer, Execute's environment as "env",
 * an Execute without a name with none (its identity is derived from the
 * command), and a few arguments that mean nothing to fuse-apply. */
#include "bundle_fuselage.h"

#include <stdio.h>
#include <string.h>

/* What fuselage's str.isspace() and \s take in ASCII. */
static int bundle_py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int bundle_py_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

void bundle_simple_str(const char *s, size_t len, strbuf *out)
{
    /* fuselage: NFKD, drop non-ASCII, lower, strip, drop [^\w\s-], then
     * runs of [-\s] become '-'. Without Unicode tables an accented letter is
     * dropped whole (fuselage keeps its base letter); commands are ASCII in
     * practice. The non-ASCII bytes go first, as there, so that they do not
     * keep spaces next to them from being stripped. */
    strbuf ascii = STRBUF_INIT;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x80)
            sb_addc(&ascii, s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    const char *p = ascii.buf;
    size_t a = 0, b = ascii.len;
    while (a < b && bundle_py_space((unsigned char)p[a]))
        a++;
    while (b > a && bundle_py_space((unsigned char)p[b - 1]))
        b--;
    int in_run = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)p[i];
        if (bundle_py_word(c)) {
            sb_addc(out, c);
            in_run = 0;
        } else if ((c == '-' || bundle_py_space(c)) && !in_run) {
            sb_addc(out, '-');
            in_run = 1;
        }
    }
    sb_release(&ascii);
}

/* Octal arguments serialise as the mode's integer value (0644 -> 420). In
 * JSON (unlike a Lua task file) a number there cannot be a mistaken octal
 * literal, so it is taken as the value and written as the octal string the
 * table wants. */
static void bundle_fuselage_modes(const rt_type *t, fv *fields)
{
    for (size_t i = 0; i < fields->n; i++) {
        const rt_field *f = rt_field_find(t, fields->keys[i]);
        fv *v = fields->items[i];
        if (f && f->kind == RT_MODE && fv_is_int(v) && v->num >= 0 && v->num <= 07777) {
            char oct[8];
            snprintf(oct, sizeof oct, "%04o", (unsigned)v->num);
            fv_free(v);
            fields->items[i] = fv_strz(oct);
        }
    }
}

/* fuselage names an Execute without a name by its command(s). */
static void bundle_fuselage_execute(fv *fields)
{
    if (fv_get(fields, "env") && !fv_get(fields, "environment")) {
        fv_set(fields, "environment", fv_copy(fv_get(fields, "env")));
        fv_del(fields, "env");
    }
    const fv *name = fv_get(fields, "name");
    if (name && name->kind != FV_NULL)
        return;
    strbuf cmd = STRBUF_INIT, derived = STRBUF_INIT;
    const fv *one = fv_get(fields, "command"), *many = fv_get(fields, "commands");
    if (one && one->kind == FV_STR)
        sb_add(&cmd, one->str, one->len);
    else if (many && many->kind == FV_LIST)
        for (size_t i = 0; i < many->n; i++)
            if (many->items[i]->kind == FV_STR)
                sb_addf(&cmd, "%s%s", i ? "; " : "", many->items[i]->str);
    bundle_simple_str(cmd.buf, cmd.len, &derived);
    /* Nothing derivable: validation then says the name is required. */
    if (derived.len)
        fv_set(fields, "name", fv_str(derived.buf, derived.len));
    sb_release(&cmd);
    sb_release(&derived);
}

/* Arguments fuselage may write that change nothing here: dropped. */
typedef struct bundle_ignored {
    const char *type, *field;
} bundle_ignored;

static const bundle_ignored bundle_ignored_fields[] = {
    /* fuse-apply uses the image's own package manager */
    {"Package", "backend"},
    /* fuselage's git provider does not use them either (only svn and hg) */
    {"Checkout", "scm_username"},
    {"Checkout", "scm_password"},
};

static int bundle_fuselage_fail(strbuf *err, const rt_type *t, const char *why)
{
    sb_addf(err, "%s: %s", t->name, why);
    return -1;
}

int bundle_fuselage_fields(const rt_type *t, fv *fields, strbuf *err)
{
    if (fields->kind != FV_MAP)
        return 0;
    bundle_fuselage_modes(t, fields);
    if (strcmp(t->name, "Execute") == 0)
        bundle_fuselage_execute(fields);
    for (size_t i = 0; i < sizeof bundle_ignored_fields / sizeof bundle_ignored_fields[0]; i++)
        if (strcmp(bundle_ignored_fields[i].type, t->name) == 0)
            fv_del(fields, bundle_ignored_fields[i].field);
    const fv *sep = fv_get(fields, "linesep");
    if (sep && strcmp(t->name, "Line") == 0) {
        if (sep->kind != FV_STR || sep->len != 1 || sep->str[0] != '\n')
            return bundle_fuselage_fail(err, t,
                                        "linesep must be \"\\n\": fuse-apply edits files of "
                                        "lines ending in \\n");
        fv_del(fields, "linesep");
    }
    const fv *changes = fv_get(fields, "changes");
    if (changes) {
        /* fuselage hashes these files around the resource and counts a
         * difference as a change of File[path]; fuse-apply has no such
         * hidden resources, so a watch on one could never fire. */
        if (!((changes->kind == FV_LIST || changes->kind == FV_MAP) && changes->n == 0) &&
            changes->kind != FV_NULL)
            return bundle_fuselage_fail(err, t,
                                        "changes is not supported: give each file as a File "
                                        "resource and watch that instead");
        fv_del(fields, "changes");
    }
    return 0;
}

long bundle_fuselage_line_ref(const bundle *b, const char *ref, size_t before)
{
    size_t len = strlen(ref);
    if (strncmp(ref, "Line[", 5) == 0 && len > 6 && ref[len - 1] == ']')
        ref += 5, len -= 6;
    /* simple_str() never yields a ':', so the last one ends the file name. */
    const char *colon = memrchr(ref, ':', len);
    if (!colon)
        return -1;
    size_t flen = (size_t)(colon - ref);
    const char *word = colon + 1;
    size_t wlen = len - flen - 1;
    strbuf mine = STRBUF_INIT;
    long found = -1;
    for (size_t i = 0; i < before && found < 0; i++) {
        const fv *f = b->items[i].fields;
        const char *name = fv_gets(f, "name"), *match = fv_gets(f, "match");
        if (strcmp(b->items[i].type->name, "Line") != 0 || !name || !match ||
            strlen(name) != flen || memcmp(name, ref, flen) != 0)
            continue;
        sb_reset(&mine);
        bundle_simple_str(match, strlen(match), &mine);
        if (mine.len == wlen && memcmp(mine.buf, word, wlen) == 0)
            found = (long)i;
    }
    sb_release(&mine);
    return found;
}

const char *bundle_fuselage_missing(const char *type)
{
    static const char *const missing[][2] = {
        {"Service", "a service runs on a live host, not in an image"},
        {"Mount", "a mount belongs to a running host, not to an image"},
        {"Patch", "not carried yet: run patch(1) with Execute"},
        {"Special", "device nodes in a container come from its runtime"},
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (strcmp(missing[i][0], type) == 0)
            return missing[i][1];
    return NULL;
}

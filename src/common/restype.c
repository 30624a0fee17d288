/* restype.c -- the one table of resource types, and validation against it.
 *
 * The fields follow fuselage's resources, as fuse-resources(7) documents
 * them. Every message starts with the type name, so the caller only adds
 * where it came from. */
#include "restype.h"
#include "restype_int.h"

#include "fvjson.h"
#include "secret.h"
#include "taskref.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every type also takes these, last, so the table order is the JSON order.
 * id, as in fuselage, replaces the name in the identity (restype_ident.c);
 * layer: consecutive resources of one layer name share one build step;
 * secrets: the names of the task's secrets its step sees (secret.h). */
#define RT_COMMON                                                                                  \
    {"id", RT_STR, 0, NULL}, {"layer", RT_STR, 0, NULL}, {"policy", RT_STR, 0, NULL},              \
        {"watches", RT_LIST, 0, NULL}, {"secrets", RT_LIST, 0, NULL},                              \
    {                                                                                              \
        NULL, 0, 0, NULL                                                                           \
    }

static const rt_field rt_package_fields[] = {
    {"name", RT_STRS, RT_REQUIRED, NULL},
    {"version", RT_STR, 0, NULL},
    {"purge", RT_BOOL, 0, NULL},
    RT_COMMON,
};
static const char *const rt_package_policies[] = {"install", "uninstall", NULL};

static const rt_field rt_file_fields[] = {
    {"name", RT_PATH, RT_REQUIRED, NULL},
    {"contents", RT_STR, RT_SENSITIVE | RT_BINARY, NULL},
    {"source", RT_STR, 0, NULL},
    {"owner", RT_ID, 0, NULL},
    {"group", RT_ID, 0, NULL},
    {"mode", RT_MODE, 0, NULL},
    {"sensitive", RT_BOOL, 0, NULL},
    {"from", RT_IMAGE, 0, NULL},
    RT_COMMON,
};
static const char *const rt_apply_remove[] = {"apply", "remove", NULL};

static const rt_field rt_directory_fields[] = {
    {"name", RT_PATH, RT_REQUIRED, NULL},
    {"owner", RT_ID, 0, NULL},
    {"group", RT_ID, 0, NULL},
    {"mode", RT_MODE, 0, "0755"},
    {"parents", RT_BOOL, 0, NULL},
    {"source", RT_STR, 0, NULL},
    {"exclude", RT_LIST, 0, NULL},
    {"from", RT_IMAGE, 0, NULL},
    RT_COMMON,
};
static const char *const rt_directory_policies[] = {"apply", "remove", "remove-recursive", NULL};

static const rt_field rt_link_fields[] = {
    {"name", RT_PATH, RT_REQUIRED, NULL},
    {"to", RT_STR, 0, NULL}, /* required by policy apply: rt_link_check */
    {"owner", RT_ID, 0, NULL},
    {"group", RT_ID, 0, NULL},
    RT_COMMON,
};

static const rt_field rt_execute_fields[] = {
    {"name", RT_STR, RT_REQUIRED, NULL},
    {"command", RT_STR, 0, NULL},
    {"commands", RT_LIST, 0, NULL},
    {"cwd", RT_PATH, 0, "/"},
    {"environment", RT_MAP, 0, NULL},
    {"returncode", RT_INT, 0, "0"},
    {"user", RT_ID, 0, NULL},
    {"group", RT_ID, 0, NULL},
    {"umask", RT_MODE, 0, NULL},
    {"unless", RT_STR, 0, NULL},
    {"creates", RT_PATH, 0, NULL},
    {"touch", RT_PATH, 0, NULL},
    RT_COMMON,
};
static const char *const rt_execute_policies[] = {"execute", NULL};

static const rt_field rt_user_fields[] = {
    {"name", RT_STR, RT_REQUIRED, NULL},
    {"fullname", RT_STR, 0, NULL},
    {"home", RT_PATH, 0, NULL},
    {"uid", RT_INT, 0, NULL},
    {"gid", RT_INT, 0, NULL},
    {"group", RT_STR, 0, NULL},
    {"groups", RT_LIST, 0, NULL},
    {"append", RT_BOOL, 0, "true"},
    {"system", RT_BOOL, 0, "true"},
    {"shell", RT_STR, 0, "/bin/bash"},
    {"create_home", RT_BOOL, 0, NULL},
    {"password", RT_STR, 0, NULL},
    {"disabled_password", RT_BOOL, 0, NULL},
    {"disabled_login", RT_BOOL, 0, NULL},
    RT_COMMON,
};

static const rt_field rt_group_fields[] = {
    {"name", RT_STR, RT_REQUIRED, NULL},
    {"gid", RT_INT, 0, NULL},
    {"system", RT_BOOL, 0, NULL},
    {"password", RT_STR, 0, NULL},
    RT_COMMON,
};

static const rt_field rt_line_fields[] = {
    {"name", RT_PATH, RT_REQUIRED, NULL},
    {"line", RT_STR, RT_SENSITIVE, NULL},
    {"match", RT_STR, 0, NULL},
    {"sensitive", RT_BOOL, 0, NULL},
    RT_COMMON,
};

static const rt_field rt_checkout_fields[] = {
    {"name", RT_PATH, RT_REQUIRED, NULL},
    {"repository", RT_STR, RT_REQUIRED, NULL},
    {"branch", RT_STR, 0, NULL},
    {"tag", RT_STR, 0, NULL},
    {"revision", RT_STR, 0, NULL},
    {"scm", RT_STR, 0, "git"},
    {"user", RT_ID, 0, NULL},
    {"group", RT_ID, 0, NULL},
    {"mode", RT_MODE, 0, NULL},
    RT_COMMON,
};
static const char *const rt_checkout_policies[] = {"sync", NULL};

static const rt_type rt_package = {"Package", rt_package_fields, rt_package_policies, NULL};
static const rt_type rt_file = {"File", rt_file_fields, rt_apply_remove, rt_file_check};
static const rt_type rt_directory = {"Directory", rt_directory_fields, rt_directory_policies,
                                     rt_directory_check};
static const rt_type rt_link = {"Link", rt_link_fields, rt_apply_remove, rt_link_check};
static const rt_type rt_execute = {"Execute", rt_execute_fields, rt_execute_policies,
                                   rt_execute_check};
static const rt_type rt_user = {"User", rt_user_fields, rt_apply_remove, NULL};
static const rt_type rt_group = {"Group", rt_group_fields, rt_apply_remove, NULL};
static const rt_type rt_line = {"Line", rt_line_fields, rt_apply_remove, rt_line_check};
static const rt_type rt_checkout = {"Checkout", rt_checkout_fields, rt_checkout_policies,
                                    rt_checkout_check};

const rt_type *const rt_types[] = {&rt_package, &rt_file,  &rt_directory, &rt_link,     &rt_execute,
                                   &rt_user,    &rt_group, &rt_line,      &rt_checkout, NULL};

/* Fields a remove policy forbids, as fuselage's policy signatures do: they
 * describe what is to be made, so with remove they could only be ignored,
 * and a bundle that gives them has likely the wrong policy. */
typedef struct rt_forbid {
    const char *type, *policy;
    const char *fields[6]; /* NULL-terminated */
} rt_forbid;

static const rt_forbid rt_forbids[] = {
    {"Package", "uninstall", {"version", NULL}},
    {"File", "remove", {"owner", "group", "mode", NULL}},
    {"Directory", "remove", {"owner", "group", "mode", "source", "exclude", NULL}},
    {"Directory", "remove-recursive", {"owner", "group", "mode", "source", "exclude", NULL}},
    {"Link", "remove", {"to", NULL}},
    {"Group", "remove", {"gid", "system", "password", NULL}},
};

const rt_type *rt_find(const char *name)
{
    for (size_t i = 0; rt_types[i]; i++)
        if (strcmp(rt_types[i]->name, name) == 0)
            return rt_types[i];
    return NULL;
}

const rt_field *rt_field_find(const rt_type *t, const char *name)
{
    for (const rt_field *f = t->fields; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

const char *rt_kind_name(rt_kind k)
{
    switch (k) {
    case RT_STR:
        return "a string";
    case RT_PATH:
        return "an absolute path";
    case RT_STRS:
        return "a string or a list of strings";
    case RT_LIST:
        return "a list of strings";
    case RT_MAP:
        return "a table of strings";
    case RT_BOOL:
        return "a boolean";
    case RT_INT:
        return "an integer";
    case RT_ID:
        return "a string or an integer";
    case RT_MODE:
        return "an octal string";
    case RT_IMAGE:
        return "an image name or a docker_container task";
    }
    return "a value";
}

/* "a boolean", "a table", "nil": the article belongs to the message. */
static void rt_add_value_kind(strbuf *sb, const fv *v)
{
    if (v->kind == FV_NULL)
        sb_adds(sb, "nil");
    else
        sb_addf(sb, "a %s", fv_kind_name(v->kind));
}

void rt_quote(strbuf *out, const char *s, size_t len)
{
    /* Values quoted in messages come from users and may be long or binary:
     * keep a message one readable line. */
    enum { MAX = 60 };
    sb_addc(out, '"');
    for (size_t i = 0; i < len && i < MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            sb_addf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            sb_addf(out, "\\x%02x", c);
        else
            sb_addc(out, c);
    }
    if (len > MAX)
        sb_adds(out, "...");
    sb_addc(out, '"');
}

int rt_fail(strbuf *err, const rt_type *t, const char *fmt, ...)
{
    va_list ap;
    sb_addf(err, "%s: ", t->name);
    va_start(ap, fmt);
    sb_vaddf(err, fmt, ap);
    va_end(ap);
    return -1;
}

static int rt_wrong_kind(strbuf *err, const rt_type *t, const char *field, rt_kind k, const fv *v)
{
    rt_fail(err, t, "%s must be %s, not ", field, rt_kind_name(k));
    rt_add_value_kind(err, v);
    return -1;
}

/* An absent field and a JSON null are the same: nothing was given. */
int rt_has(const fv *fields, const char *key)
{
    const fv *v = fv_get(fields, key);
    return v && v->kind != FV_NULL;
}

/* Checks a string that is not binary data: no NUL (it would silently cut
 * the value short in every C API it reaches), and not empty when that makes
 * no sense. label is the field name, or "name[2]" for a list item. */
static int rt_check_text(const rt_type *t, const char *label, const fv *v, int allow_empty,
                         strbuf *err)
{
    if (memchr(v->str, '\0', v->len))
        return rt_fail(err, t, "%s must not contain a NUL byte", label);
    if (!allow_empty && v->len == 0)
        return rt_fail(err, t, "%s must not be empty", label);
    return 0;
}

static int rt_is_list(const fv *v)
{
    /* An empty Lua table cannot say whether it is a list or a map. */
    return v->kind == FV_LIST || (v->kind == FV_MAP && v->n == 0);
}

static int rt_check_list(const rt_type *t, const rt_field *f, const fv *v, strbuf *err)
{
    if (!rt_is_list(v))
        return rt_wrong_kind(err, t, f->name, f->kind, v);
    if (v->kind == FV_MAP)
        return 0;
    for (size_t i = 0; i < v->n; i++) {
        char label[96];
        snprintf(label, sizeof label, "%s[%zu]", f->name, i + 1);
        const fv *it = v->items[i];
        if (it->kind != FV_STR) {
            rt_fail(err, t, "%s must be a string, not ", label);
            rt_add_value_kind(err, it);
            return -1;
        }
        if (rt_check_text(t, label, it, 0, err) < 0)
            return -1;
    }
    return 0;
}

static int rt_check_map(const rt_type *t, const rt_field *f, const fv *v, strbuf *err)
{
    if (v->kind == FV_LIST && v->n == 0)
        return 0;
    if (v->kind != FV_MAP)
        return rt_wrong_kind(err, t, f->name, f->kind, v);
    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->keys[i];
        const fv *it = v->items[i];
        /* Keys go into JSON and into the environment: UTF-8, no '='. */
        if (!*k || strchr(k, '=') || !fvj_utf8_valid(k, strlen(k))) {
            rt_fail(err, t, "%s has a bad key ", f->name);
            rt_quote(err, k, strlen(k));
            return -1;
        }
        if (it->kind != FV_STR) {
            rt_fail(err, t, "%s.%s must be a string, not ", f->name, k);
            rt_add_value_kind(err, it);
            return -1;
        }
        if (memchr(it->str, '\0', it->len))
            return rt_fail(err, t, "%s.%s must not contain a NUL byte", f->name, k);
    }
    return 0;
}

static int rt_octal_digits(const char *s, size_t len)
{
    if (len < 3 || len > 4)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '7')
            return 0;
    return 1;
}

static int rt_check_mode(const rt_type *t, const rt_field *f, const fv *v, strbuf *err)
{
    if (v->kind == FV_NUM) {
        rt_fail(err, t, "%s must be an octal string like \"0644\"", f->name);
        /* The likely mistake: mode = 0644 in Lua is the decimal number 644. */
        char digits[32] = "";
        if (fv_is_int(v) && v->num >= 0 && v->num < 1e4)
            snprintf(digits, sizeof digits, "%lld", (long long)v->num);
        if (strlen(digits) >= 2 && strspn(digits, "01234567") == strlen(digits)) {
            long long n = (long long)v->num;
            sb_addf(err,
                    "\nLua has no octal literals: 0%lld is the number %lld; write %s = \"0%lld\"",
                    n, n, f->name, n);
        } else {
            sb_addf(err,
                    "\n%s is a number; write it as a string of octal digits, like %s = \"0644\"",
                    f->name, f->name);
        }
        return -1;
    }
    if (v->kind != FV_STR)
        return rt_wrong_kind(err, t, f->name, f->kind, v);
    if (!rt_octal_digits(v->str, v->len)) {
        rt_fail(err, t, "%s must be an octal string like \"0644\"\nnot ", f->name);
        rt_quote(err, v->str, v->len);
        return -1;
    }
    return 0;
}

static int rt_check_field(const rt_type *t, const rt_field *f, const fv *v, strbuf *err)
{
    int required = (f->flags & RT_REQUIRED) != 0;
    switch (f->kind) {
    case RT_STR:
        if (v->kind != FV_STR)
            return rt_wrong_kind(err, t, f->name, f->kind, v);
        if (f->flags & RT_BINARY)
            return 0;
        return rt_check_text(t, f->name, v, !required, err);
    case RT_PATH:
        if (v->kind != FV_STR)
            return rt_wrong_kind(err, t, f->name, f->kind, v);
        if (rt_check_text(t, f->name, v, 0, err) < 0)
            return -1;
        if (v->str[0] != '/') {
            rt_fail(err, t, "%s must be an absolute path, not ", f->name);
            rt_quote(err, v->str, v->len);
            return -1;
        }
        return 0;
    case RT_STRS:
        if (v->kind == FV_STR)
            return rt_check_text(t, f->name, v, 0, err);
        if (!rt_is_list(v))
            return rt_wrong_kind(err, t, f->name, f->kind, v);
        if (v->n == 0)
            return rt_fail(err, t, "%s must not be empty", f->name);
        return rt_check_list(t, f, v, err);
    case RT_LIST:
        return rt_check_list(t, f, v, err);
    case RT_MAP:
        return rt_check_map(t, f, v, err);
    case RT_BOOL:
        return v->kind == FV_BOOL ? 0 : rt_wrong_kind(err, t, f->name, f->kind, v);
    case RT_INT:
        if (v->kind == FV_NUM && !fv_is_int(v))
            return rt_fail(err, t, "%s must be an integer, not %g", f->name, v->num);
        /* uid, gid, returncode: none is ever negative or wider than 32 bits,
         * and useradd would only refuse it deep inside the build. */
        if (v->kind == FV_NUM && (v->num < 0 || v->num > 4294967295.0))
            return rt_fail(err, t, "%s must be from 0 to 4294967295, not %g", f->name, v->num);
        return v->kind == FV_NUM ? 0 : rt_wrong_kind(err, t, f->name, f->kind, v);
    case RT_ID:
        if (v->kind == FV_STR)
            return rt_check_text(t, f->name, v, 0, err);
        if (fv_is_int(v) && v->num >= 0)
            return 0;
        if (v->kind == FV_NUM)
            return rt_fail(err, t, "%s must be a name or an id (0 or more), not %g", f->name,
                           v->num);
        return rt_wrong_kind(err, t, f->name, f->kind, v);
    case RT_MODE:
        return rt_check_mode(t, f, v, err);
    case RT_IMAGE:
        if (taskref_serial(v) > 0)
            return 0;
        if (v->kind != FV_STR)
            return rt_wrong_kind(err, t, f->name, f->kind, v);
        return rt_check_text(t, f->name, v, 0, err);
    }
    return 0;
}

static void rt_add_list(strbuf *out, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        sb_addf(out, "%s%s", i ? ", " : "", names[i]);
}

static int rt_check_policy(const rt_type *t, const fv *fields, strbuf *err)
{
    const fv *v = fv_get(fields, "policy");
    if (!v || v->kind == FV_NULL)
        return 0;
    for (size_t i = 0; t->policies[i]; i++)
        if (strlen(t->policies[i]) == v->len && memcmp(t->policies[i], v->str, v->len) == 0)
            return 0;
    rt_fail(err, t, "unknown policy ");
    rt_quote(err, v->str, v->len);
    sb_adds(err, " (accepted: ");
    rt_add_list(err, t->policies);
    sb_adds(err, ")");
    return -1;
}

static int rt_check_forbidden(const rt_type *t, const fv *fields, strbuf *err)
{
    const char *policy = rt_policy(t, fields);
    for (size_t i = 0; i < sizeof rt_forbids / sizeof rt_forbids[0]; i++) {
        const rt_forbid *r = &rt_forbids[i];
        if (strcmp(r->type, t->name) != 0 || strcmp(r->policy, policy) != 0)
            continue;
        for (size_t k = 0; r->fields[k]; k++)
            if (rt_has(fields, r->fields[k]))
                return rt_fail(err, t, "policy %s takes no %s (it would be ignored)", policy,
                               r->fields[k]);
    }
    return 0;
}

/* A secret's name is a file name under /run/secrets: checked here, so
 * fuse-apply refuses a bundle naming ../x as surely as the task file does. */
static int rt_check_secrets(const rt_type *t, const fv *fields, strbuf *err)
{
    const fv *s = fv_get(fields, "secrets");
    for (size_t i = 0; s && s->kind == FV_LIST && i < s->n; i++) {
        if (!sec_name_ok(s->items[i]->str)) {
            rt_fail(err, t, "secrets: ");
            rt_quote(err, s->items[i]->str, s->items[i]->len);
            sb_adds(err, " is not a secret's name (letters, digits, _ . -)");
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->items[i]->str, s->items[j]->str) == 0)
                return rt_fail(err, t, "secrets: %s is listed twice", s->items[i]->str);
    }
    return 0;
}

int rt_validate(const rt_type *t, const fv *fields, strbuf *err)
{
    if (!fields || fields->kind != FV_MAP) {
        /* An empty Lua table arrives as an empty list: it lacks the required fields. */
        if (fields && rt_is_list(fields) && fields->n == 0)
            return rt_fail(err, t, "%s is required", t->fields[0].name);
        rt_fail(err, t, "fields must be a table, not ");
        if (fields)
            rt_add_value_kind(err, fields);
        else
            sb_adds(err, "nil");
        return -1;
    }
    for (size_t i = 0; i < fields->n; i++) {
        const rt_field *f = rt_field_find(t, fields->keys[i]);
        if (!f) {
            rt_fail(err, t, "unknown field ");
            rt_quote(err, fields->keys[i], strlen(fields->keys[i]));
            sb_adds(err, "\naccepted: ");
            for (const rt_field *a = t->fields; a->name; a++)
                sb_addf(err, "%s%s", a == t->fields ? "" : ", ", a->name);
            return -1;
        }
        if (fields->items[i]->kind == FV_NULL)
            continue;
        if (rt_check_field(t, f, fields->items[i], err) < 0)
            return -1;
    }
    for (const rt_field *f = t->fields; f->name; f++)
        if ((f->flags & RT_REQUIRED) && !rt_has(fields, f->name))
            return rt_fail(err, t, "%s is required", f->name);
    if (rt_check_policy(t, fields, err) < 0 || rt_check_forbidden(t, fields, err) < 0 ||
        rt_check_secrets(t, fields, err) < 0)
        return -1;
    return t->check ? t->check(fields, err) : 0;
}

const char *rt_policy(const rt_type *t, const fv *fields)
{
    const char *p = fv_gets(fields, "policy");
    return p ? p : t->policies[0];
}

const char *rt_default(const rt_type *t, const char *field)
{
    if (strcmp(field, "policy") == 0)
        return t->policies[0];
    const rt_field *f = rt_field_find(t, field);
    return f ? f->dflt : NULL;
}

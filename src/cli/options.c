/* options.c -- the options of docker_container and task (fusefile(5)).
 *
 * One table names every option, its type, and whether it belongs to
 * docker_container only and can be set from the command line. The same type
 * drives both paths: checking what a task file declared (Lua values) and
 * converting what the user typed (strings in the fabric grammar). */
#include "options.h"

#include "mem.h"
#include "optvalue.h"
#include "secret.h"
#include "taskref.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    OT_STR,     /* string, as is */
    OT_IMAGE,   /* an image name, or a docker_container task (a taskref.h marker); CLI: a name */
    OT_MAP,     /* table string -> string; CLI: A=1;B=2 */
    OT_LIST,    /* list of strings; CLI: /a;/b */
    OT_PORTS,   /* list of ports; CLI: 8000;53/udp */
    OT_WORDS,   /* exec-form list or shell-form string; CLI: shell words */
    OT_BOOL,    /* boolean; CLI: true/false, yes/no, 1/0 */
    OT_PARAMS,  /* table name -> default */
    OT_TAGS,    /* string or list of strings; CLI: a:1;a:latest */
    OT_HEALTH,  /* healthcheck table or false; CLI: none, or shell words (its cmd) */
    OT_SIGNAL,  /* signal name or number; CLI: as is, digits a number */
    OT_SECRETS, /* table name -> { env | file | command = "..." }; never from the CLI */
} opt_type;

/* The kinds of task an option belongs to (1 << opt_kind). */
#define K_T (1u << OPT_TASK)
#define K_C (1u << OPT_CONTAINER)
#define K_B (1u << OPT_BLUEPRINT)
#define K_ALL (K_T | K_C | K_B)

typedef struct opt_def {
    const char *key;
    opt_type type;
    unsigned kinds; /* plain tasks accept only description and params */
    int from_cli;   /* can be overridden as TASK:key=value */
} opt_def;

/* Sorted by key, so the accepted list in messages comes out in order. */
static const opt_def opt_table[] = {
    {"caches", OT_LIST, K_C, 1},       {"cmd", OT_WORDS, K_C, 1},
    {"description", OT_STR, K_ALL, 0}, {"engine", OT_STR, K_C, 1},
    {"entrypoint", OT_WORDS, K_C, 1},  {"env", OT_MAP, K_C, 1},
    {"from_image", OT_IMAGE, K_C, 1},  {"healthcheck", OT_HEALTH, K_C, 1},
    {"hosts", OT_LIST, K_B, 1},        {"labels", OT_MAP, K_C, 1},
    {"maintainer", OT_STR, K_C, 1},    {"no_cache", OT_BOOL, K_C, 1},
    {"params", OT_PARAMS, K_ALL, 0},   {"ports", OT_PORTS, K_C, 1},
    {"pull", OT_BOOL, K_C, 1},         {"push", OT_BOOL, K_C, 1},
    {"secrets", OT_SECRETS, K_C, 0},   {"simulate", OT_BOOL, K_B, 1},
    {"stopsignal", OT_SIGNAL, K_C, 1}, {"sudo", OT_BOOL, K_B, 1},
    {"tag", OT_TAGS, K_C, 1},          {"user", OT_STR, K_C | K_B, 1},
    {"volumes", OT_LIST, K_C, 1},      {"workdir", OT_STR, K_C, 1},
};

#define OPT_COUNT (sizeof opt_table / sizeof opt_table[0])

/* The option named key that this kind of task has, or NULL. */
static int opt_has(const opt_def *d, opt_kind kind)
{
    return (d->kinds & (1u << kind)) != 0;
}

static const opt_def *opt_find(const char *key, opt_kind kind)
{
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (strcmp(opt_table[i].key, key) == 0)
            return opt_has(&opt_table[i], kind) ? &opt_table[i] : NULL;
    return NULL;
}

const char *opt_kind_name(opt_kind kind)
{
    return kind == OPT_CONTAINER   ? "docker_container"
           : kind == OPT_BLUEPRINT ? "blueprint"
                                   : "task";
}

/* An empty Lua table converts to an empty list or map depending on the Lua
 * host's guess; both mean "no entries". */
static int opt_is_empty(const fv *v)
{
    return (v->kind == FV_LIST || v->kind == FV_MAP) && v->n == 0;
}

static int opt_is_map(const fv *v)
{
    return v->kind == FV_MAP || opt_is_empty(v);
}

static int opt_is_list(const fv *v)
{
    return v->kind == FV_LIST || opt_is_empty(v);
}

/* ---- ports ---- */

/* Checks "8000", "53/udp": digits 1-65535, optionally /tcp, /udp or /sctp.
 * Returns 0, or -1 with the reason appended to err. */
static int opt_port_str(const char *s, strbuf *err)
{
    const char *p = s;
    long n = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        n = n > 65535 ? n : n * 10 + (*p - '0'); /* stop growing once too big */
    int digits = p > s && (*p == '\0' || *p == '/');
    if (digits && (n < 1 || n > 65535)) {
        sb_addf(err, "%.*s is not a port number (1-65535)", (int)(p - s), s);
        return -1;
    }
    if (!digits || (*p == '/' && strcmp(p, "/tcp") != 0 && strcmp(p, "/udp") != 0 &&
                    strcmp(p, "/sctp") != 0)) {
        sb_addf(err, "\"%s\" is not a port like 8000 or \"53/udp\" (tcp, udp, sctp)", s);
        return -1;
    }
    return 0;
}

static int opt_port_num(double num, strbuf *err)
{
    fv tmp = {.kind = FV_NUM, .num = num};
    if (!fv_is_int(&tmp) || num < 1 || num > 65535) {
        sb_addf(err, "%g is not a port number (1-65535)", num);
        return -1;
    }
    return 0;
}

int opt_port_check(const fv *p, strbuf *why)
{
    if (p->kind == FV_NUM)
        return opt_port_num(p->num, why);
    if (p->kind == FV_STR)
        return opt_port_str(p->str, why);
    sb_adds(why, "a port must be a number or a string like \"53/udp\"");
    return -1;
}

/* ---- checking declared options ---- */

static int opt_all_strings(const fv *v, int want_map)
{
    if (want_map ? !opt_is_map(v) : !opt_is_list(v))
        return 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind != FV_STR)
            return 0;
    return 1;
}

static int opt_check_ports(const fv *v, const char *kind, strbuf *err)
{
    if (!opt_is_list(v)) {
        sb_addf(err, "%s: ports must be a list of numbers or strings like \"53/udp\"", kind);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        const fv *p = v->items[i];
        if (p->kind != FV_NUM && p->kind != FV_STR) {
            sb_addf(err, "%s: ports must be a list of numbers or strings like \"53/udp\"", kind);
            return -1;
        }
        strbuf why = STRBUF_INIT;
        int rc = opt_port_check(p, &why);
        if (rc != 0)
            sb_addf(err, "%s: ports: %s", kind, why.buf);
        sb_release(&why);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int opt_check_params(const fv *v, opt_kind kind, const char *kname, strbuf *err)
{
    if (!opt_is_map(v)) {
        sb_addf(err, "%s: params must be a table of names to defaults, like { version = \"1.0\" }",
                kname);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        fv_kind k = v->items[i]->kind;
        if (k != FV_STR && k != FV_NUM && k != FV_BOOL) {
            sb_addf(err, "%s: params.%s must default to a string, number or boolean", kname,
                    v->keys[i]);
            return -1;
        }
        /* A param named like an option would make TASK:tag=x ambiguous. */
        if (opt_find(v->keys[i], kind)) {
            sb_addf(err, "%s: param \"%s\" has the name of an option", kname, v->keys[i]);
            return -1;
        }
    }
    return 0;
}

/* secrets = { NAME = { env = "VAR" } }: each a valid name with exactly one
 * non-empty source. Only the declaration is checked here; the values are
 * read when the task builds (src/build/secsrc.c). */
static int opt_check_secrets(const fv *v, const char *kind, strbuf *err)
{
    static const char *const srcs[] = {"env", "file", "command"};
    if (!opt_is_map(v)) {
        sb_addf(err, "%s: secrets must be a table like { token = { env = \"TOKEN\" } }", kind);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        const char *name = v->keys[i];
        const fv *s = v->items[i];
        if (!sec_name_ok(name)) {
            sb_addf(err, "%s: secrets: \"%s\" is not a secret's name (letters, digits, _ . -)",
                    kind, name);
            return -1;
        }
        size_t found = 0;
        for (size_t k = 0; s->kind == FV_MAP && k < 3; k++)
            found += fv_get(s, srcs[k]) != NULL;
        if (s->kind != FV_MAP || found != 1 || s->n != 1 || s->items[0]->kind != FV_STR ||
            s->items[0]->len == 0) {
            sb_addf(err,
                    "%s: secrets.%s must be one of { env = \"VAR\" }, { file = \"path\" }, "
                    "{ command = \"...\" }",
                    kind, name);
            return -1;
        }
    }
    return 0;
}

/* Docker would take an empty USER, WORKDIR or base image, or an ENV name
 * with a space, as a different instruction or refuse it mid-build: refuse
 * them here, where the message can name the task file's line or the task. */
static int opt_nonempty(const char *key)
{
    return strcmp(key, "from_image") == 0 || strcmp(key, "user") == 0 ||
           strcmp(key, "workdir") == 0;
}

static int opt_env_name_ok(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++)
        if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
              *k == '_' || *k == '.' || *k == '-'))
            return 0;
    return 1;
}

/* A cache is mounted at its path by a RUN's --mount=type=cache,target=PATH:
 * an absolute directory other than /, and nothing the mount's
 * comma-separated words would read otherwise. */
static int opt_cache_ok(const char *p)
{
    if (p[0] != '/' || !p[1] || strstr(p, "/../") || strstr(p, "/./"))
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr(",\"'=\\", *p) || *p == 0x7f)
            return 0;
    return 1;
}

static int opt_check_caches(const fv *v, strbuf *err)
{
    for (size_t i = 0; v->kind == FV_LIST && i < v->n; i++)
        if (v->items[i]->kind == FV_STR && !opt_cache_ok(v->items[i]->str)) {
            sb_addf(err,
                    "caches: \"%s\" must be an absolute directory other than / "
                    "(no blanks, commas, quotes, = or backslashes)",
                    v->items[i]->str);
            return -1;
        }
    return 0;
}

/* The checks beyond the type, shared by declarations and the command line.
 * Returns 0, or -1 with "user must not be empty" appended to err. */
static int opt_check_value(const opt_def *d, const fv *v, strbuf *err)
{
    if (v->kind == FV_STR && v->len == 0 && opt_nonempty(d->key)) {
        sb_addf(err, "%s must not be empty", d->key);
        return -1;
    }
    if (strcmp(d->key, "caches") == 0)
        return opt_check_caches(v, err);
    if (strcmp(d->key, "env") != 0 || v->kind != FV_MAP)
        return 0;
    for (size_t i = 0; i < v->n; i++)
        if (!opt_env_name_ok(v->keys[i])) {
            sb_addf(err, "env: \"%s\" is not a valid variable name (letters, digits, _ . -)",
                    v->keys[i]);
            return -1;
        }
    return 0;
}

/* Runs one of optvalue.c's checks, putting the kind of task in front. */
static int opt_value(int (*check)(const fv *, strbuf *), const fv *v, const char *kind, strbuf *err)
{
    strbuf why = STRBUF_INIT;
    int rc = check(v, &why);
    if (rc != 0)
        sb_addf(err, "%s: %s", kind, why.buf);
    sb_release(&why);
    return rc;
}

static int opt_check_type(const opt_def *d, const fv *v, opt_kind kind, strbuf *err)
{
    const char *kname = opt_kind_name(kind);
    switch (d->type) {
    case OT_TAGS:
        return opt_value(opt_check_tags, v, kname, err);
    case OT_HEALTH:
        return opt_value(opt_check_health, v, kname, err);
    case OT_SIGNAL:
        return opt_value(opt_check_signal, v, kname, err);
    case OT_STR:
        if (v->kind == FV_STR)
            return 0;
        sb_addf(err, "%s: %s must be a string", kname, d->key);
        return -1;
    case OT_IMAGE:
        if (v->kind == FV_STR || taskref_serial(v) > 0)
            return 0;
        sb_addf(err, "%s: %s must be an image name or a docker_container task", kname, d->key);
        return -1;
    case OT_MAP:
        if (opt_all_strings(v, 1))
            return 0;
        sb_addf(err, "%s: %s must be a table of strings, like { KEY = \"value\" }", kname, d->key);
        return -1;
    case OT_LIST:
        if (opt_all_strings(v, 0))
            return 0;
        sb_addf(err, "%s: %s must be a list of strings", kname, d->key);
        return -1;
    case OT_PORTS:
        return opt_check_ports(v, kname, err);
    case OT_WORDS:
        if (v->kind == FV_STR || opt_all_strings(v, 0))
            return 0;
        sb_addf(err, "%s: %s must be a list of strings (exec form) or a string (shell form)", kname,
                d->key);
        return -1;
    case OT_BOOL:
        if (v->kind == FV_BOOL)
            return 0;
        sb_addf(err, "%s: %s must be true or false", kname, d->key);
        return -1;
    case OT_PARAMS:
        return opt_check_params(v, kind, kname, err);
    case OT_SECRETS:
        return opt_check_secrets(v, kname, err);
    }
    return -1;
}

static int opt_check_one(const opt_def *d, const fv *v, opt_kind kind, strbuf *err)
{
    if (opt_check_type(d, v, kind, err) != 0)
        return -1;
    strbuf why = STRBUF_INIT;
    int rc = opt_check_value(d, v, &why);
    if (rc != 0)
        sb_addf(err, "%s: %s", opt_kind_name(kind), why.buf);
    sb_release(&why);
    return rc;
}

int opt_check_decl(const fv *decl, opt_kind kind, strbuf *err)
{
    const char *kname = opt_kind_name(kind);
    if (!decl || opt_is_empty(decl))
        return 0;
    if (decl->kind != FV_MAP) {
        sb_addf(err, "%s: options must be a table like { tag = \"name\" }", kname);
        return -1;
    }
    for (size_t i = 0; i < decl->n; i++) {
        const opt_def *d = opt_find(decl->keys[i], kind);
        if (!d) {
            /* As a resource's unknown field: the accepted names on line 2. */
            sb_addf(err, "%s: unknown option \"%s\"\naccepted: ", kname, decl->keys[i]);
            const char *sep = "";
            for (size_t j = 0; j < OPT_COUNT; j++)
                if (opt_has(&opt_table[j], kind)) {
                    sb_addf(err, "%s%s", sep, opt_table[j].key);
                    sep = ", ";
                }
            return -1;
        }
        if (opt_check_one(d, decl->items[i], kind, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- the accepted keys ---- */

static const fv *opt_params(const fv *decl)
{
    const fv *p = decl && decl->kind == FV_MAP ? fv_get(decl, "params") : NULL;
    return p && p->kind == FV_MAP ? p : NULL;
}

static int opt_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void opt_accepted(const fv *decl, opt_kind kind, strbuf *out)
{
    const fv *params = opt_params(decl);
    size_t n = 0, max = OPT_COUNT + (params ? params->n : 0);
    const char **names = xcalloc(max + 1, sizeof *names);
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (opt_table[i].from_cli && opt_has(&opt_table[i], kind))
            names[n++] = opt_table[i].key;
    for (size_t i = 0; params && i < params->n; i++)
        names[n++] = params->keys[i];
    qsort(names, n, sizeof *names, opt_cmp_str);
    for (size_t i = 0; i < n; i++)
        sb_addf(out, "%s%s", i ? ", " : "", names[i]);
    if (n == 0)
        sb_adds(out, "none");
    free(names);
}

/* ---- converting CLI strings ---- */

/* Collects list items from cli_split_list, remembering the first bad one. */
typedef struct opt_items {
    const opt_def *def;
    fv *out;
    strbuf *err;
    int failed;
} opt_items;

static void opt_map_item(const char *item, void *ud)
{
    opt_items *it = ud;
    const char *eq = strchr(item, '=');
    if (it->failed)
        return;
    if (!eq || eq == item) {
        sb_addf(it->err, "%s: \"%s\" is not KEY=VALUE", it->def->key, item);
        it->failed = 1;
        return;
    }
    char *key = xmemdup(item, (size_t)(eq - item));
    fv_set(it->out, key, fv_strz(eq + 1));
    free(key);
}

static void opt_list_item(const char *item, void *ud)
{
    opt_items *it = ud;
    if (it->failed)
        return;
    if (*item == '\0') {
        sb_addf(it->err, "%s: empty item in list", it->def->key);
        it->failed = 1;
        return;
    }
    fv_push(it->out, fv_strz(item));
}

static void opt_port_item(const char *item, void *ud)
{
    opt_items *it = ud;
    if (it->failed)
        return;
    strbuf why = STRBUF_INIT;
    if (opt_port_str(item, &why) != 0) {
        sb_addf(it->err, "%s: %s", it->def->key, why.buf);
        it->failed = 1;
    } else if (strchr(item, '/')) {
        fv_push(it->out, fv_strz(item));
    } else {
        fv_push(it->out, fv_num(strtol(item, NULL, 10)));
    }
    sb_release(&why);
}

static fv *opt_split(const opt_def *d, const char *value, strbuf *err)
{
    opt_items it = {d, d->type == OT_MAP ? fv_map() : fv_list(), err, 0};
    void (*each)(const char *, void *) = d->type == OT_MAP     ? opt_map_item
                                         : d->type == OT_PORTS ? opt_port_item
                                                               : opt_list_item;
    cli_split_list(value, each, &it);
    if (it.failed) {
        fv_free(it.out);
        return NULL;
    }
    return it.out;
}

static fv *opt_words(const opt_def *d, const char *value, strbuf *err)
{
    char *text = cli_unescape(value);
    fv *list = fv_list();
    strbuf why = STRBUF_INIT;
    if (opt_shell_words(text, list, &why) != 0) {
        sb_addf(err, "%s: %s in \"%s\"", d->key, why.buf, text);
        fv_free(list);
        list = NULL;
    }
    sb_release(&why);
    free(text);
    return list;
}

static fv *opt_bool(const opt_def *d, const char *value, strbuf *err)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return fv_bool(1);
        if (strcasecmp(value, no[i]) == 0)
            return fv_bool(0);
    }
    sb_addf(err, "%s: \"%s\" is not a boolean (true/false, yes/no, 1/0)", d->key, value);
    return NULL;
}

/* "none" disables the base image's healthcheck; anything else is its
 * command in shell words (the durations have no CLI form: ',' and '='
 * already separate the task's arguments). */
static fv *opt_health(const opt_def *d, const char *value, strbuf *err)
{
    if (strcasecmp(value, "none") == 0)
        return fv_bool(0);
    fv *words = opt_words(d, value, err);
    if (!words)
        return NULL;
    fv *v = fv_map();
    fv_set(v, "cmd", words);
    if (opt_check_health(v, err) != 0) {
        fv_free(v);
        return NULL;
    }
    return v;
}

static fv *opt_convert(const opt_def *d, const char *value, strbuf *err)
{
    switch (d->type) {
    case OT_TAGS:
        return opt_conv_tags(value, err);
    case OT_HEALTH:
        return opt_health(d, value, err);
    case OT_SIGNAL:
        return opt_conv_signal(value, err);
    case OT_MAP:
    case OT_LIST:
    case OT_PORTS:
        return opt_split(d, value, err);
    case OT_WORDS:
        return opt_words(d, value, err);
    case OT_BOOL:
        return opt_bool(d, value, err);
    case OT_STR:
    case OT_IMAGE:
    case OT_PARAMS:
    case OT_SECRETS:
        break;
    }
    char *text = cli_unescape(value);
    fv *v = fv_strz(text);
    free(text);
    return v;
}

/* The option a CLI key may set: an option that exists for this kind and is
 * not declaration-only. */
static const opt_def *opt_cli_def(const char *key, opt_kind kind)
{
    const opt_def *d = opt_find(key, kind);
    return d && d->from_cli ? d : NULL;
}

int opt_accepts(const fv *decl, opt_kind kind, const char *key)
{
    return opt_cli_def(key, kind) || fv_get(opt_params(decl), key);
}

void opt_not_understood(const fv *decl, opt_kind kind, const char *bad, strbuf *err)
{
    sb_addf(err, "the following parameters were not understood: %s (accepted: ", bad);
    opt_accepted(decl, kind, err);
    sb_addc(err, ')');
}

/* Fails, listing every key that is neither a CLI option nor a param (fabric
 * names them all at once, so one retry fixes them all). */
static int opt_check_keys(const fv *decl, opt_kind kind, const cli_kv *kv, size_t n, strbuf *err)
{
    strbuf bad = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        if (!opt_accepts(decl, kind, kv[i].key))
            sb_addf(&bad, "%s%s", bad.len ? ", " : "", kv[i].key);
    int rc = bad.len ? -1 : 0;
    if (rc != 0)
        opt_not_understood(decl, kind, bad.buf, err);
    sb_release(&bad);
    return rc;
}

/* The declared options (without the params table, whose entries are spread
 * into the result) and the params' defaults. */
static fv *opt_defaults(const fv *decl, opt_kind kind)
{
    fv *out = fv_map();
    if (kind == OPT_CONTAINER)
        fv_set(out, "from_image", fv_strz(OPT_DEFAULT_IMAGE));
    for (size_t i = 0; decl && decl->kind == FV_MAP && i < decl->n; i++)
        if (strcmp(decl->keys[i], "params") != 0)
            fv_set(out, decl->keys[i], fv_copy(decl->items[i]));
    const fv *params = opt_params(decl);
    for (size_t i = 0; params && i < params->n; i++)
        fv_set(out, params->keys[i], fv_copy(params->items[i]));
    return out;
}

fv *opt_merge(const fv *decl, opt_kind kind, const cli_kv *kv, size_t n, strbuf *err)
{
    if (opt_check_keys(decl, kind, kv, n, err) != 0)
        return NULL;
    fv *out = opt_defaults(decl, kind);
    for (size_t i = 0; i < n; i++) {
        const opt_def *d = opt_cli_def(kv[i].key, kind);
        static const opt_def param = {"param", OT_STR, K_ALL, 1};
        fv *v = opt_convert(d ? d : &param, kv[i].value, err);
        if (v && d && opt_check_value(d, v, err) != 0) {
            fv_free(v);
            v = NULL;
        }
        if (!v) {
            fv_free(out);
            return NULL;
        }
        fv_set(out, kv[i].key, v);
    }
    fv_sort_keys(out);
    return out;
}

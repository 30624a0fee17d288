/* df_words.c -- the Dockerfile's words: quoting, and the instructions that
 * come from the task's options rather than its resources.
 *
 * Quoting rules of Docker's parser, checked against the engine:
 *   - RUN, CMD, ENTRYPOINT in JSON (exec) form: plain JSON strings, no
 *     variable expansion, no shell.
 *   - ENV, LABEL, USER, WORKDIR take double-quoted words; inside them the
 *     Dockerfile lexer expands $VAR and treats \ as an escape, so \ $ " are
 *     escaped with a backslash. A newline cannot be written at all.
 *   - VOLUME in JSON form still goes through the lexer word by word (quotes
 *     and escapes), so \ $ " ' are backslash-escaped before JSON-encoding.
 */
#include "df_gen.h"

#include "taskref.h"

#include "dfmeta.h"
#include "fvjson.h"
#include "mem.h"
#include "options.h"

#include <stdlib.h>
#include <string.h>

int df_utf8_ok(const char *s, size_t len)
{
    return !memchr(s, '\0', len) && fvj_utf8_valid(s, len);
}

void df_json_str(strbuf *out, const char *s, size_t len)
{
    sb_addc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            sb_adds(out, "\\\"");
            break;
        case '\\':
            sb_adds(out, "\\\\");
            break;
        case '\n':
            sb_adds(out, "\\n");
            break;
        case '\r':
            sb_adds(out, "\\r");
            break;
        case '\t':
            sb_adds(out, "\\t");
            break;
        default:
            if (c < 0x20 || c == 0x7F)
                sb_addf(out, "\\u%04x", c);
            else
                sb_addc(out, c);
        }
    }
    sb_addc(out, '"');
}

void df_json_list(strbuf *out, const fv *list)
{
    sb_addc(out, '[');
    for (size_t i = 0; i < list->n; i++) {
        if (i)
            sb_addc(out, ',');
        df_json_str(out, list->items[i]->str, list->items[i]->len);
    }
    sb_addc(out, ']');
}

/* Backslash-escapes every byte of s found in set (for the Dockerfile lexer). */
void df_escape(strbuf *out, const char *s, size_t len, const char *set)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] && strchr(set, s[i]))
            sb_addc(out, '\\');
        sb_addc(out, s[i]);
    }
}

/* A value that must fit on one Dockerfile line, as readable UTF-8 text. */
static int df_check_text(const char *what, const char *s, size_t len, strbuf *err)
{
    if (!df_utf8_ok(s, len)) {
        sb_addf(err, "%s is not valid UTF-8 text", what);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            sb_addf(err, "%s contains a line break, which a Dockerfile cannot hold", what);
            return -1;
        }
    }
    return 0;
}

/* Appends "s" for ENV, LABEL, USER, WORKDIR. */
static int df_quoted(strbuf *out, const char *what, const fv *v, strbuf *err)
{
    if (!v || v->kind != FV_STR) {
        sb_addf(err, "%s must be a string", what);
        return -1;
    }
    if (df_check_text(what, v->str, v->len, err) < 0)
        return -1;
    sb_addc(out, '"');
    df_escape(out, v->str, v->len, "\\$\"");
    sb_addc(out, '"');
    return 0;
}

static int df_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of a map, sorted, so the Dockerfile does not depend on table order. */
static const char **df_sorted_keys(const fv *map)
{
    const char **keys = xcalloc(map->n + 1, sizeof *keys);
    for (size_t i = 0; i < map->n; i++)
        keys[i] = map->keys[i];
    qsort(keys, map->n, sizeof *keys, df_cmp_str);
    return keys;
}

static int df_env_key_ok(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++) {
        unsigned char c = (unsigned char)*k;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

int df_env(df_gen *g, const fv *env, strbuf *err)
{
    if (!env || env->kind != FV_MAP || env->n == 0)
        return 0;
    const char **keys = df_sorted_keys(env);
    strbuf *t = &g->d->text;
    strbuf what = STRBUF_INIT;
    int rc = 0;
    df_step(g, -1);
    sb_adds(t, "ENV");
    for (size_t i = 0; i < env->n && rc == 0; i++) {
        if (!df_env_key_ok(keys[i])) {
            sb_addf(err, "env: \"%s\" is not a valid variable name (letters, digits, _ . -)",
                    keys[i]);
            rc = -1;
            break;
        }
        sb_reset(&what);
        sb_addf(&what, "env: value of %s", keys[i]);
        sb_addf(t, " %s=", keys[i]);
        rc = df_quoted(t, what.buf, fv_get(env, keys[i]), err);
    }
    sb_addc(t, '\n');
    sb_release(&what);
    free(keys);
    return rc;
}

static int df_labels(df_gen *g, const fv *opts, strbuf *err)
{
    const fv *maint = fv_get(opts, "maintainer");
    const fv *labels = fv_get(opts, "labels");
    int have_labels = labels && labels->kind == FV_MAP && labels->n > 0;
    if (!maint && !have_labels)
        return 0;
    strbuf *t = &g->d->text;
    int rc = 0;
    df_step(g, -1);
    sb_adds(t, "LABEL");
    if (maint) {
        sb_adds(t, " maintainer=");
        rc = df_quoted(t, "maintainer", maint, err);
    }
    if (have_labels && rc == 0) {
        const char **keys = df_sorted_keys(labels);
        strbuf what = STRBUF_INIT;
        for (size_t i = 0; i < labels->n && rc == 0; i++) {
            fv key = {.kind = FV_STR, .str = (char *)keys[i], .len = strlen(keys[i])};
            sb_addc(t, ' ');
            rc = df_quoted(t, "labels: a key", &key, err);
            if (rc == 0) {
                sb_reset(&what);
                sb_addf(&what, "labels: value of %s", keys[i]);
                sb_addc(t, '=');
                rc = df_quoted(t, what.buf, fv_get(labels, keys[i]), err);
            }
        }
        sb_release(&what);
        free(keys);
    }
    sb_addc(t, '\n');
    return rc;
}

static int df_volumes(df_gen *g, const fv *vols, strbuf *err)
{
    if (!vols)
        return 0;
    if (vols->kind != FV_LIST) {
        sb_adds(err, "volumes must be a list of strings");
        return -1;
    }
    if (vols->n == 0)
        return 0;
    strbuf *t = &g->d->text;
    strbuf word = STRBUF_INIT;
    int rc = 0;
    df_step(g, -1);
    sb_adds(t, "VOLUME [");
    for (size_t i = 0; i < vols->n && rc == 0; i++) {
        const fv *v = vols->items[i];
        if (v->kind != FV_STR || v->len == 0) {
            sb_adds(err, "volumes must be a list of non-empty strings");
            rc = -1;
            break;
        }
        if ((rc = df_check_text("volumes: an entry", v->str, v->len, err)) < 0)
            break;
        sb_reset(&word);
        df_escape(&word, v->str, v->len, "\\$\"'");
        if (i)
            sb_addc(t, ',');
        df_json_str(t, word.buf, word.len);
    }
    sb_adds(t, "]\n");
    sb_release(&word);
    return rc;
}

/* EXPOSE; the syntax of a port is options.c's (opt_port_check). */
static int df_ports(df_gen *g, const fv *ports, strbuf *err)
{
    if (!ports)
        return 0;
    if (ports->kind != FV_LIST) {
        sb_adds(err, "ports must be a list of port numbers or strings like \"53/udp\"");
        return -1;
    }
    if (ports->n == 0)
        return 0;
    strbuf *t = &g->d->text;
    strbuf why = STRBUF_INIT;
    df_step(g, -1);
    sb_adds(t, "EXPOSE");
    for (size_t i = 0; i < ports->n; i++) {
        const fv *p = ports->items[i];
        if (opt_port_check(p, &why) < 0) {
            sb_release(&why);
            sb_adds(err, "ports must be a list of port numbers or strings like \"53/udp\"");
            return -1;
        }
        if (p->kind == FV_STR)
            sb_addf(t, " %s", p->str);
        else
            sb_addf(t, " %lld", (long long)p->num);
    }
    sb_addc(t, '\n');
    return 0;
}

/* CMD / ENTRYPOINT: a list is the exec form; a string is run by /bin/sh -c. */
static int df_exec(df_gen *g, const char *instr, const char *key, const fv *v, strbuf *err)
{
    if (!v)
        return 0;
    strbuf *t = &g->d->text;
    if (v->kind == FV_STR) {
        if (!df_utf8_ok(v->str, v->len)) {
            sb_addf(err, "%s is not valid UTF-8 text", key);
            return -1;
        }
        df_step(g, -1);
        sb_addf(t, "%s [\"/bin/sh\",\"-c\",", instr);
        df_json_str(t, v->str, v->len);
        sb_adds(t, "]\n");
        return 0;
    }
    if (v->kind != FV_LIST) {
        sb_addf(err, "%s must be a list of strings (exec form) or a string (shell form)", key);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        const fv *w = v->items[i];
        if (w->kind != FV_STR || !df_utf8_ok(w->str, w->len)) {
            sb_addf(err, "%s must be a list of strings (exec form) or a string (shell form)", key);
            return -1;
        }
    }
    df_step(g, -1);
    sb_addf(t, "%s ", instr);
    df_json_list(t, v);
    sb_addc(t, '\n');
    return 0;
}

static int df_single(df_gen *g, const char *instr, const char *key, const fv *v, strbuf *err)
{
    if (!v)
        return 0;
    if (v->kind == FV_STR && v->len == 0) {
        sb_addf(err, "%s must not be empty", key);
        return -1;
    }
    strbuf *t = &g->d->text;
    df_step(g, -1);
    sb_addf(t, "%s ", instr);
    if (df_quoted(t, key, v, err) < 0)
        return -1;
    sb_addc(t, '\n');
    return 0;
}

int df_image_ok(const char *what, const fv *v, strbuf *err)
{
    /* Only a task run by fuse resolves its markers (deps.c); DockerBuilder
     * hands its options over as they are. */
    if (taskref_serial(v) > 0) {
        sb_addf(err,
                "%s is a task, which is built first only for a docker_container task; give an "
                "image name here",
                what);
        return -1;
    }
    if (v->kind != FV_STR || v->len == 0) {
        sb_addf(err, "%s must be a non-empty string", what);
        return -1;
    }
    /* Image references are plain names; anything else would be read
     * as a second word, a build argument or a line break. */
    size_t ok = 0, printable = 1;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        ok += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (c && strchr("._-:/@", c));
        printable &= c >= 0x20 && c != 0x7F;
    }
    if (ok == v->len)
        return 0;
    if (printable)
        sb_addf(err, "%s: \"%s\" is not a valid image reference", what, v->str);
    else
        sb_addf(err, "%s is not a valid image reference (it holds control characters)", what);
    return -1;
}

/* 1 when USER u runs commands as root, group root: "", "root", "0", "0:0",
 * "root:root". Anything else (even "root:staff": files made by the steps
 * would get group staff) is a user the steps must not run as. */
static int df_user_is_root(const char *u)
{
    if (!u)
        return 1;
    size_t n = strcspn(u, ":");
    int user_root = n == 0 || (n == 4 && !strncmp(u, "root", 4)) || (n == 1 && u[0] == '0');
    const char *g = u[n] == ':' ? u + n + 1 : NULL;
    int group_root = !g || !strcmp(g, "root") || !strcmp(g, "0");
    return user_root && group_root;
}

/* 1 when the Dockerfile must say USER root after FROM: the task sets user
 * (the base's own USER is then not looked up, so it may be anyone), or the
 * base image's USER is not root. fuse-apply installs packages and chowns
 * files: it must run as root whoever the image ends up running as. */
static int df_steps_need_root(const fv *opts, const char *base_user)
{
    return fv_get(opts, "user") != NULL || !df_user_is_root(base_user);
}

int df_base_user_needed(const fv *opts)
{
    return fv_get(opts, "user") == NULL;
}

int df_from(df_gen *g, const fv *opts, const char *base_user, strbuf *err)
{
    const fv *v = fv_get(opts, "from_image");
    if (v && df_image_ok("from_image", v, err) < 0)
        return -1;
    df_step(g, -1);
    sb_addf(&g->d->text, "FROM %s\n", v ? v->str : OPT_DEFAULT_IMAGE);
    if (df_steps_need_root(opts, base_user)) {
        df_step(g, -1);
        sb_adds(&g->d->text, "USER root\n");
    }
    return 0;
}

/* HEALTHCHECK and STOPSIGNAL (dfmeta.c), each an instruction of no resource. */
static int df_meta_steps(df_gen *g, const fv *opts, strbuf *err)
{
    size_t n;
    if (df_meta(&g->d->text, opts, &n, err) < 0)
        return -1;
    while (n--)
        df_step(g, -1);
    return 0;
}

/* The image's USER: the user option; else, when the steps ran as root on a
 * base of another user, that user again (the image must run as its base
 * did); else none (the base's own USER stays in force). */
static int df_final_user(df_gen *g, const fv *opts, const char *base_user, strbuf *err)
{
    const fv *user = fv_get(opts, "user");
    if (user || !df_steps_need_root(opts, base_user))
        return df_single(g, "USER", "user", user, err);
    fv base = {.kind = FV_STR, .str = (char *)base_user, .len = strlen(base_user)};
    return df_single(g, "USER", "the base image's USER", &base, err);
}

/* Metadata comes after the steps: VOLUME because Docker discards what
 * later steps write under a volume, and LABEL, USER... because a change
 * there then keeps every cached resource step. */
int df_metadata(df_gen *g, const fv *opts, const char *base_user, strbuf *err)
{
    if (df_volumes(g, fv_get(opts, "volumes"), err) < 0 ||
        df_ports(g, fv_get(opts, "ports"), err) < 0 || df_labels(g, opts, err) < 0 ||
        df_final_user(g, opts, base_user, err) < 0 ||
        df_single(g, "WORKDIR", "workdir", fv_get(opts, "workdir"), err) < 0 ||
        df_exec(g, "ENTRYPOINT", "entrypoint", fv_get(opts, "entrypoint"), err) < 0 ||
        df_exec(g, "CMD", "cmd", fv_get(opts, "cmd"), err) < 0 || df_meta_steps(g, opts, err) < 0)
        return -1;
    return 0;
}

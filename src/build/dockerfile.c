/* dockerfile.c -- the generated Dockerfile.
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
#include "dockerfile.h"

#include "df_stages.h"
#include "dfmeta.h"
#include "mem.h"
#include "taskref.h"

#include <stdlib.h>
#include <string.h>

#define DF_APPLY "/.fuse/fuse-apply"
/* A Dockerfile line longer than 64 KiB is rejected by Docker's scanner. */
#define DF_LINE_MAX (60 * 1024)
/* Resource layers (see df_resources): 60, with the base image's and ours
 * well under overlay2's 128; the last 40 of them one resource each. */
#define DF_MAX_LAYERS 60
#define DF_TAIL_LAYERS 40
#define DF_MAX_BATCHES 10

int df_utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p++;
        size_t more;
        unsigned min;
        if (c == 0)
            return 0;
        if (c < 0x80)
            continue;
        if ((c & 0xE0) == 0xC0)
            more = 1, min = 0x80, c &= 0x1F;
        else if ((c & 0xF0) == 0xE0)
            more = 2, min = 0x800, c &= 0x0F;
        else if ((c & 0xF8) == 0xF0)
            more = 3, min = 0x10000, c &= 0x07;
        else
            return 0;
        if ((size_t)(end - p) < more)
            return 0;
        for (size_t i = 0; i < more; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (*p & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
    }
    return 1;
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

/* The generator's state: the Dockerfile and its instruction -> resource map. */
typedef struct df_gen {
    dockerfile *d;
    size_t cap_steps, cap_blobs, cap_trees;
    int watches; /* some resource of the bundle watches another */
} df_gen;

/* Records that the instruction about to be written belongs to resource res. */
static void df_step(df_gen *g, long res)
{
    dockerfile *d = g->d;
    ALLOC_GROW(d->step_res, d->nsteps + 1, g->cap_steps);
    d->step_res[d->nsteps++] = res;
}

static df_blob *df_add_blob(df_gen *g)
{
    dockerfile *d = g->d;
    ALLOC_GROW(d->blobs, d->nblobs + 1, g->cap_blobs);
    df_blob *bl = &d->blobs[d->nblobs++];
    memset(bl, 0, sizeof *bl);
    return bl;
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

static int df_env(df_gen *g, const fv *env, strbuf *err)
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

/* "8000", "53/udp", "8000-8010/tcp". */
static int df_port_ok(const char *s)
{
    const char *p = s;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 5)
        return 0;
    p += digits;
    if (*p == '-') {
        digits = strspn(++p, "0123456789");
        if (digits == 0 || digits > 5)
            return 0;
        p += digits;
    }
    if (*p == '\0')
        return 1;
    return !strcmp(p, "/tcp") || !strcmp(p, "/udp") || !strcmp(p, "/sctp");
}

static int df_ports(df_gen *g, const fv *ports, strbuf *err)
{
    if (!ports)
        return 0;
    const char *bad = "ports must be a list of port numbers or strings like \"53/udp\"";
    if (ports->kind != FV_LIST) {
        sb_adds(err, bad);
        return -1;
    }
    if (ports->n == 0)
        return 0;
    strbuf *t = &g->d->text;
    df_step(g, -1);
    sb_adds(t, "EXPOSE");
    for (size_t i = 0; i < ports->n; i++) {
        const fv *p = ports->items[i];
        if (fv_is_int(p) && p->num >= 1 && p->num <= 65535) {
            sb_addf(t, " %lld", (long long)p->num);
        } else if (p->kind == FV_STR && df_port_ok(p->str)) {
            sb_addf(t, " %s", p->str);
        } else {
            sb_adds(err, bad);
            return -1;
        }
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

static int df_from(df_gen *g, const fv *opts, strbuf *err)
{
    const fv *v = fv_get(opts, "from_image");
    if (v && df_image_ok("from_image", v, err) < 0)
        return -1;
    df_step(g, -1);
    sb_addf(&g->d->text, "FROM %s\n", v ? v->str : "debian:bookworm");
    return 0;
}

/* A File's data goes into the context as a blob when a Dockerfile line is
 * the wrong place for it: too large, binary, secret (it would show in
 * `docker history`), or already a file on disk. */
static int df_needs_blob(const bundle_res *r)
{
    if (strcmp(r->type->name, "File") != 0 || fv_get(r->fields, "from"))
        return 0;
    if (fv_get(r->fields, "source"))
        return 1;
    const fv *c = fv_get(r->fields, "contents");
    if (!c || c->kind != FV_STR)
        return 0;
    const fv *s = fv_get(r->fields, "sensitive");
    if (s && s->kind == FV_BOOL && s->b)
        return 1;
    return c->len > DF_INLINE_MAX || !df_utf8_ok(c->str, c->len);
}

/* A File whose data is a blob can often skip fuse-apply: one COPY of the
 * blob straight to its destination, the tar entry carrying the mode and
 * --chown the owner, writes each byte once (the blob + RUN pair writes it
 * twice and the image holds it twice). df_direct_copy says when that COPY
 * is the same as what fuse-apply would do to a new file; fuse-resources(7)
 * lists what differs when the destination already exists. */
typedef struct df_copy {
    unsigned mode;   /* of the tar entry */
    const fv *owner; /* or NULL: root, as a new file made by fuse-apply */
    const fv *group; /* or NULL: root (or, with an owner, never: see below) */
} df_copy;

/* An owner or group that --chown=U:G carries as fuse-apply reads it: a
 * number (both take all digits as an ID), or a name of the portable
 * characters; ':' would split the flag, and names are looked up in the
 * image's /etc/passwd and /etc/group by both. */
int df_chown_id_ok(const fv *v)
{
    if (fv_is_int(v))
        return v->num >= 0 && v->num <= 999999999;
    if (v->kind != FV_STR || v->len == 0 || v->len > 32 || v->str[0] == '-')
        return 0;
    size_t digits = strspn(v->str, "0123456789");
    if (digits == v->len)
        return v->len <= 9;
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A destination COPY writes as a file of that very name: one line of UTF-8
 * text, and not a directory spelling ("/x/", "/x/.", "/x/..") that COPY
 * would copy into. */
int df_copy_dest_ok(const char *name, size_t len)
{
    if (len < 2 || len > 4096 || name[0] != '/' || name[len - 1] == '/' || !df_utf8_ok(name, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
            return 0;
    const char *base = strrchr(name, '/') + 1;
    return strcmp(base, ".") != 0 && strcmp(base, "..") != 0;
}

/* 1 when a watches entry of the bundle names r (as "File[/x]" or "/x"):
 * the watcher needs the change marker only fuse-apply writes. */
int df_is_watched(const bundle *b, const bundle_res *r, const char *name)
{
    strbuf id = STRBUF_INIT;
    if (r->ident)
        sb_adds(&id, r->ident);
    else
        rt_ident(r->type, r->fields, &id);
    int hit = 0;
    for (size_t i = 0; i < b->n && !hit; i++) {
        const fv *w = fv_get(b->items[i].fields, "watches");
        for (size_t j = 0; w && w->kind == FV_LIST && j < w->n && !hit; j++) {
            const fv *e = w->items[j];
            hit = e->kind == FV_STR && (!strcmp(e->str, id.buf) || !strcmp(e->str, name));
        }
    }
    sb_release(&id);
    return hit;
}

/* 1 when resource i, on a step of its own, is a File that one COPY makes
 * exactly as fuse-apply would make it new; cp gets the mode and owner.
 * watches: some resource of b watches another (else no need to look). */
static int df_direct_copy(const bundle *b, size_t i, int watches, df_copy *cp)
{
    const bundle_res *r = &b->items[i];
    if (!df_needs_blob(r))
        return 0;
    const char *policy = fv_gets(r->fields, "policy");
    const fv *own = fv_get(r->fields, "watches");
    const fv *name = fv_get(r->fields, "name");
    if ((policy && strcmp(policy, "apply") != 0) || (own && own->kind == FV_LIST && own->n) ||
        !name || name->kind != FV_STR || !df_copy_dest_ok(name->str, name->len))
        return 0;
    /* fuse-apply's mode for a new file; set-user/group-ID bits are not
     * kept by COPY (its chown after the copy clears them). */
    const char *m = fv_gets(r->fields, "mode");
    if (!m)
        m = rt_default(r->type, "mode");
    char *end = NULL;
    long mode = m ? strtol(m, &end, 8) : 0644;
    if ((m && (!*m || *end)) || mode < 0 || mode > 07777 || (mode & 06000))
        return 0;
    cp->mode = (unsigned)mode;
    cp->owner = fv_get(r->fields, "owner");
    cp->group = fv_get(r->fields, "group");
    if ((cp->owner && !df_chown_id_ok(cp->owner)) || (cp->group && !df_chown_id_ok(cp->group)))
        return 0;
    /* An owner alone brings its primary group, which only fuse-apply looks
     * up in the image: --chown=U takes the group named U in the classic
     * builder and U's primary group in BuildKit. */
    if (cp->owner && !cp->group)
        return 0;
    return !watches || !df_is_watched(b, r, name->str);
}

void df_chown_id(strbuf *t, const fv *v)
{
    if (!v)
        sb_addc(t, '0');
    else if (v->kind == FV_STR)
        sb_add(t, v->str, v->len);
    else
        sb_addf(t, "%lld", (long long)v->num);
}

/* COPY [--chown=U:G] [".fuse/blobs/N","/dest"]. --chown always names both
 * (a group alone is U 0), since builders disagree on what U alone means.
 * The destination goes through
 * the Dockerfile lexer after JSON decoding (COPY expands $VAR and reads
 * quotes even in JSON form), hence the backslashes before \ $ " '. */
static void df_copy_step(df_gen *g, const bundle_res *r, size_t i, const df_copy *cp)
{
    strbuf *t = &g->d->text;
    df_blob *bl = df_add_blob(g);
    const fv *src = fv_get(r->fields, "source");
    if (src) {
        bl->path = xstrdup(src->str);
    } else {
        const fv *c = fv_get(r->fields, "contents");
        bl->data = c->str;
        bl->len = c->len;
    }
    strbuf name = STRBUF_INIT, dest = STRBUF_INIT;
    sb_addf(&name, ".fuse/blobs/%zu", i + 1);
    bl->mode = cp->mode;
    const fv *to = fv_get(r->fields, "name");
    df_escape(&dest, to->str, to->len, "\\$\"'");
    df_step(g, (long)i);
    sb_adds(t, "COPY ");
    if (cp->owner || cp->group) {
        sb_adds(t, "--chown=");
        df_chown_id(t, cp->owner);
        sb_addc(t, ':');
        df_chown_id(t, cp->group);
        sb_addc(t, ' ');
    }
    sb_addc(t, '[');
    df_json_str(t, name.buf, name.len);
    sb_addc(t, ',');
    df_json_str(t, dest.buf, dest.len);
    sb_adds(t, "]\n");
    bl->name = sb_detach(&name, NULL);
    sb_release(&dest);
}

/* The resource as fuse-apply gets it: when its data is a blob, the blob is
 * added to the context as blob_name and the resource names it in the image
 * (source = "/" blob_name) instead of carrying it. */
static int df_res_json(df_gen *g, const bundle_res *r, const char *blob_name, strbuf *json)
{
    if (!blob_name)
        return bundle_res_dump(r, json, 0);
    df_blob *bl = df_add_blob(g);
    const fv *src = fv_get(r->fields, "source");
    if (src) {
        bl->path = xstrdup(src->str);
    } else {
        const fv *c = fv_get(r->fields, "contents");
        bl->data = c->str;
        bl->len = c->len;
    }
    bl->name = xstrdup(blob_name);
    bl->mode = 0600;
    bundle_res copy = {.type = r->type, .fields = fv_copy(r->fields)};
    fv_del(copy.fields, "contents");
    strbuf in_image = STRBUF_INIT;
    sb_addf(&in_image, "/%s", blob_name);
    fv_set(copy.fields, "source", fv_strz(in_image.buf));
    sb_release(&in_image);
    int rc = bundle_res_dump(&copy, json, 0);
    fv_free(copy.fields);
    return rc;
}

/* The start of every resource step's RUN. --no-sync: Docker keeps a step's
 * layer whole or drops it, so fsyncs buy nothing there. --state only when
 * something watches: without a watcher nobody reads the change markers,
 * and writing them costs two small files per change. */
static void df_run_prefix(const df_gen *g, strbuf *t)
{
    sb_adds(t, "RUN [\"" DF_APPLY "\",\"--no-changes-ok\",\"--no-sync\",");
    if (g->watches)
        sb_adds(t, "\"--state\",\"/.fuse/state\",");
}

/* The step of resource res that hands fuse-apply json inline. */
static void df_run_json(df_gen *g, long res, const strbuf *json)
{
    strbuf *t = &g->d->text;
    df_step(g, res);
    df_run_prefix(g, t);
    sb_adds(t, "\"--json\",");
    df_json_str(t, json->buf, json->len);
    sb_adds(t, "]\n");
}

/* One resource: a File copied straight to its place; or its blob COPY
 * when it has one, then its RUN. */
static int df_resource(df_gen *g, const bundle *b, size_t i, strbuf *err)
{
    const bundle_res *r = &b->items[i];
    strbuf *t = &g->d->text;
    if (fv_get(r->fields, "from")) {
        df_step(g, (long)i);
        return df_from_step(b, i, t, err);
    }
    df_copy cp;
    if (df_is_tree(r)) {
        df_step(g, (long)i);
        return df_tree_step(g->d, &g->cap_trees, b, i, err);
    }
    if (df_direct_copy(b, i, g->watches, &cp)) {
        df_copy_step(g, r, i, &cp);
        return 0;
    }
    strbuf json = STRBUF_INIT, name = STRBUF_INIT;
    int blob = df_needs_blob(r);
    if (blob)
        sb_addf(&name, ".fuse/blobs/%zu", i + 1);
    if (df_res_json(g, r, blob ? name.buf : NULL, &json) < 0) {
        sb_addf(err, "resource %zu (%s): cannot write its JSON", i + 1, r->type->name);
        sb_release(&json);
        sb_release(&name);
        return -1;
    }
    if (blob) {
        df_step(g, (long)i);
        sb_addf(t, "COPY %s /%s\n", name.buf, name.buf);
    }
    sb_release(&name);
    size_t start = t->len;
    df_run_json(g, (long)i, &json);
    sb_release(&json);
    if (t->len - start > DF_LINE_MAX) {
        strbuf id = STRBUF_INIT;
        rt_ident(r->type, r->fields, &id);
        /* The identity may be the huge part: keep the one-line error short. */
        sb_addf(err, "%.*s%s is too large for one build step (more than %d KiB of JSON)",
                id.len > 80 ? 80 : (int)id.len, id.buf, id.len > 80 ? "..." : "",
                DF_LINE_MAX / 1024);
        sb_release(&id);
        return -1;
    }
    return 0;
}

/* Resources [from, to) as one step: their bundle and blobs in the context
 * directory .fuse/steps/K (K = from + 1), one COPY of that directory, one
 * RUN of fuse-apply on the bundle file. A file, because a batch can be far
 * larger than a Dockerfile line (64 KiB) or an argument (128 KiB) allows. */
static int df_batch(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    strbuf dir = STRBUF_INIT, json = STRBUF_INIT, blob = STRBUF_INIT;
    sb_addf(&dir, ".fuse/steps/%zu", from + 1);
    sb_adds(&json, "{\"version\":1,\"resources\":[");
    for (size_t i = from; i < to; i++) {
        const bundle_res *r = &b->items[i];
        sb_reset(&blob);
        if (df_needs_blob(r))
            sb_addf(&blob, "%s/%zu", dir.buf, i + 1);
        if (i > from)
            sb_addc(&json, ',');
        if (df_res_json(g, r, blob.len ? blob.buf : NULL, &json) < 0) {
            sb_addf(err, "resource %zu (%s): cannot write its JSON", i + 1, r->type->name);
            sb_release(&dir);
            sb_release(&json);
            sb_release(&blob);
            return -1;
        }
    }
    sb_adds(&json, "]}\n");
    df_blob *bl = df_add_blob(g);
    sb_reset(&blob);
    sb_addf(&blob, "%s/bundle.json", dir.buf);
    bl->name = sb_detach(&blob, NULL);
    bl->own = sb_detach(&json, &bl->len);
    bl->data = bl->own;
    bl->mode = 0600;
    strbuf *t = &g->d->text;
    df_step(g, (long)from);
    sb_addf(t, "COPY %s /%s\n", dir.buf, dir.buf);
    df_step(g, (long)from);
    df_run_prefix(g, t);
    sb_addf(t, "\"/%s/bundle.json\"]\n", dir.buf);
    sb_release(&dir);
    return 0;
}

/* Resources [from, to) batched, but a tree (never in a bundle: it is a
 * COPY, see dockerfile_tree.c) or an artifact (a COPY --from, see
 * df_stages.c) on a step of its own between batches. */
static int df_batch_trees(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    size_t start = from;
    for (size_t i = from; i < to; i++) {
        if (!df_is_tree(&b->items[i]) && !fv_get(b->items[i].fields, "from"))
            continue;
        if ((start < i && df_batch(g, b, start, i, err) < 0) || df_resource(g, b, i, err) < 0)
            return -1;
        start = i + 1;
    }
    return start < to ? df_batch(g, b, start, to, err) : 0;
}

/* The layers a resource takes as a step of its own: its RUN, and the COPY
 * of its blob; or the one COPY of a File copied straight to its place. */
static size_t df_res_layers(const df_gen *g, const bundle *b, size_t i)
{
    df_copy cp;
    if (fv_get(b->items[i].fields, "from") || df_direct_copy(b, i, g->watches, &cp))
        return 1;
    return 1 + (size_t)df_needs_blob(&b->items[i]);
}

/* Where the unit starting at resource i ends: the consecutive resources of
 * its layer (layer = "NAME", one step), or i alone. */
static size_t df_unit_end(const bundle *b, size_t i)
{
    const char *layer = fv_gets(b->items[i].fields, "layer");
    size_t j = i + 1;
    while (layer && j < b->n && fv_gets(b->items[j].fields, "layer") &&
           strcmp(fv_gets(b->items[j].fields, "layer"), layer) == 0)
        j++;
    return j;
}

static size_t df_unit_layers(const df_gen *g, const bundle *b, size_t i)
{
    return df_unit_end(b, i) > i + 1 ? 2 : df_res_layers(g, b, i);
}

/* A layer group [from, to) as one step. Inline in the RUN line when it
 * can be (no blob, and the line fits): then nothing of it is copied into a
 * layer, so a file the group makes and removes leaves no trace; otherwise
 * as a batch, whose bundle and blobs a COPY layer keeps. */
static int df_group(df_gen *g, const bundle *b, size_t from, size_t to, strbuf *err)
{
    strbuf json = STRBUF_INIT;
    int inline_ok = 1;
    sb_addc(&json, '[');
    for (size_t i = from; i < to && inline_ok; i++) {
        if (i > from)
            sb_addc(&json, ',');
        inline_ok = !df_needs_blob(&b->items[i]) && bundle_res_dump(&b->items[i], &json, 0) == 0 &&
                    json.len < DF_LINE_MAX / 2;
    }
    sb_addc(&json, ']');
    if (inline_ok)
        df_run_json(g, (long)from, &json);
    sb_release(&json);
    return inline_ok ? 0 : df_batch(g, b, from, to, err);
}

/* The resource steps, by unit (a resource, or a layer group as one batch).
 * One step per unit while they fit in DF_MAX_LAYERS (overlay2 stacks at
 * most 128 layers, the base image's included); beyond that, the last units
 * keep a step each (DF_TAIL_LAYERS worth), so that editing the end of a
 * task still reruns little, and the earlier ones go in at most
 * DF_MAX_BATCHES batches of about equal size. */
static int df_resources(df_gen *g, const bundle *b, strbuf *err)
{
    size_t *starts = xcalloc(b->n + 1, sizeof *starts), nu = 0, total = 0, tail = 0;
    for (size_t i = 0; i < b->n; i = df_unit_end(b, i))
        starts[nu++] = i;
    starts[nu] = b->n;
    /* Counted only until the budget is exceeded: a File's check scans the
     * bundle's watches, which must not cost n * n on a large bundle. */
    for (size_t u = 0; u < nu && total <= DF_MAX_LAYERS; u++)
        total += df_unit_layers(g, b, starts[u]);
    int rc = 0;
    if (total > DF_MAX_LAYERS) {
        size_t used = 0;
        tail = nu;
        while (tail > 0 && used + df_unit_layers(g, b, starts[tail - 1]) <= DF_TAIL_LAYERS)
            used += df_unit_layers(g, b, starts[--tail]);
        size_t nb = tail < DF_MAX_BATCHES ? tail : DF_MAX_BATCHES;
        size_t per = nb ? (tail + nb - 1) / nb : 0;
        for (size_t u = 0; u < tail && rc == 0; u += per)
            rc = df_batch_trees(g, b, starts[u], starts[u + per < tail ? u + per : tail], err);
    }
    for (size_t u = tail; u < nu && rc == 0; u++) {
        if (starts[u + 1] > starts[u] + 1)
            rc = df_group(g, b, starts[u], starts[u + 1], err);
        else
            rc = df_resource(g, b, starts[u], err);
    }
    free(starts);
    return rc;
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

int df_generate(const fv *opts, const bundle *b, dockerfile *d, strbuf *err)
{
    df_gen g = {d, 0, 0, 0, 0};
    memset(d, 0, sizeof *d);
    sb_init(&d->text);
    /* The stages of artifacts first, each step credited to the first
     * resource copying from it, so a missing image names that resource. */
    for (size_t i = 0, n = 0; i < b->n; i++) {
        if (!fv_get(b->items[i].fields, "from") || (size_t)df_stage_of(b, i) <= n)
            continue;
        n++;
        df_step(&g, (long)i);
        if (df_stage_line(b, i, &d->text, err) < 0)
            goto fail;
    }
    if (df_from(&g, opts, err) < 0 || df_env(&g, fv_get(opts, "env"), err) < 0)
        goto fail;
    df_step(&g, -1);
    sb_adds(&d->text, "COPY fuse-apply " DF_APPLY "\n");
    g.watches = bundle_any_watches(b);
    if (df_resources(&g, b, err) < 0)
        goto fail;
    df_step(&g, -1);
    sb_adds(&d->text, "RUN [\"" DF_APPLY "\",\"--cleanup\",\"/.fuse\"]\n");
    /* Metadata comes after the steps: VOLUME because Docker discards what
     * later steps write under a volume, and LABEL, USER... because a change
     * there then keeps every cached resource step. */
    if (df_volumes(&g, fv_get(opts, "volumes"), err) < 0 ||
        df_ports(&g, fv_get(opts, "ports"), err) < 0 || df_labels(&g, opts, err) < 0 ||
        df_single(&g, "USER", "user", fv_get(opts, "user"), err) < 0 ||
        df_single(&g, "WORKDIR", "workdir", fv_get(opts, "workdir"), err) < 0 ||
        df_exec(&g, "ENTRYPOINT", "entrypoint", fv_get(opts, "entrypoint"), err) < 0 ||
        df_exec(&g, "CMD", "cmd", fv_get(opts, "cmd"), err) < 0 || df_meta_steps(&g, opts, err) < 0)
        goto fail;
    return 0;
fail:
    df_free(d);
    return -1;
}

void df_free(dockerfile *d)
{
    sb_release(&d->text);
    for (size_t i = 0; i < d->nblobs; i++) {
        free(d->blobs[i].name);
        free(d->blobs[i].path);
        free(d->blobs[i].own);
    }
    free(d->blobs);
    df_tree_free(d);
    free(d->step_res);
    memset(d, 0, sizeof *d);
    sb_init(&d->text);
}

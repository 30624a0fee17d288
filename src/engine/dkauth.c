/* dkauth.c -- config.json's registry credentials, and the auth headers of
 * the Docker Engine API (dkauth.h). */
#include "dkauth.h"

#include "mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* config.json is a few KiB; a larger one is not a docker CLI file. */
#define DKA_MAX_FILE (4u << 20)
/* yajl's tree is freed recursively: deep nesting would exhaust the stack,
 * and the docker CLI's file never nests past 3 levels. */
#define DKA_MAX_DEPTH 64

void dka_wipe(char *s)
{
    if (!s)
        return;
    /* explicit_bzero: a plain memset before free() may be optimised away. */
    explicit_bzero(s, strlen(s));
    free(s);
}

void dka_cred_clear(dka_cred *c)
{
    free(c->registry);
    free(c->username);
    dka_wipe(c->password);
    dka_wipe(c->token);
    memset(c, 0, sizeof *c);
}

void dka_free(dka_config *cfg)
{
    for (size_t i = 0; i < cfg->nauths; i++)
        dka_cred_clear(&cfg->auths[i]);
    free(cfg->auths);
    for (size_t i = 0; i < cfg->nhelpers; i++) {
        free(cfg->helper_reg[i]);
        free(cfg->helper_name[i]);
    }
    free(cfg->helper_reg);
    free(cfg->helper_name);
    free(cfg->creds_store);
    free(cfg->current_context);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- base64 ---- */

static int dka_b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int dka_b64decode(const char *s, size_t len, strbuf *out)
{
    while (len && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = dka_b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sb_addc(out, (int)((acc >> bits) & 0xff));
        }
    }
    return 0;
}

void dka_b64url(const void *data, size_t len, strbuf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        sb_addc(out, tab[(v >> 18) & 63]);
        sb_addc(out, tab[(v >> 12) & 63]);
        sb_addc(out, i + 1 < len ? tab[(v >> 6) & 63] : '=');
        sb_addc(out, i + 2 < len ? tab[v & 63] : '=');
    }
}

/* ---- registry names ---- */

static int dka_is_hub(const char *host, size_t n)
{
    static const char *const names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && strncmp(names[i], host, n) == 0)
            return 1;
    return 0;
}

/* As the docker CLI matches config keys: drop the scheme and any path. */
void dka_normalize(const char *key, strbuf *out)
{
    const char *h = key;
    if (strncmp(h, "https://", 8) == 0)
        h += 8;
    else if (strncmp(h, "http://", 7) == 0)
        h += 7;
    size_t n = strcspn(h, "/");
    if (dka_is_hub(h, n))
        sb_adds(out, DKA_HUB_KEY);
    else
        sb_add(out, h, n);
}

void dka_registry_of(const char *ref, strbuf *out)
{
    const char *slash = strchr(ref, '/');
    if (!slash)
        return;
    size_t n = (size_t)(slash - ref);
    /* docker's rule: a first component is a registry when it could not be
     * a user name: it has a dot or a port, or is localhost. */
    if (!memchr(ref, '.', n) && !memchr(ref, ':', n) && !(n == 9 && !strncmp(ref, "localhost", 9)))
        return;
    char *host = xmemdup(ref, n);
    dka_normalize(host, out);
    free(host);
}

const dka_cred *dka_find(const dka_config *cfg, const char *registry)
{
    for (size_t i = 0; i < cfg->nauths; i++)
        if (strcmp(cfg->auths[i].registry, registry) == 0)
            return &cfg->auths[i];
    return NULL;
}

const char *dka_helper(const dka_config *cfg, const char *registry)
{
    for (size_t i = 0; i < cfg->nhelpers; i++)
        if (strcmp(cfg->helper_reg[i], registry) == 0)
            return cfg->helper_name[i];
    return NULL;
}

/* ---- parsing ---- */

int dka_too_deep(const char *s, size_t len)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > DKA_MAX_DEPTH)
                return 1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

static const char *dka_str_of(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

/* Whether s[0..n) is UTF-8 (the headers are JSON, which must be). */
static int dka_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        if (len == 0 || i + len > n || (len == 2 && c < 0xc2) || (len == 4 && c > 0xf4))
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
        /* overlong 3- and 4-byte forms, and UTF-16 surrogates */
        if ((len == 3 && c == 0xe0 && s[i + 1] < 0xa0) ||
            (len == 3 && c == 0xed && s[i + 1] >= 0xa0) ||
            (len == 4 && c == 0xf0 && s[i + 1] < 0x90) ||
            (len == 4 && c == 0xf4 && s[i + 1] >= 0x90))
            return 0;
        i += len;
    }
    return 1;
}

/* auth = base64("user:password"): the daemon wants the two apart. */
static int dka_decode_auth(const char *auth, dka_cred *c)
{
    strbuf plain = STRBUF_INIT;
    int rc = dka_b64decode(auth, strlen(auth), &plain);
    char *colon = rc == 0 ? memchr(plain.buf, ':', plain.len) : NULL;
    if (!colon || memchr(plain.buf, '\0', plain.len) ||
        !dka_utf8((const unsigned char *)plain.buf, plain.len)) {
        rc = -1;
    } else {
        c->username = xmemdup(plain.buf, (size_t)(colon - plain.buf));
        c->password = xstrdup(colon + 1);
    }
    explicit_bzero(plain.buf, plain.len);
    sb_release(&plain);
    return rc;
}

static int dka_entry(dka_config *cfg, const char *key, yajl_val v, strbuf *err)
{
    if (!YAJL_IS_OBJECT(v)) {
        sb_addf(err, "%s: auths entry \"%s\" is not an object", cfg->path, key);
        return -1;
    }
    dka_cred c = {NULL, NULL, NULL, NULL};
    const char *auth = dka_str_of(v, "auth"), *tok = dka_str_of(v, "identitytoken");
    if (auth && *auth && dka_decode_auth(auth, &c) != 0) {
        sb_addf(err, "%s: auths entry \"%s\": auth is not base64 of user:password", cfg->path, key);
        return -1;
    }
    if (tok && *tok)
        c.token = xstrdup(tok);
    strbuf reg = STRBUF_INIT;
    dka_normalize(key, &reg);
    /* {} entries are what `docker login` leaves beside a credsStore. */
    if ((!c.username && !c.token) || reg.len == 0 || dka_find(cfg, reg.buf)) {
        sb_release(&reg);
        dka_cred_clear(&c);
        return 0;
    }
    c.registry = sb_detach(&reg, NULL);
    ALLOC_GROW(cfg->auths, cfg->nauths + 1, cfg->auths_alloc);
    cfg->auths[cfg->nauths++] = c;
    return 0;
}

static int dka_auths(dka_config *cfg, yajl_val root, strbuf *err)
{
    const char *path[] = {"auths", NULL};
    yajl_val a = yajl_tree_get(root, path, yajl_t_any);
    if (!a || YAJL_IS_NULL(a))
        return 0;
    if (!YAJL_IS_OBJECT(a)) {
        sb_addf(err, "%s: auths is not an object", cfg->path);
        return -1;
    }
    for (size_t i = 0; i < a->u.object.len; i++)
        if (dka_entry(cfg, a->u.object.keys[i], a->u.object.values[i], err) != 0)
            return -1;
    return 0;
}

/* Helper names become part of a command name: no path, no option. */
static int dka_bad_name(const char *s)
{
    return !*s || strchr(s, '/') || s[0] == '-' || strlen(s) > 128;
}

static int dka_helpers(dka_config *cfg, yajl_val root, strbuf *err)
{
    const char *path[] = {"credHelpers", NULL};
    yajl_val h = yajl_tree_get(root, path, yajl_t_any);
    if (!h || YAJL_IS_NULL(h))
        return 0;
    if (!YAJL_IS_OBJECT(h)) {
        sb_addf(err, "%s: credHelpers is not an object", cfg->path);
        return -1;
    }
    size_t n = h->u.object.len;
    cfg->helper_reg = xcalloc(n + 1, sizeof *cfg->helper_reg);
    cfg->helper_name = xcalloc(n + 1, sizeof *cfg->helper_name);
    for (size_t i = 0; i < n; i++) {
        yajl_val v = h->u.object.values[i];
        if (!YAJL_IS_STRING(v) || dka_bad_name(YAJL_GET_STRING(v))) {
            sb_addf(err, "%s: credHelpers entry \"%s\" is not a helper name", cfg->path,
                    h->u.object.keys[i]);
            return -1;
        }
        strbuf reg = STRBUF_INIT;
        dka_normalize(h->u.object.keys[i], &reg);
        cfg->helper_reg[cfg->nhelpers] = sb_detach(&reg, NULL);
        cfg->helper_name[cfg->nhelpers++] = xstrdup(YAJL_GET_STRING(v));
    }
    return 0;
}

static int dka_store(dka_config *cfg, yajl_val root, strbuf *err)
{
    const char *path[] = {"credsStore", NULL};
    yajl_val s = yajl_tree_get(root, path, yajl_t_any);
    if (!s || YAJL_IS_NULL(s) || (YAJL_IS_STRING(s) && !*YAJL_GET_STRING(s)))
        return 0;
    if (!YAJL_IS_STRING(s) || dka_bad_name(YAJL_GET_STRING(s))) {
        sb_addf(err, "%s: credsStore is not a helper name", cfg->path);
        return -1;
    }
    cfg->creds_store = xstrdup(YAJL_GET_STRING(s));
    return 0;
}

/* currentContext: a name, checked only when it is used (endpoint.c). */
static int dka_context(dka_config *cfg, yajl_val root, strbuf *err)
{
    const char *path[] = {"currentContext", NULL};
    yajl_val s = yajl_tree_get(root, path, yajl_t_any);
    if (!s || YAJL_IS_NULL(s) || (YAJL_IS_STRING(s) && !*YAJL_GET_STRING(s)))
        return 0;
    if (!YAJL_IS_STRING(s)) {
        sb_addf(err, "%s: currentContext is not a string", cfg->path);
        return -1;
    }
    cfg->current_context = xstrdup(YAJL_GET_STRING(s));
    return 0;
}

int dka_parse(const char *json, size_t len, const char *path, dka_config *cfg, strbuf *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->path = xstrdup(path);
    /* yajl's own message quotes the text around the error, which may be a
     * secret: only the file is named. */
    if (memchr(json, '\0', len) || dka_too_deep(json, len)) {
        sb_addf(err, "%s: not valid JSON", path);
        return -1;
    }
    char *text = xmemdup(json, len);
    char ebuf[2];
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    explicit_bzero(text, len);
    free(text);
    int rc = -1;
    if (!root)
        sb_addf(err, "%s: not valid JSON", path);
    else if (!YAJL_IS_OBJECT(root))
        sb_addf(err, "%s: not a JSON object", path);
    else if (dka_auths(cfg, root, err) == 0 && dka_helpers(cfg, root, err) == 0 &&
             dka_store(cfg, root, err) == 0 && dka_context(cfg, root, err) == 0)
        rc = 0;
    yajl_tree_free(root);
    return rc;
}

void dka_config_dir(strbuf *out)
{
    const char *dir = getenv("DOCKER_CONFIG");
    if (dir && *dir)
        sb_adds(out, dir);
    else if (getenv("HOME"))
        sb_addf(out, "%s/.docker", getenv("HOME"));
}

static void dka_config_path(strbuf *out)
{
    dka_config_dir(out);
    if (out->len)
        sb_adds(out, "/config.json");
}

int dka_load(dka_config *cfg, strbuf *err)
{
    memset(cfg, 0, sizeof *cfg);
    strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    dka_config_path(&path);
    int rc = 0;
    if (path.len == 0) {
        cfg->path = xstrdup("config.json");
    } else if (sb_read_file(&text, path.buf) != 0) {
        cfg->path = xstrdup(path.buf);
        if (errno != ENOENT && errno != ENOTDIR) {
            sb_addf(err, "%s: %s", path.buf, strerror(errno));
            rc = -1;
        }
    } else if (text.len > DKA_MAX_FILE) {
        cfg->path = xstrdup(path.buf);
        sb_addf(err, "%s: larger than %u MiB", path.buf, DKA_MAX_FILE >> 20);
        rc = -1;
    } else {
        rc = dka_parse(text.buf, text.len, path.buf, cfg, err);
    }
    explicit_bzero(text.buf, text.len);
    sb_release(&text);
    sb_release(&path);
    return rc;
}

/* ---- headers ---- */

#define DKA_GEN(call) (ok = ok && (call) == yajl_gen_status_ok)

static int dka_gen_str(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok;
}

/* One AuthConfig object, as the daemon reads it. */
static int dka_gen_cred(yajl_gen g, const dka_cred *c)
{
    int ok = yajl_gen_map_open(g) == yajl_gen_status_ok;
    if (c && c->username) {
        ok = ok && dka_gen_str(g, "username") && dka_gen_str(g, c->username);
        ok = ok && dka_gen_str(g, "password") && dka_gen_str(g, c->password ? c->password : "");
    }
    if (c && c->token)
        ok = ok && dka_gen_str(g, "identitytoken") && dka_gen_str(g, c->token);
    if (c && c->registry && (c->username || c->token))
        ok = ok && dka_gen_str(g, "serveraddress") && dka_gen_str(g, c->registry);
    DKA_GEN(yajl_gen_map_close(g));
    return ok;
}

/* Encodes what g generated and wipes yajl's copy. */
static int dka_gen_finish(yajl_gen g, int ok, strbuf *out)
{
    const unsigned char *buf = NULL;
    size_t len = 0;
    DKA_GEN(yajl_gen_get_buf(g, &buf, &len));
    if (ok) {
        dka_b64url(buf, len, out);
        explicit_bzero((void *)buf, len);
    }
    yajl_gen_free(g);
    return ok ? 0 : -1;
}

int dka_auth_header(const dka_cred *c, strbuf *out)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return -1;
    return dka_gen_finish(g, dka_gen_cred(g, c), out);
}

int dka_config_header(const dka_cred *creds, size_t n, strbuf *out)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (!g)
        return -1;
    int ok = yajl_gen_map_open(g) == yajl_gen_status_ok;
    for (size_t i = 0; ok && i < n; i++)
        ok = dka_gen_str(g, creds[i].registry) && dka_gen_cred(g, &creds[i]);
    DKA_GEN(yajl_gen_map_close(g));
    return dka_gen_finish(g, ok, out);
}

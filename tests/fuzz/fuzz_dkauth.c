/* fuzz_dkauth.c -- config.json's parser (dkauth.c).
 *
 * The input is the file's text. Invariants: a failure is one line naming
 * the file and a success leaves err empty; parsing is deterministic; every
 * credential has a normalised registry (unique, no scheme, no path unless
 * it is Docker Hub's key) and a user or a token, a user has no ':' and a
 * password; the headers built from them decode back (base64url) to JSON
 * objects holding the same users and passwords; helper names are safe in a
 * command name. */
#include "dkauth.h"
#include "fuzz.h"
#include "mem.h"

#include <string.h>
#include <yajl/yajl_tree.h>

#define FZ_PATH "/fz/config.json"

/* base64url -> bytes, through the standard alphabet. */
static yajl_val fz_decode_json(const strbuf *h)
{
    strbuf std = STRBUF_INIT, json = STRBUF_INIT;
    sb_add(&std, h->buf, h->len);
    for (size_t i = 0; i < std.len; i++)
        std.buf[i] = std.buf[i] == '-' ? '+' : std.buf[i] == '_' ? '/' : std.buf[i];
    FZ_ASSERT(dka_b64decode(std.buf, std.len, &json) == 0, "header is not base64url: %s", h->buf);
    char ebuf[64];
    yajl_val v = yajl_tree_parse(json.buf, ebuf, sizeof ebuf);
    FZ_ASSERT(YAJL_IS_OBJECT(v), "header is not a JSON object: %s", ebuf);
    sb_release(&std);
    sb_release(&json);
    return v;
}

static const char *fz_get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static void fz_check_cred(const dka_config *cfg, size_t i)
{
    const dka_cred *c = &cfg->auths[i];
    FZ_ASSERT(c->registry && *c->registry, "credential %zu has no registry", i);
    FZ_ASSERT(strcmp(c->registry, DKA_HUB_KEY) == 0 || !strchr(c->registry, '/'),
              "registry \"%s\" is not normalised", c->registry);
    FZ_ASSERT(dka_find(cfg, c->registry) == c, "registry \"%s\" twice", c->registry);
    FZ_ASSERT(c->username || c->token, "credential %zu is empty", i);
    FZ_ASSERT(!c->username || (c->password && !strchr(c->username, ':')), "user of credential %zu",
              i);
    strbuf h = STRBUF_INIT;
    FZ_ASSERT(dka_auth_header(c, &h) == 0, "auth header");
    yajl_val v = fz_decode_json(&h);
    if (c->username) {
        const char *u = fz_get(v, "username"), *p = fz_get(v, "password");
        FZ_ASSERT(u && strcmp(u, c->username) == 0, "username does not round-trip");
        FZ_ASSERT(p && strcmp(p, c->password) == 0, "password does not round-trip");
    }
    yajl_tree_free(v);
    sb_release(&h);
}

static void fz_check_config_header(const dka_config *cfg)
{
    strbuf h = STRBUF_INIT;
    FZ_ASSERT(dka_config_header(cfg->auths, cfg->nauths, &h) == 0, "config header");
    yajl_val v = fz_decode_json(&h);
    FZ_ASSERT(v->u.object.len == cfg->nauths, "config header has %zu entries, not %zu",
              v->u.object.len, cfg->nauths);
    for (size_t i = 0; i < cfg->nauths; i++) {
        const dka_cred *c = &cfg->auths[i];
        if (!c->username)
            continue;
        const char *path[] = {c->registry, "password", NULL};
        yajl_val p = yajl_tree_get(v, path, yajl_t_string);
        FZ_ASSERT(p && strcmp(YAJL_GET_STRING(p), c->password) == 0, "config header password");
    }
    yajl_tree_free(v);
    sb_release(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dka_config a, b;
    strbuf ea = STRBUF_INIT, eb = STRBUF_INIT;
    int ra = dka_parse((const char *)data, size, FZ_PATH, &a, &ea);
    int rb = dka_parse((const char *)data, size, FZ_PATH, &b, &eb);
    FZ_ASSERT(ra == rb && strcmp(ea.buf, eb.buf) == 0 && a.nauths == b.nauths, "two parses differ");
    fz_check_result(ra, ea.buf, FZ_PATH);
    if (ra == 0) {
        for (size_t i = 0; i < a.nauths; i++)
            fz_check_cred(&a, i);
        fz_check_config_header(&a);
        for (size_t i = 0; i < a.nhelpers; i++)
            FZ_ASSERT(*a.helper_name[i] && !strchr(a.helper_name[i], '/') &&
                          a.helper_name[i][0] != '-',
                      "helper name \"%s\"", a.helper_name[i]);
        FZ_ASSERT(!a.creds_store || (*a.creds_store && !strchr(a.creds_store, '/')),
                  "credsStore \"%s\"", a.creds_store);
    }
    dka_free(&a);
    dka_free(&b);
    sb_release(&ea);
    sb_release(&eb);
    return 0;
}

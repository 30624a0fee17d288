/* epcontext.c -- a docker context's meta.json and TLS files (epcontext.h). */
#include "epcontext.h"

#include "dkauth.h"
#include "mem.h"
#include "sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

/* meta.json is a few hundred bytes; the CLI writes nothing near this. */
#define EP_MAX_META (1u << 20)

void ep_ctxmeta_release(ep_ctxmeta *m)
{
    free(m->host);
    free(m->ca);
    free(m->cert);
    free(m->key);
    memset(m, 0, sizeof *m);
}

/* Endpoints.docker: Host a string (or absent: the default socket), and
 * SkipTLSVerify a boolean (or absent), as the CLI's typed decoder wants. */
static int ep_meta_docker(yajl_val root, const char *path, ep_ctxmeta *m, strbuf *err)
{
    const char *dpath[] = {"Endpoints", "docker", NULL};
    yajl_val d = yajl_tree_get(root, dpath, yajl_t_any);
    if (!d || YAJL_IS_NULL(d)) {
        sb_addf(err, "%s: the context has no docker endpoint", path);
        return -1;
    }
    if (!YAJL_IS_OBJECT(d)) {
        sb_addf(err, "%s: Endpoints.docker is not an object", path);
        return -1;
    }
    const char *hpath[] = {"Host", NULL}, *spath[] = {"SkipTLSVerify", NULL};
    yajl_val h = yajl_tree_get(d, hpath, yajl_t_any);
    yajl_val s = yajl_tree_get(d, spath, yajl_t_any);
    if (h && !YAJL_IS_NULL(h) && !YAJL_IS_STRING(h)) {
        sb_addf(err, "%s: Endpoints.docker.Host is not a string", path);
        return -1;
    }
    if (s && !YAJL_IS_NULL(s) && !YAJL_IS_TRUE(s) && !YAJL_IS_FALSE(s)) {
        sb_addf(err, "%s: Endpoints.docker.SkipTLSVerify is not true or false", path);
        return -1;
    }
    const char *host = h && YAJL_IS_STRING(h) ? YAJL_GET_STRING(h) : "";
    /* The URL goes into messages and onto ssh's command line. */
    for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            sb_addf(err, "%s: Endpoints.docker.Host holds a control character", path);
            return -1;
        }
    }
    m->host = xstrdup(host);
    m->skip_verify = s && YAJL_IS_TRUE(s);
    return 0;
}

int ep_meta_parse(const char *json, size_t len, const char *path, ep_ctxmeta *m, strbuf *err)
{
    memset(m, 0, sizeof *m);
    if (memchr(json, '\0', len) || dka_too_deep(json, len)) {
        sb_addf(err, "%s: not valid JSON", path);
        return -1;
    }
    char *text = xmemdup(json, len);
    char ebuf[2];
    yajl_val root = yajl_tree_parse(text, ebuf, sizeof ebuf);
    free(text);
    int rc = -1;
    if (!root)
        sb_addf(err, "%s: not valid JSON", path);
    else if (!YAJL_IS_OBJECT(root))
        sb_addf(err, "%s: not a JSON object", path);
    else
        rc = ep_meta_docker(root, path, m, err);
    yajl_tree_free(root);
    if (rc != 0)
        ep_ctxmeta_release(m);
    return rc;
}

int ep_tls_dir(const char *dir, char **ca, char **cert, char **key, strbuf *err)
{
    char **slot[3] = {ca, cert, key};
    const char *name[3] = {"ca.pem", "cert.pem", "key.pem"};
    struct stat st;
    for (int i = 0; i < 3; i++) {
        strbuf f = STRBUF_INIT;
        sb_addf(&f, "%s/%s", dir, name[i]);
        if (stat(f.buf, &st) == 0 && S_ISREG(st.st_mode))
            *slot[i] = sb_detach(&f, NULL);
        sb_release(&f);
    }
    if (!*cert != !*key) {
        sb_addf(err, "%s: %s without %s", dir, *cert ? "cert.pem" : "key.pem",
                *cert ? "key.pem" : "cert.pem");
        return -1;
    }
    return 0;
}

int ep_context_load(const char *name, const char *from, ep_ctxmeta *m, strbuf *err)
{
    memset(m, 0, sizeof *m);
    strbuf id = STRBUF_INIT;
    sha256_of(name, strlen(name), &id);
    strbuf dir = STRBUF_INIT, path = STRBUF_INIT, text = STRBUF_INIT;
    dka_config_dir(&dir);
    sb_addf(&path, "%s/contexts/meta/%s/meta.json", dir.buf, id.buf);
    int rc = -1;
    if (dir.len == 0 || sb_read_file(&text, path.buf) != 0) {
        if (dir.len == 0 || errno == ENOENT || errno == ENOTDIR)
            sb_addf(err, "%s: no such docker context (`docker context ls` lists them)", from);
        else
            sb_addf(err, "%s: %s", path.buf, strerror(errno));
    } else if (text.len > EP_MAX_META) {
        sb_addf(err, "%s: larger than %u MiB", path.buf, EP_MAX_META >> 20);
    } else if (ep_meta_parse(text.buf, text.len, path.buf, m, err) == 0) {
        sb_reset(&path);
        sb_addf(&path, "%s/contexts/tls/%s/docker", dir.buf, id.buf);
        rc = ep_tls_dir(path.buf, &m->ca, &m->cert, &m->key, err);
    }
    if (rc != 0)
        ep_ctxmeta_release(m);
    sb_release(&id);
    sb_release(&dir);
    sb_release(&path);
    sb_release(&text);
    return rc;
}

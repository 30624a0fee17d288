/* epcontext.h -- the docker CLI's context store.
 *
 * A context NAME lives in $DOCKER_CONFIG/contexts (default ~/.docker):
 *   meta/<sha256 hex of NAME>/meta.json
 *     {"Name": NAME, "Metadata": {...},
 *      "Endpoints": {"docker": {"Host": URL, "SkipTLSVerify": BOOL}}}
 *   tls/<sha256 hex of NAME>/docker/{ca,cert,key}.pem  (each optional)
 * This module only finds and parses: endpoint.c decides what the URL
 * means. Separate so the parser can be fuzzed alone. */
#ifndef FUSE_EPCONTEXT_H
#define FUSE_EPCONTEXT_H

#include "strbuf.h"

#include <stddef.h>

typedef struct ep_ctxmeta {
    char *host; /* Endpoints.docker.Host; "" when the context names none */
    int skip_verify;
    char *ca, *cert, *key; /* the TLS files that exist, else NULL */
} ep_ctxmeta;

/* Parses meta.json's text; path names the file in messages. Returns 0, or
 * -1 with one line in err ("PATH: not valid JSON", "PATH: no docker
 * endpoint"). */
int ep_meta_parse(const char *json, size_t len, const char *path, ep_ctxmeta *m, strbuf *err);

/* Reads context name's metadata and TLS files from the store; from names
 * where the name came from ("--context nosuch", "DOCKER_CONTEXT=nosuch").
 * Returns 0, or -1 with one line in err: "FROM: no such docker context
 * (`docker context ls` lists them)", or the parser's. */
int ep_context_load(const char *name, const char *from, ep_ctxmeta *m, strbuf *err);
void ep_ctxmeta_release(ep_ctxmeta *m);

/* The TLS files of dir that exist (ca.pem, cert.pem, key.pem, regular
 * files) into ca, cert and key, each left NULL otherwise. Returns 0, or -1
 * with "DIR: cert.pem without key.pem" (or the other way) in err. For a
 * context's files and for DOCKER_CERT_PATH's alike. */
int ep_tls_dir(const char *dir, char **ca, char **cert, char **key, strbuf *err);

#endif

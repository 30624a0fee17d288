/* dkauth.h -- registry credentials as the docker CLI keeps them.
 *
 * $DOCKER_CONFIG/config.json (default ~/.docker/config.json) holds
 *   "auths":       { "REGISTRY": { "auth": base64("user:password") } or
 *                                 { "identitytoken": "..." } },
 *   "credsStore":  "NAME"           (docker-credential-NAME for every registry),
 *   "credHelpers": { "REGISTRY": "NAME" }  (per registry, before credsStore),
 *   "currentContext": "NAME"       (the docker context to use, endpoint.h).
 * This module only parses and encodes: running helpers is dkcred.c. Nothing
 * here ever puts a secret into an error message: a malformed file is named,
 * and at most the registry key of the bad entry. Separate so it can be
 * fuzzed alone. */
#ifndef FUSE_DKAUTH_H
#define FUSE_DKAUTH_H

#include "strbuf.h"

#include <stddef.h>

/* The key the docker CLI files Docker Hub's credentials under. */
#define DKA_HUB_KEY "https://index.docker.io/v1/"

typedef struct dka_cred {
    char *registry;                    /* "127.0.0.1:5000" (a hostname[:port]), or DKA_HUB_KEY */
    char *username, *password, *token; /* each NULL when absent */
} dka_cred;

typedef struct dka_config {
    char *path;      /* the file, for messages */
    dka_cred *auths; /* entries with a credential, keys normalised, unique */
    size_t nauths, auths_alloc;
    char *creds_store;  /* or NULL */
    char **helper_reg;  /* credHelpers keys, normalised */
    char **helper_name; /* their helper names */
    size_t nhelpers;
    char *current_context; /* or NULL */
} dka_config;

/* Parses config.json's text; path names the file in messages. Returns 0, or
 * -1 with one line in err ("PATH: not valid JSON", "PATH: auths entry
 * \"HOST\": auth is not base64 of user:password"). */
int dka_parse(const char *json, size_t len, const char *path, dka_config *cfg, strbuf *err);

/* The docker CLI's directory: $DOCKER_CONFIG, or ~/.docker; "" when
 * neither is known (no HOME). */
void dka_config_dir(strbuf *out);

/* Reads $DOCKER_CONFIG/config.json, or ~/.docker/config.json. A missing file
 * is an empty configuration. */
int dka_load(dka_config *cfg, strbuf *err);
void dka_free(dka_config *cfg);

/* Frees a credential's strings, wiping the secrets first. */
void dka_cred_clear(dka_cred *c);

/* A config key as a registry: "https://h:5000/v2/" -> "h:5000"; Docker
 * Hub's names -> DKA_HUB_KEY. */
void dka_normalize(const char *key, strbuf *out);

/* The registry of an image reference, normalised, or "" when the reference
 * names none (its first component has no '.' or ':' and is not localhost). */
void dka_registry_of(const char *ref, strbuf *out);

/* The credential filed for registry (normalised), or NULL. */
const dka_cred *dka_find(const dka_config *cfg, const char *registry);
/* The helper credHelpers names for registry, or NULL. */
const char *dka_helper(const dka_config *cfg, const char *registry);

/* X-Registry-Auth's value: base64url of {"username","password",
 * "serveraddress"} or {"identitytoken",...}; "e30=" ({}) when c is NULL or
 * empty. Returns 0, or -1 when the JSON could not be written. */
int dka_auth_header(const dka_cred *c, strbuf *out);
/* X-Registry-Config's value: base64url of { REGISTRY: {...}, ... }. */
int dka_config_header(const dka_cred *creds, size_t n, strbuf *out);

/* base64 (standard alphabet, padding optional) into out; -1 when malformed. */
int dka_b64decode(const char *s, size_t len, strbuf *out);
/* base64url with padding, as the docker CLI encodes its auth headers. */
void dka_b64url(const void *data, size_t len, strbuf *out);

/* 1 when the JSON text nests deeper than any docker CLI file does (64
 * levels), counting brackets outside strings: yajl's tree would exhaust
 * the stack freeing it. For every JSON file of the CLI fuse reads. */
int dka_too_deep(const char *s, size_t len);

/* Overwrites and frees a secret string (NULL is fine). */
void dka_wipe(char *s);

#endif

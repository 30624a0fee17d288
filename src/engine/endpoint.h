/* endpoint.h -- where the Docker engine is and how to reach it.
 *
 * Read from the environment as the docker CLI reads it: DOCKER_HOST
 * (unix:// by default /var/run/docker.sock, tcp://), DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH, DOCKER_API_VERSION, no_proxy. Apart from the HTTP
 * client (docker.c) so new ways to name an engine (contexts, ssh://) grow
 * here and the client only connects to what this settles. fuse(1),
 * ENVIRONMENT, states the user-facing rules. */
#ifndef FUSE_ENDPOINT_H
#define FUSE_ENDPOINT_H

#include "strbuf.h"

#define EP_DEFAULT_HOST "unix:///var/run/docker.sock"
/* The API version fuse is written against (Docker 20.10), and the oldest it
 * accepts: /build's query parameters of 1.24 are all fuse uses. */
#define EP_OUR_API "1.41"
#define EP_MIN_API 1024 /* 1.24, as ep_vnum() encodes it */

typedef struct ep_endpoint {
    char *host; /* DOCKER_HOST as the user knows it, for messages */
    char *sock; /* the unix socket path, or NULL for tcp:// */
    char *base; /* "http://localhost" or "http[s]://host:port" */
    int tls;
    char *ca, *cert, *key; /* TLS files, NULL when not used */
    char *noproxy;         /* hosts reached without the environment's proxy */
    char version[16];      /* DOCKER_API_VERSION as settled, or "" */
} ep_endpoint;

/* Fills e from the environment. Returns 0, or -1 with one line in err:
 * "DOCKER_HOST=ftp://x: unsupported scheme (fuse speaks unix:// and
 * tcp://)", "DOCKER_API_VERSION=x: expected a version like 1.41", ...
 * e is to be released in both cases. */
int ep_from_env(ep_endpoint *e, strbuf *err);
void ep_release(ep_endpoint *e);

/* "1.41" -> 1041; -1 unless it is exactly digits.digits. */
int ep_vnum(const char *s);
/* The inverse of ep_vnum: 1041 -> "1.41". */
void ep_vstr(char *out, size_t size, int v);

#endif

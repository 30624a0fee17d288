/* endpoint.h -- which Docker engine, and how to reach it.
 *
 * Picked as the docker CLI picks it, first match wins:
 *   --context NAME           (ep_set_cli; conflicts with -H)
 *   -H/--host URL            (ep_set_cli)
 *   DOCKER_HOST              (the "default" context)
 *   DOCKER_CONTEXT
 *   currentContext of $DOCKER_CONFIG/config.json (dkauth.h reads it)
 *   the "default" context: unix:///var/run/docker.sock.
 * The default context takes TLS from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH;
 * any other context from the CLI's store (epcontext.c). URLs are unix://,
 * tcp:// and ssh://[user@]host[:port][/socket] (epssh.h runs the OpenSSH
 * client). DOCKER_API_VERSION applies to all. Apart from the HTTP client
 * (docker.c), which only connects to what this settles. fuse(1),
 * ENVIRONMENT and ENGINES, states the user-facing rules. */
#ifndef FUSE_ENDPOINT_H
#define FUSE_ENDPOINT_H

#include "strbuf.h"

#define EP_DEFAULT_HOST "unix:///var/run/docker.sock"
#define EP_DEFAULT_CONTEXT "default"
/* The API version fuse is written against (Docker 20.10), and the oldest it
 * accepts: /build's query parameters of 1.24 are all fuse uses. */
#define EP_OUR_API "1.41"
#define EP_MIN_API 1024 /* 1.24, as ep_vnum() encodes it */

struct ep_ssh;

typedef struct ep_endpoint {
    char *context; /* the docker context's name; "default" for a URL */
    char *host;    /* the URL as the user knows it, for messages */
    char *sock;    /* the unix socket path, or NULL */
    char *base;    /* "http://localhost" or "http[s]://host:port" */
    int tls;
    int skip_verify;       /* a context's SkipTLSVerify */
    char *ca, *cert, *key; /* TLS files, NULL when not used */
    char *noproxy;         /* hosts reached without the environment's proxy */
    struct ep_ssh *ssh;    /* ssh://: the command that reaches the engine */
    char version[16];      /* DOCKER_API_VERSION as settled, or "" */
} ep_endpoint;

/* The command line's -H/--host and --context (NULL when not given), which
 * come before the environment in ep_from_env(). Kept, not copied. */
void ep_set_cli(const char *host, const char *context);
/* What ep_set_cli() was last given (ep_engine.c restores it). */
void ep_get_cli(const char **host, const char **context);

/* Fills e with the engine the docker CLI would use. Returns 0, or -1 with
 * one line in err naming the setting: "DOCKER_HOST=ftp://x: unsupported
 * scheme ...", "--context nosuch: no such docker context ...", "DOCKER_API_VERSION=x:
 * expected a version like 1.41". e is to be released in both cases. */
int ep_from_env(ep_endpoint *e, strbuf *err);

/* Fills e with the engine name names: a URL ("unix:///x.sock",
 * "tcp://h:2376", "ssh://me@h") or a docker context's name ("default" is
 * the engine without contexts: -H, DOCKER_HOST or the default socket).
 * from names the setting in messages ("engine", "--context"). Returns 0 or
 * -1 as ep_from_env(). For a task's own engine. */
int ep_resolve(ep_endpoint *e, const char *name, const char *from, strbuf *err);
void ep_release(ep_endpoint *e);

/* "1.41" -> 1041; -1 unless it is exactly digits.digits. */
int ep_vnum(const char *s);
/* The inverse of ep_vnum: 1041 -> "1.41". */
void ep_vstr(char *out, size_t size, int v);
/* A TCP port of s[0..len): 1-65535 in decimal digits only; -1 otherwise. */
long ep_port(const char *s, size_t len);

#endif

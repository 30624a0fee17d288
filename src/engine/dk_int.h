/* dk_int.h -- what docker.c shares with the other requests of the engine
 * client (dkimage.c, dkmove.c); not for outside src/engine. */
#ifndef FUSE_DK_INT_H
#define FUSE_DK_INT_H

#include "docker.h"
#include "dkstream.h"
#include "endpoint.h"
#include "lazy.h"

/* Error bodies and /version answers are small; more is not worth keeping. */
#define DK_MAX_BODY (1u << 20)

struct dk_client {
    CURL *curl;
    ep_endpoint ep;           /* ep.version: the settled API version, "" until then */
    struct curl_slist *extra; /* dk_add_header()'s, for the next build */
    strbuf ssh_err;           /* why ssh could not be started */
    char pinned[16];          /* DOCKER_API_VERSION when opened, or "" */
    char errbuf[CURL_ERROR_SIZE];
    dk_engine eng;
    int pinged; /* eng holds what /_ping said */
};

/* One request's state, shared with the curl callbacks. */
typedef struct dk_xfer {
    dk_client *c;
    dk_read_fn read; /* the request body, or NULL */
    void *read_ud;
    int read_failed;
    int post;           /* POST even without a body */
    const char *method; /* another method ("DELETE"), or NULL */
    const char *json;   /* a JSON request body, or NULL */
    int cleanup;        /* runs despite a cancel request (removing what it left) */
    dks *stream;        /* a 200 answer's body goes here when set */
    int stream_failed;
    strbuf stream_err;
    int sink;        /* else, when set, fd + 1 that a 200 answer's body is written to */
    int sink_failed; /* the errno of a failed write there */
    strbuf body;     /* else here, up to DK_MAX_BODY */
    long status;
    dk_engine *eng; /* the answer's headers that identify the engine go here, when set */
} dk_xfer;

/* Runs one request. 0 when an answer came (x->status says which), -1 with
 * err set, -2 when interrupted. */
int dk_perform(dk_client *c, const char *path, dk_xfer *x, struct curl_slist *hdrs, strbuf *err);
/* "Docker: <message>" from an error answer's {"message": "..."}. */
void dk_http_error(const dk_xfer *x, strbuf *err);
void dk_xfer_release(dk_xfer *x);
/* The header lines lines[0..n), then (extra) the client's added ones; NULL
 * when out of memory. */
struct curl_slist *dk_headers(dk_client *c, const char *const *lines, size_t n, int extra);
/* POST path, the body from read (or none), each response message to on_msg;
 * the first error message of the stream fails it. Returns 0, -1, -2. */
int dk_stream_post(dk_client *c, const char *path, struct curl_slist *hdrs, dk_read_fn read,
                   void *read_ud, dk_msg_fn on_msg, void *msg_ud, strbuf *err);

/* POST /vX/what?query with a tar body streamed from read (chunked), and
 * (extra) the client's added headers; messages as dk_stream_post. */
int dk_tar_post(dk_client *c, const char *what, const char *query, int extra, dk_read_fn read,
                void *read_ud, dk_msg_fn on_msg, void *msg_ud, strbuf *err);

#endif

/* fakeengine.h -- a fake Docker engine for the unit tests.
 *
 * A thread serving HTTP/1.1 on a unix socket in a temp directory (or on
 * 127.0.0.1), with DOCKER_HOST pointing at it: it records what it received
 * and answers as the test's scenario says. Read the records after
 * fake_stop(); fake_free() releases them. */
#ifndef FUSE_FAKEENGINE_H
#define FUSE_FAKEENGINE_H

#include "strbuf.h"

#include <pthread.h>

enum scenario {
    SC_OK,          /* 200, the stream in tiny HTTP chunks */
    SC_ERRMSG,      /* 200, a stream ending with errorDetail */
    SC_CUT,         /* 200, half the stream, then the connection closes */
    SC_500,         /* 500 {"message": ...} after the whole body */
    SC_EARLY,       /* 400 before reading the body, then drain it */
    SC_HANG,        /* 200, one message, then waits for the client to go */
    SC_VERSION_500, /* /version itself fails */
    SC_CANNED       /* 200 with fake.canned as the body, then the connection closes */
};

typedef struct fake {
    char dir[64], sock[128];
    int lfd, stop[2];
    pthread_t th;
    const char *api, *min_api;
    enum scenario sc;
    /* What was received; read it after fake_stop(). */
    int n_version, n_build, n_conn;
    char build_path[1100];
    int chunked, had_length, had_expect, n_chunks, client_closed;
    int port; /* listening on 127.0.0.1:port instead of the unix socket */
    strbuf body;
    strbuf requests;    /* every request line, each followed by "\n" */
    int body_complete;  /* the last build's body arrived whole */
    const char *canned; /* SC_CANNED: the answer to a build */
    /* The answer to GET /images/{name}/json (200), or NULL: 404; after a
     * pull (POST /images/create), pulled instead. With pulled NULL, a pull
     * is refused (404). */
    const char *inspect, *pulled;
    int n_inspect, n_pull, did_pull;
    /* The header lines ("Api-Version: 1.41\r\n...") of a 200 answer to
     * GET /_ping, or NULL: 404. */
    const char *ping;
    int n_ping;
} fake;

/* Starts serving in scenario sc, answering /version with api, on a unix
 * socket, or on 127.0.0.1 when tcp. DOCKER_API_VERSION, DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH are unset. */
void fake_start_on(fake *f, enum scenario sc, const char *api, int tcp);
void fake_start(fake *f, enum scenario sc, const char *api);
/* SC_CANNED on a unix socket: every build is answered with response. */
void fake_start_canned(fake *f, const char *response);
/* fake_start_canned, answering image inspects and pulls with inspect and
 * pulled (see above). */
void fake_start_inspect(fake *f, const char *response, const char *inspect, const char *pulled);
/* SC_OK on a unix socket, answering /_ping with ping's header lines. */
void fake_start_ping(fake *f, const char *ping);
/* Stops the server; its records stay readable until fake_free(). */
void fake_stop(fake *f);
void fake_free(fake *f);
/* A listening unix socket at path. */
int listen_unix(const char *path);

#endif

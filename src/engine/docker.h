/* docker.h -- a small Docker Engine API client on libcurl.
 *
 * The engine is found as the docker CLI finds it (endpoint.h). One
 * connection is reused for every request: to a socket, over TCP, or
 * through one ssh process (epssh.h). */
#ifndef FUSE_DOCKER_H
#define FUSE_DOCKER_H

#include "strbuf.h"
#include "strvec.h"

#include <stddef.h>

typedef struct dk_client dk_client;

/* Connects lazily: creates the client from the environment. Returns NULL with
 * a one-line message in err for a malformed DOCKER_HOST, TLS setting or
 * DOCKER_API_VERSION. The first call also runs curl_global_init() (once per
 * process; curl_global_cleanup() runs at exit). */
dk_client *dk_open(strbuf *err);
/* The same for the engine a task names: a URL or a docker context's name
 * (endpoint.h, ep_resolve); NULL is dk_open(). */
dk_client *dk_open_engine(const char *engine, strbuf *err);
/* Done with c. An ssh:// client's connection is kept open for the next
 * dk_open of the same engine in this process (one ssh for a whole run),
 * and closed at exit. */
void dk_close(dk_client *c);
/* The engine's URL as used, e.g. "unix:///var/run/docker.sock", for messages. */
const char *dk_host(const dk_client *c);
/* The docker context it came from: "default" when none. */
const char *dk_context(const dk_client *c);

/* GET /_ping once (see dk_engine below) and settles the API version: the
 * lower of the server's and ours (1.41), or DOCKER_API_VERSION. Errors name the
 * cause in one line:
 * "cannot connect to the Docker daemon at unix:///var/run/docker.sock: is the docker daemon
 * running?", "permission denied while connecting to the Docker daemon socket at
 * unix:///var/run/docker.sock", "Docker API version 1.12 is too old (need 1.24 or newer)", "Docker:
 * <daemon's message>". dk_build() calls it when it was not called before. */
int dk_negotiate(dk_client *c, strbuf *err);
const char *dk_api_version(const dk_client *c);

/* Which engine answers, as dk_negotiate() found it: the headers of GET
 * /_ping (about 1 ms), which is also where the docker CLI reads the API
 * version. /version (0.5-0.7 s on Podman, which runs conmon and runc to
 * list its components) is asked only when the ping names no Api-Version,
 * as an old engine's does not. Podman's Docker-compatible service
 * says Libpod-Api-Version and "Server: Libpod/4.3.1 (linux)". */
typedef enum dk_engine_kind { DK_ENGINE_DOCKER, DK_ENGINE_PODMAN } dk_engine_kind;
typedef struct dk_engine {
    dk_engine_kind kind;
    char api[16];     /* the engine's own API version ("1.43"), "" when unknown */
    char builder[16]; /* Builder-Version: "2" when BuildKit is its default, "1", "" unsaid */
    char server[64];  /* "Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"; "" unsaid */
} dk_engine;

/* The engine of c: valid once dk_negotiate() returned 0 (a DOCKER_API_VERSION
 * set by the user skips /version, not the ping); before, all unknown
 * (DK_ENGINE_DOCKER, empty strings). */
const dk_engine *dk_engine_of(const dk_client *c);

/* Pulls the request body on demand: fills buf with up to len bytes, returns
 * the count, 0 at the end, or (size_t)-1 on error (message in the source). */
typedef size_t (*dk_read_fn)(char *buf, size_t len, void *ud);
/* Called once per complete JSON message of the build's response stream,
 * with the raw object text and the parsed fields of interest. */
typedef struct dk_msg {
    const char *json; /* the whole object, as received */
    size_t json_len;
    const char *stream; /* "stream" or NULL */
    const char *status; /* "status" or NULL */
    const char *error;  /* "error" / "errorDetail.message" or NULL */
    const char *aux_id; /* "aux.ID" or NULL */
    /* BuildKit's messages: "id" names what "aux" holds, a string for
     * "moby.buildkit.trace" (base64 protobuf); NULL when absent. */
    const char *id;
    const char *aux;
} dk_msg;
typedef void (*dk_msg_fn)(const dk_msg *m, void *ud);

/* POST /build?<query> with a tar body streamed from read (chunked, bounded
 * memory), passing each response message to on_msg. query is already
 * URL-encoded ("t=a%3Ab&nocache=1&rm=1&forcerm=1"). Returns 0 when the
 * stream ended without an error message, -1 otherwise, and -2 when
 * interrupted by a cancel request (cancel.h). On -1 err holds one line: Docker's own
 * error message of the stream as is (e.g. "The command '/bin/sh -c false'
 * returned a non-zero code: 1"), "Docker: <message>" for an HTTP error,
 * "reading the build context failed" when read returned (size_t)-1 (the
 * reader knows why), or a connection error. */
int dk_build(dk_client *c, const char *query, dk_read_fn read, void *read_ud, dk_msg_fn on_msg,
             void *msg_ud, strbuf *err);

/* Adds a header line ("X-Registry-Config: ...") to the next dk_build() only,
 * which wipes and drops it; /version never carries it. -1 when out of memory. */
int dk_add_header(dk_client *c, const char *line);

/* POST /images/NAME/push?tag=TAG with X-Registry-Auth: auth (base64url
 * JSON; NULL or "" sends the empty {}), each progress message to on_msg.
 * Returns 0, -1 with the daemon's (or the connection's) error in err, or -2
 * when interrupted. The daemon reports a refused push in the stream: the
 * first error message is the one in err. */
int dk_push(dk_client *c, const char *name, const char *tag, const char *auth, dk_msg_fn on_msg,
            void *msg_ud, strbuf *err);

/* GET /images/{name}/json: appends the image's Config.User to user ("" when
 * the image sets none). Returns 0; 1 when the engine has no such image
 * (not pulled yet); -1 with one line in err; -2 when interrupted. Needs no
 * settled API version (the path names none until it is). */
int dk_image_user(dk_client *c, const char *name, strbuf *user, strbuf *err);

/* What GET /images/{name}/json says of an image. */
typedef struct dk_image_info {
    strbuf id;    /* "sha256:..." */
    strbuf user;  /* Config.User ("" when unset) */
    strbuf label; /* Config.Labels[label] ("" when unset or not asked) */
} dk_image_info;
#define DK_IMAGE_INFO_INIT                                                                         \
    {                                                                                              \
        STRBUF_INIT, STRBUF_INIT, STRBUF_INIT                                                      \
    }
/* One inspect: appends the image's ID, user, and the value of the label
 * named label (NULL: none) to out. Returns as dk_image_user(). */
int dk_image_inspect(dk_client *c, const char *name, const char *label, dk_image_info *out,
                     strbuf *err);
void dk_image_info_release(dk_image_info *i);

/* POST /images/{id}/tag: names image id ref ("repo:tag"; ":latest" when
 * it names no tag). Returns 0, -1 with one line in err, -2 when
 * interrupted. */
int dk_image_tag(dk_client *c, const char *id, const char *ref, strbuf *err);
/* GET /images/json: pushes every "repo:TAG" the engine has of repo onto
 * tags. Returns as dk_image_tag(). */
int dk_image_tags(dk_client *c, const char *repo, strvec *tags, strbuf *err);
/* DELETE /images/{ref}?noprune=1: removes the name ref (and the image when
 * no other name or child holds it). Returns as dk_image_tag(). */
int dk_image_untag(dk_client *c, const char *ref, strbuf *err);

/* POST /images/create: pulls the image name (":latest" when it names no
 * tag or digest), waiting until the engine has it. Returns 0, -1 with one
 * line in err (the engine's message), -2 when interrupted. */
int dk_image_pull(dk_client *c, const char *name, strbuf *err);

/* One request of the engine's API: method ("GET", "POST", "DELETE") on
 * path ("/containers/create?..." , the version prefix is added), with a
 * JSON body or none; a 2xx answer's body (up to 1 MiB) is appended to
 * answer. Returns 0; 1 for a 404 (err holds the engine's message); -1 with
 * one line in err; -2 when interrupted. Settles the API version first. */
int dk_call(dk_client *c, const char *method, const char *path, const char *json, strbuf *answer,
            strbuf *err);
/* dk_call without a body or an answer that runs even after a cancel
 * request (^C), within 30 s: removing what an interrupted build made. */
int dk_cleanup_call(dk_client *c, const char *method, const char *path);
/* Where the client connects, for a connection of one's own (dkcontainer.c's
 * attach takes the connection over). */
struct ep_endpoint;
const struct ep_endpoint *dk_endpoint(const dk_client *c);
/* Sets how handle h reaches ep (socket, proxy, TLS), for every request and
 * for the attach's connection of its own. Returns a CURLcode. */
int dk_conn_opts(dk_client *c, void *h);

/* GET /info: *containerd 1 when the engine keeps its images in
 * containerd's store (its BuildKit then needs a session). Returns 0, -1
 * with one line in err, -2 when interrupted. */
int dk_image_store(dk_client *c, int *containerd, strbuf *err);

/* Appends s URL-encoded (for query values). */
void dk_urlencode(strbuf *out, const char *s);

#endif

/* bktrace.h -- BuildKit's build trace: one StatusResponse, decoded.
 *
 * Docker's BuildKit builder (POST /build?version=2) reports progress as
 * {"id":"moby.buildkit.trace","aux":"<base64>"}, the base64 of a protobuf
 * StatusResponse (moby/buildkit api/services/control/control.proto):
 *   StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus
 *                    statuses = 2; repeated VertexLog logs = 3; ... }
 *   Vertex { string digest = 1; repeated string inputs = 2; string name = 3;
 *            bool cached = 4; Timestamp started = 5; Timestamp completed = 6;
 *            string error = 7; ... }
 *   VertexStatus { string ID = 1; string vertex = 2; string name = 3;
 *                  int64 current = 4; int64 total = 5; ...;
 *                  Timestamp completed = 8; }
 *   VertexLog { string vertex = 1; Timestamp timestamp = 2; int64 stream = 3;
 *               bytes msg = 4; }
 * Only the wire format's varints and length-delimited fields are read, by
 * hand: unknown fields are skipped, so a newer BuildKit's additions pass.
 * Separate from the dialect so it can be fuzzed alone. */
#ifndef FUSE_BKTRACE_H
#define FUSE_BKTRACE_H

#include <stddef.h>

/* Strings point into the decoded message (not NUL-terminated: use the
 * lengths) and live only during the callback. */
typedef struct bkt_str {
    const char *p;
    size_t len;
} bkt_str;

typedef struct bkt_vertex {
    bkt_str digest, name, error; /* error.len 0: none */
    int cached, started, completed;
} bkt_vertex;

typedef struct bkt_status {
    bkt_str id, vertex, name;
    long long current, total;
    int completed;
} bkt_status;

typedef struct bkt_log {
    bkt_str vertex, msg;
    long long stream; /* 1 stdout, 2 stderr */
} bkt_log;

typedef struct bkt_handler {
    void (*vertex)(const bkt_vertex *v, void *ud);
    void (*status)(const bkt_status *s, void *ud);
    void (*log)(const bkt_log *l, void *ud);
    void *ud;
} bkt_handler;

/* Decodes one StatusResponse of len bytes, calling h's callbacks (any may
 * be NULL) in the message's order. Returns 0, or -1 when the bytes are not
 * a well-formed message (callbacks may have run for what came before). */
int bkt_parse(const unsigned char *p, size_t len, const bkt_handler *h);

#endif

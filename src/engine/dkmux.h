/* dkmux.h -- the engine's multiplexed output stream: what an attached (or
 * logged) container without a TTY writes, each frame an 8-byte header
 * (stream 1 stdout or 2 stderr, three zero bytes, the length big-endian)
 * and its payload. Incremental: frames split across and join within reads.
 * No I/O: fuzzed (tests/fuzz/fuzz_dkmux.c). */
#ifndef FUSE_DKMUX_H
#define FUSE_DKMUX_H

#include <stddef.h>

/* Called with each piece of a frame's payload as it arrives. */
typedef void (*dkm_out_fn)(int stream, const char *data, size_t len, void *ud);

typedef struct dkm {
    unsigned char head[8];
    size_t nhead;  /* header bytes held */
    size_t remain; /* payload bytes of the current frame still to come */
    int stream;
    dkm_out_fn out;
    void *ud;
} dkm;

void dkm_init(dkm *m, dkm_out_fn out, void *ud);
/* Feeds len bytes. Returns 0, or -1 when a header is not one (a stream
 * other than 0-2, or non-zero padding): the connection is not what we
 * asked for. */
int dkm_feed(dkm *m, const char *data, size_t len);

#endif

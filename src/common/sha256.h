/* sha256.h -- SHA-256 (FIPS 180-4), for the build cache's keys (plan.c),
 * the source hashes they are made of (hashcache.c) and the docker CLI's
 * context store (epcontext.c). fuse links no crypto library. */
#ifndef FUSE_SHA256_H
#define FUSE_SHA256_H

#include "strbuf.h"

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX (2 * SHA256_LEN)

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes; /* fed so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, unsigned char out[SHA256_LEN]);
/* Appends the lowercase hex of the first n bytes of digest. */
void sha256_hex(const unsigned char *digest, size_t n, strbuf *out);
/* Feeds s with its length first, so that ("ab","c") and ("a","bc") differ. */
void sha256_field(sha256_ctx *c, const void *s, size_t len);
/* Appends the lowercase hex of the hash of data[0..len): the docker CLI
 * files a context under the hash of its name (contexts/meta/<hex>/). */
void sha256_of(const void *data, size_t len, strbuf *hex);

#endif

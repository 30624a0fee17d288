/* fuzz.h -- what the libFuzzer targets in tests/fuzz share.
 *
 * A target checks invariants, not only the absence of crashes: FZ_ASSERT
 * prints the broken one and aborts, which libFuzzer reports as a crash and
 * saves the input. FZ_READER hands out the fuzz bytes piece by piece, so a
 * target can build structured values (resources, split points) from them. */
#ifndef FUSE_FUZZ_H
#define FUSE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The fuzz input consumed from the front; reads past the end give zeros. */
typedef struct fz_reader {
    const uint8_t *p;
    size_t left;
} fz_reader;

static inline unsigned fz_byte(fz_reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

/* Up to max bytes, the count taken from the next byte; *len gets how many. */
static inline const char *fz_bytes(fz_reader *r, size_t max, size_t *len)
{
    size_t n = fz_byte(r) % (max + 1);
    if (n > r->left)
        n = r->left;
    const char *s = (const char *)r->p;
    r->p += n;
    r->left -= n;
    *len = n;
    return s;
}

/* A parser's result: -1 with one line starting with "PREFIX: " (the file
 * it names), or 0 with no message at all. */
static inline void fz_check_result(int rc, const char *err, const char *prefix)
{
    size_t n = strlen(prefix);
    if (rc != 0) {
        FZ_ASSERT(rc == -1 && strncmp(err, prefix, n) == 0 && err[n] == ':' && err[n + 1] == ' ',
                  "error does not name %s: %s", prefix, err);
        FZ_ASSERT(!strchr(err, '\n'), "error is not one line: %s", err);
    } else {
        FZ_ASSERT(!*err, "success with an error: %s", err);
    }
}

#endif

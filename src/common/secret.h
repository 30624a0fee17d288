/* secret.h -- build secrets (fusefile(5), SECRETS): their names, the values
 * held in memory only, and the frames that carry them to fuse-apply.
 *
 * A value never goes through a strbuf: a strbuf's realloc leaves copies of
 * what it held in freed memory. sec_buf grows by copying and wiping, and
 * every value is wiped (explicit_bzero) when it is freed. Linked into
 * fuse-apply too, which reads the frames from its stdin. */
#ifndef FUSE_SECRET_H
#define FUSE_SECRET_H

#include "strbuf.h"

#include <stddef.h>

/* A value's upper bound: a token or a key, not a file system. */
#define SEC_MAX_VALUE (1024 * 1024)
#define SEC_MAX_NAME 64

/* A growing buffer that leaves no copy behind when it grows or is freed. */
typedef struct sec_buf {
    char *p; /* NULL when empty */
    size_t len, cap;
} sec_buf;

/* Appends len bytes; returns 0, or -1 past SEC_MAX_VALUE. */
int sec_buf_add(sec_buf *b, const void *data, size_t len);
/* Wipes and frees. */
void sec_buf_free(sec_buf *b);

typedef struct sec_item {
    char *name;
    sec_buf val;
} sec_item;

/* Secrets by name, in the order they were added. */
typedef struct sec_set {
    sec_item *items;
    size_t n, alloc;
} sec_set;

/* 1 when name can be a secret's name: 1-64 of letters, digits, _ . -, not
 * starting with '.' (it is a file name under /run/secrets). */
int sec_name_ok(const char *name);
/* Takes val (the caller's buffer is left empty). */
void sec_set_add(sec_set *s, const char *name, sec_buf *val);
const sec_item *sec_set_get(const sec_set *s, const char *name);
/* Wipes every value and frees. */
void sec_set_free(sec_set *s);
/* Wipes n bytes at p, so that the compiler cannot drop it. */
void sec_wipe(void *p, size_t n);

/* The frames, written to fuse-apply's stdin: one "NAME LEN\n" header and
 * LEN bytes per secret, then ".\n". The end is explicit, so fuse-apply
 * never waits for an EOF an attached stdin may not carry. */
void sec_frame(sec_buf *out, const char *name, const sec_buf *val);
void sec_frame_end(sec_buf *out);
/* Reads the frames through rd (returns bytes read, 0 at EOF, -1 on error)
 * into s, up to the end mark. Returns 0, or -1 with one line in err (which
 * never holds a value). */
typedef long (*sec_read_fn)(void *ud, char *buf, size_t n);
int sec_frames_read(sec_read_fn rd, void *ud, sec_set *s, strbuf *err);

#endif

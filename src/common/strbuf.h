/* strbuf.h -- a growable byte buffer, after git's strbuf.
 *
 * The one buffer utility of the project: use it instead of ad hoc realloc
 * arithmetic. buf is always NUL-terminated once anything was added (binary
 * content may contain NULs; len is authoritative). */
#ifndef FUSE_STRBUF_H
#define FUSE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
} strbuf;

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void sb_init(strbuf *sb);
void sb_grow(strbuf *sb, size_t extra);
void sb_add(strbuf *sb, const void *data, size_t len);
void sb_adds(strbuf *sb, const char *s);
void sb_addc(strbuf *sb, int c);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(strbuf *sb, const char *fmt, va_list ap);
/* Drops the first n bytes, keeping the rest (for consumed input buffers). */
void sb_consume(strbuf *sb, size_t n);
void sb_reset(strbuf *sb);
void sb_release(strbuf *sb);
/* Hands the buffer to the caller (never NULL) and leaves sb empty. */
char *sb_detach(strbuf *sb, size_t *len);
/* Appends everything readable from fd (to EOF). Returns 0, or -1 with errno set. */
int sb_read_fd(strbuf *sb, int fd);
/* Appends the whole file at path. Returns 0, or -1 with errno set. */
int sb_read_file(strbuf *sb, const char *path);
/* The contents as a C string: "" for an empty buffer. */
const char *sb_str(const strbuf *sb);

#endif

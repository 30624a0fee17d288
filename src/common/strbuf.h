/* strbuf.h -- a growable byte buffer, after git's strbuf.
 *
 * The one buffer utility of the project: use it instead of ad hoc realloc
 * arithmetic. As in git, buf is never NULL and always NUL-terminated: an
 * initialised or reset strbuf points at a shared empty buffer (alloc == 0
 * says it owns nothing), and every writing function grows away from it
 * before it writes. So sb.buf can be read as a C string at any time; binary
 * content may contain NULs, and len is authoritative. */
#ifndef FUSE_STRBUF_H
#define FUSE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
} strbuf;

/* The shared "" of every strbuf that owns nothing; never write to it. */
extern char strbuf_slopbuf[];

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        strbuf_slopbuf, 0, 0                                                                       \
    }

void sb_init(strbuf *sb);
void sb_grow(strbuf *sb, size_t extra);
void sb_add(strbuf *sb, const void *data, size_t len);
void sb_adds(strbuf *sb, const char *s);
void sb_addc(strbuf *sb, int c);
/* Appends the contents of another strbuf (which may be sb itself). */
void sb_addbuf(strbuf *sb, const strbuf *other);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(strbuf *sb, const char *fmt, va_list ap);
/* Sets the length to len (at most the current length) and terminates there. */
void sb_setlen(strbuf *sb, size_t len);
/* Drops trailing whitespace (isspace in the C locale). */
void sb_rtrim(strbuf *sb);
/* Drops the first n bytes, keeping the rest (for consumed input buffers). */
void sb_consume(strbuf *sb, size_t n);
void sb_reset(strbuf *sb);
void sb_release(strbuf *sb);
/* Hands the buffer to the caller (never NULL, always freeable) and leaves sb empty. */
char *sb_detach(strbuf *sb, size_t *len);
/* Appends everything readable from fd (to EOF). Returns 0, or -1 with errno set. */
int sb_read_fd(strbuf *sb, int fd);
/* Appends the whole file at path. Returns 0, or -1 with errno set. */
int sb_read_file(strbuf *sb, const char *path);

#endif

#include "strbuf.h"

#include "mem.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char strbuf_slopbuf[1];

void sb_init(strbuf *sb)
{
    sb->buf = strbuf_slopbuf;
    sb->len = sb->alloc = 0;
}

void sb_grow(strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < need)
        n *= 2;
    /* Owning nothing (alloc == 0), buf is the slop buffer, or NULL in a
     * zero-filled struct: start a fresh allocation, never realloc it. */
    if (!sb->alloc) {
        sb->buf = xmalloc(n);
        sb->len = 0;
    } else {
        sb->buf = xrealloc(sb->buf, n);
    }
    sb->alloc = n;
    sb->buf[sb->len] = '\0';
}

void sb_add(strbuf *sb, const void *data, size_t len)
{
    sb_grow(sb, len);
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sb_adds(strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addc(strbuf *sb, int c)
{
    char ch = (char)c;
    sb_add(sb, &ch, 1);
}

void sb_addbuf(strbuf *sb, const strbuf *other)
{
    /* Growing first may move other->buf when other is sb; len stays. */
    size_t len = other->len;
    sb_grow(sb, len);
    if (len)
        memmove(sb->buf + sb->len, other->buf, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sb_vaddf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0)
        return;
    sb_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_addf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(sb, fmt, ap);
    va_end(ap);
}

void sb_setlen(strbuf *sb, size_t len)
{
    assert(len <= sb->len);
    if (!sb->alloc) {
        sb_init(sb);
        return;
    }
    sb->len = len;
    sb->buf[len] = '\0';
}

void sb_rtrim(strbuf *sb)
{
    size_t n = sb->len;
    while (n && isspace((unsigned char)sb->buf[n - 1]))
        n--;
    sb_setlen(sb, n);
}

void sb_consume(strbuf *sb, size_t n)
{
    if (n >= sb->len) {
        sb_reset(sb);
        return;
    }
    memmove(sb->buf, sb->buf + n, sb->len - n);
    sb_setlen(sb, sb->len - n);
}

void sb_reset(strbuf *sb)
{
    if (!sb->alloc)
        sb_init(sb);
    else
        sb_setlen(sb, 0);
}

void sb_release(strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    sb_init(sb);
}

char *sb_detach(strbuf *sb, size_t *len)
{
    sb_grow(sb, 0);
    char *p = sb->buf;
    if (len)
        *len = sb->len;
    sb_init(sb);
    return p;
}

int sb_read_fd(strbuf *sb, int fd)
{
    for (;;) {
        sb_grow(sb, 65536);
        ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        sb->len += (size_t)n;
        sb->buf[sb->len] = '\0';
    }
}

int sb_read_file(strbuf *sb, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = sb_read_fd(sb, fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

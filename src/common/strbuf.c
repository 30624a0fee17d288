#include "strbuf.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sb_init(strbuf *sb)
{
    sb->buf = NULL;
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
    sb->buf = xrealloc(sb->buf, n);
    sb->alloc = n;
    /* A fresh buffer must read as "" too (sb_str, sb_detach of an empty sb). */
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

void sb_vaddf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0) {
        sb_grow(sb, 0);
        return;
    }
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

void sb_consume(strbuf *sb, size_t n)
{
    if (n >= sb->len) {
        sb_reset(sb);
        return;
    }
    memmove(sb->buf, sb->buf + n, sb->len - n);
    sb->len -= n;
    sb->buf[sb->len] = '\0';
}

void sb_reset(strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

void sb_release(strbuf *sb)
{
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

const char *sb_str(const strbuf *sb)
{
    return sb->buf ? sb->buf : "";
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

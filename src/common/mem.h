/* mem.h -- allocation that never returns NULL.
 *
 * fuse is a short-lived command; on out-of-memory the only sensible thing is
 * to say so and stop, so every allocation goes through these wrappers and no
 * caller carries NULL checks for malloc. */
#ifndef FUSE_MEM_H
#define FUSE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies len bytes and appends a NUL, so binary data can also be used as a C string. */
char *xmemdup(const void *p, size_t len);

#endif

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
/* Resizes p to n elements of size bytes; dies when n * size overflows. */
void *xreallocarray(void *p, size_t n, size_t size);

/* The growth step of ALLOC_GROW: half again and a little, as git's alloc_nr. */
#define ALLOC_NR(x) (((x) + 16) * 3 / 2)

/* Makes room for at least nr elements in the array x, whose capacity is the
 * lvalue alloc, growing it geometrically (after git's ALLOC_GROW), so arrays
 * are never grown by hand-written realloc arithmetic. */
#define ALLOC_GROW(x, nr, alloc)                                                                   \
    do {                                                                                           \
        if ((nr) > (alloc)) {                                                                      \
            (alloc) = ALLOC_NR(alloc) < (nr) ? (nr) : ALLOC_NR(alloc);                             \
            (x) = xreallocarray((x), (alloc), sizeof *(x));                                        \
        }                                                                                          \
    } while (0)

#endif

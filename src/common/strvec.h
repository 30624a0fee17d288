/* strvec.h -- a growable, NULL-terminated vector of strings, after git's strvec.
 *
 * For argument lists handed to execv and friends: v is never NULL and
 * v[nr] is always NULL, so it can be passed as argv at any time. The vector
 * owns copies of its strings. */
#ifndef FUSE_STRVEC_H
#define FUSE_STRVEC_H

#include <stddef.h>

typedef struct strvec {
    char **v;
    size_t nr;
    size_t alloc;
} strvec;

/* The shared empty vector of every strvec that owns nothing; never write to it. */
extern char *strvec_empty[];

#define STRVEC_INIT                                                                                \
    {                                                                                              \
        strvec_empty, 0, 0                                                                         \
    }

void strvec_init(strvec *sv);
/* Appends a copy of s; returns the copy. */
const char *strvec_push(strvec *sv, const char *s);
/* Appends a formatted string; returns it. */
const char *strvec_pushf(strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends copies of every string of the NULL-terminated list. */
void strvec_pushv(strvec *sv, const char *const *items);
/* Frees every string and the array, leaving an empty vector. */
void strvec_clear(strvec *sv);

#endif

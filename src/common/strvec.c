#include "strvec.h"

#include "mem.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdlib.h>

char *strvec_empty[1];

void strvec_init(strvec *sv)
{
    sv->v = strvec_empty;
    sv->nr = sv->alloc = 0;
}

/* Takes ownership of s (a heap string) and appends it. */
static const char *strvec_push_nodup(strvec *sv, char *s)
{
    /* Owning nothing, v is the shared empty vector: start a fresh array. */
    if (!sv->alloc)
        sv->v = NULL;
    ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
    sv->v[sv->nr++] = s;
    sv->v[sv->nr] = NULL;
    return s;
}

const char *strvec_push(strvec *sv, const char *s)
{
    return strvec_push_nodup(sv, xstrdup(s));
}

const char *strvec_pushf(strvec *sv, const char *fmt, ...)
{
    strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    return strvec_push_nodup(sv, sb_detach(&sb, NULL));
}

void strvec_pushv(strvec *sv, const char *const *items)
{
    for (; *items; items++)
        strvec_push(sv, *items);
}

void strvec_clear(strvec *sv)
{
    if (sv->alloc) {
        for (size_t i = 0; i < sv->nr; i++)
            free(sv->v[i]);
        free(sv->v);
    }
    strvec_init(sv);
}

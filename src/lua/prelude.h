/* prelude.h -- the Lua modules of lua/fuse/, compiled into the binary by
 * tools/embed.lua (build/prelude.c). */
#ifndef FUSE_PRELUDE_H
#define FUSE_PRELUDE_H

#include <stddef.h>

typedef struct prelude_module {
    const char *name;  /* "fuse.bundle" */
    const char *chunk; /* "@lua/fuse/bundle.lua", for error messages */
    const char *src;
    size_t len;
} prelude_module;

/* Terminated by an entry whose name is NULL. */
extern const prelude_module prelude_modules[];

#endif

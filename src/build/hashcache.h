/* hashcache.h -- the SHA-256 of source files, remembered between runs.
 *
 * The up-to-date check and --plan (plan.c) need the contents' hash of every
 * source a task copies; a large tree would make that slower than a cached
 * build. As git's index does, a file whose (path, size, mtime, ctime, inode)
 * are those recorded keeps its recorded hash. The records live in
 * $XDG_CACHE_HOME/fuse/hashes (default ~/.cache/fuse/hashes), replaced
 * whole through a rename:
 *
 *   fuse-hashes 1
 *   HEX64 SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS INODE PATH
 *   sum HEX64                       (the hash of every line before it)
 *
 * A file that is missing, of another version or malformed anywhere is
 * ignored whole (everything is hashed again): it can cost time, never give
 * a wrong hash. A file changed in the same second as it was hashed is not
 * recorded ("racy", as git calls it): a change later in that second would
 * leave its stat data as recorded. */
#ifndef FUSE_HASHCACHE_H
#define FUSE_HASHCACHE_H

#include "sha256.h"
#include "strbuf.h"

#include <stddef.h>

typedef struct hc_cache hc_cache;

/* Reads the cache file (none: an empty cache). Never fails. */
hc_cache *hc_open(void);
/* An empty cache over text in the file's format; for tests and the fuzzer.
 * Returns how many records it took (0 when the text is refused whole). */
size_t hc_parse(hc_cache *c, const char *text, size_t len);
hc_cache *hc_new(void);
/* The hash of the contents of the regular file path. Returns 0, or -1 with
 * one line in err (the file cannot be read). */
int hc_file(hc_cache *c, const char *path, unsigned char out[SHA256_LEN], strbuf *err);
/* Writes the cache file when something was learnt (errors are ignored: it
 * is a cache), and frees c. NULL is fine. */
void hc_close(hc_cache *c);
/* Frees c without writing. */
void hc_free(hc_cache *c);

#endif

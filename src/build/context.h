/* context.h -- the tar build context, produced on demand.
 *
 * The context is written with libarchive (ustar, pax where needed) and is
 * deterministic: entries sorted by name, mtime 0, uid/gid 0, no user or
 * group names, fixed modes, so the same task gives a byte-identical context.
 * Nothing is written to disk and nothing is held whole in memory: each
 * ctx_read() call advances libarchive just far enough to fill the caller's
 * buffer (one header, or one 64 KiB piece of data). Files on disk
 * (File.source) are read as they are sent. */
#ifndef FUSE_CONTEXT_H
#define FUSE_CONTEXT_H

#include "strbuf.h"

#include <stddef.h>

/* One file of the context: in memory (data, len; borrowed, must outlive the
 * ctx) or on disk (path; read while sending). With S_IFDIR in mode it is a
 * directory (no data); with S_IFLNK a symbolic link, its target in data,
 * len (copied). */
typedef struct ctx_entry {
    const char *name; /* "Dockerfile", ".fuse/blobs/3" */
    const void *data;
    size_t len;
    const char *path; /* or NULL */
    unsigned mode;    /* 0644, 0755...; S_IFDIR | 0755, S_IFLNK | 0777 */
    /* 1: the tar entry carries path's mtime (a File's source, which
     * fuse-apply gives the File); else every entry is dated 0. */
    int keep_mtime;
} ctx_entry;

typedef struct ctx ctx;

/* Prepares a context of n entries (copied and sorted; data still borrowed).
 * Every path is checked with stat() now, so a missing or unreadable source
 * fails before anything is sent. Returns NULL with one line in err. */
ctx *ctx_new(const ctx_entry *entries, size_t n, strbuf *err);
void ctx_free(ctx *c);

/* Fills buf with up to len bytes of the tar stream. Returns the count, 0 at
 * the end, or (size_t)-1 on error (see ctx_error), e.g. a source file that
 * vanished or changed size while being sent. */
size_t ctx_read(ctx *c, char *buf, size_t len);
/* The same with the signature of dk_read_fn (ud is the ctx). */
size_t ctx_read_fn(char *buf, size_t len, void *ud);
/* The error of a failed ctx_read, one line, or "" when none. */
const char *ctx_error(const ctx *c);

#endif

/* tree.h -- the host directory tree of a Directory { source = ... }.
 *
 * The walk is in byte order of names, directory by directory, and holds
 * nothing but the names of the directories it is inside of: what it finds
 * goes to a callback. Symbolic links are reported as links (never followed).
 * Excludes (the Directory's exclude list, then the source's .fuseignore)
 * leave out what they match; .fuseignore itself is never part of the tree.
 * An excluded directory is still walked when a "!" pattern might bring
 * something below it back, and reported only when something does. */
#ifndef FUSE_TREE_H
#define FUSE_TREE_H

#include "context.h"
#include "dockerfile.h"
#include "fv.h"
#include "strbuf.h"
#include "strvec.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#define TREE_IGNORE_FILE ".fuseignore"

/* One entry of a tree. */
typedef struct tree_item {
    const char *rel;       /* relative to the root, "a/b"; "" for the root */
    const char *path;      /* on the host */
    const struct stat *st; /* lstat() of path */
    const char *link;      /* a link's target, or NULL */
} tree_item;

typedef int (*tree_fn)(const tree_item *it, void *ud, strbuf *err);

/* What tree_walk needs to start, checked when the task yields the
 * Directory: root is a readable directory and its .fuseignore (if any)
 * parses. Returns 0, or -1 with one line in err. */
int tree_check(const char *root, strbuf *err);

/* Walks root, root itself first. exclude: an FV_LIST of patterns, or NULL.
 * Returns 0, what fn returned when not 0, or -1 with one line in err (an
 * unreadable directory, a socket or device in the tree...). */
int tree_walk(const char *root, const fv *exclude, tree_fn fn, void *ud, strbuf *err);

/* Counts of a tree, for -n. */
typedef struct tree_stats {
    size_t files, dirs, links; /* below the root */
    uint64_t bytes;            /* of the files */
} tree_stats;

/* Adds the context entries of t (dockerfile.h) to *es (n used, alloc
 * capacity); the strings they point to are kept in own. */
int tree_context(const df_tree *t, ctx_entry **es, size_t *n, size_t *alloc, strvec *own,
                 strbuf *err);

/* -n: "Directory[/srv/app]: 3 files, 1 directory, 1 link, 1.2 KiB from app/",
 * then with verbose one line per entry. */
int tree_describe(const df_tree *t, const char *ident, int verbose, FILE *out, strbuf *err);

#endif

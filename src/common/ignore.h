/* ignore.h -- .dockerignore-style exclude patterns (Directory.exclude,
 * .fuseignore), compiled once and matched against paths of a tree.
 *
 * Rules (fuse-resources(7)): a pattern is relative to the tree's root
 * ("/x" and "x" are the same); "*" matches any run of characters but "/",
 * "?" one character but "/", "[...]" one character of a class ("[^...]" or
 * "[!...]" negated, "a-z" ranges, "\" escapes), "**" as a whole path
 * component any number of components, zero included. A pattern matches a
 * path when it matches the path or one of its parent directories. A
 * trailing "/" makes a pattern match directories only. A leading "!"
 * re-includes: the last pattern that matches decides.
 *
 * Pure: no file system access, no global state, time bounded by the product
 * of the pattern's and the path's lengths (no backtracking blow-up). */
#ifndef FUSE_IGNORE_H
#define FUSE_IGNORE_H

#include "strbuf.h"

#include <stddef.h>

typedef struct ign_list ign_list;

ign_list *ign_new(void);
void ign_free(ign_list *l);

/* Compiles one pattern and appends it. A pattern that is empty once cleaned
 * ("", ".", "/") is accepted and matches nothing. Returns 0, or -1 with a
 * reason in err ("unclosed [", ...), the pattern not added. */
int ign_add(ign_list *l, const char *pattern, strbuf *err);

/* The text of an ignore file: one pattern a line, surrounding blanks
 * trimmed, blank lines and lines starting with "#" skipped. On a bad
 * pattern returns -1 with "ORIGIN:LINE: reason" in err. */
int ign_add_text(ign_list *l, const char *text, size_t len, const char *origin, strbuf *err);

/* 1 when path (relative, "/"-separated, no leading "/") is excluded. */
int ign_match(const ign_list *l, const char *path, int is_dir);

/* 1 when some pattern re-includes ("!"): an excluded directory must then
 * still be walked, since something below it may come back. */
int ign_has_negation(const ign_list *l);

/* The number of patterns compiled (empty ones included). */
size_t ign_count(const ign_list *l);

#endif

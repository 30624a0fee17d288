/* template.h -- the text templates of template(path, vars) (fusefile(5)).
 *
 *   port = {{ port }}          a placeholder: replaced by the value of port
 *   name = {{app.name}}        a dotted name: a field of a table; blanks optional
 *   a literal {{{{ here        {{{{ is a literal {{ (nothing else is special)
 *
 * A name is letters, digits and _ (not starting with a digit), segments
 * joined by '.'. A placeholder stays on one line. Pure: no Lua, no files,
 * so it can be fuzzed on its own; the caller looks names up. */
#ifndef FUSE_TEMPLATE_H
#define FUSE_TEMPLATE_H

#include "strbuf.h"

#include <stddef.h>

/* Appends the value of name (len bytes, "a.b", already checked) to out and
 * returns 0; returns 1 when there is no such name, or -1 with a reason in
 * why for a value that cannot be written (a table...). */
typedef int (*tpl_lookup_fn)(const char *name, size_t len, strbuf *out, strbuf *why, void *ud);

/* Renders the template src (len bytes, any bytes) into out. Returns 0, or
 * -1 with *line set to the 1-based line of the offending placeholder and
 * one reason in err: 'no value for {{ port }}', 'unclosed {{ (a literal {{
 * is written {{{{)', 'bad placeholder {{ a-b }}: ...'. out then holds a
 * partial rendering. */
int tpl_render(const char *src, size_t len, tpl_lookup_fn lookup, void *ud, strbuf *out,
               size_t *line, strbuf *err);

/* Appends s (len bytes) so that tpl_render gives it back unchanged: every
 * "{{" becomes "{{{{". */
void tpl_escape(const char *s, size_t len, strbuf *out);

#endif

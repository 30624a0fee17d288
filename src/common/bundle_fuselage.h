/* bundle_fuselage.h -- what bundles from fuselage's own serialiser need.
 *
 * bundle_load reads fuselage's format; fuselage writes a few things fuse's
 * table does not hold. These turn them into fuse's fields before validation,
 * or say why they cannot apply. fuse-resources(7), FUSELAGE BUNDLES, lists
 * each. */
#ifndef FUSE_BUNDLE_FUSELAGE_H
#define FUSE_BUNDLE_FUSELAGE_H

#include "bundle.h"
#include "fv.h"
#include "restype.h"
#include "strbuf.h"

/* Rewrites fields (an FV_MAP, changed in place) of type t as fuselage wrote
 * them into fuse's: integer modes, Execute's env and its implicit name, and
 * fields with no meaning here dropped. Returns 0, or -1 with "Type: ..." in
 * err for what cannot be applied. */
int bundle_fuselage_fields(const rt_type *t, fv *fields, strbuf *err);

/* A watches entry in fuselage's form for a Line, "Line[FILE:WORD]" or
 * "FILE:WORD" with WORD = simple_str(match): the position of the first of
 * b's items [0, before) that is that Line, or -1. */
long bundle_fuselage_line_ref(const bundle *b, const char *ref, size_t before);

/* For a type fuselage has and fuse does not carry (Service, ...): why, as
 * a clause for a message; NULL for any other name. */
const char *bundle_fuselage_missing(const char *type);

/* fuselage's simple_str(), by which it names an Execute without a name:
 * lower case, runs of spaces and '-' as one '-', other punctuation and
 * non-ASCII bytes dropped. */
void bundle_simple_str(const char *s, size_t len, strbuf *out);

#endif

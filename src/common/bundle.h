/* bundle.h -- an ordered, validated list of resources, and its JSON form.
 *
 * The JSON is fuselage's format, so fuselage bundles apply too:
 *   {"version": 1, "resources": [{"File": {"name": "/x", "contents": "y"}}, ...]}
 * Fields are written in the order of the type table; unset fields are omitted. */
#ifndef FUSE_BUNDLE_H
#define FUSE_BUNDLE_H

#include "fv.h"
#include "restype.h"
#include "strbuf.h"

typedef struct bundle_res {
    const rt_type *type;
    fv *fields;  /* FV_MAP, validated */
    char *where; /* "fusefile.lua:12" where it was yielded, or NULL (not serialised) */
    char *ident; /* "File[/x]", set by bundle_add (bundles can be large); bundle_res_dump
                    needs only type and fields, so a hand-made copy may leave it NULL */
} bundle_res;

typedef struct bundle {
    bundle_res *items;
    size_t n;
    size_t cap;
    struct bundle_index *index; /* identities and names hashed, kept by bundle_add (bundle.c) */
} bundle;

enum {
    BUNDLE_PRETTY = 1, /* indented JSON for people */
    BUNDLE_REDACT = 2  /* sensitive contents replaced by "<sensitive>" */
};

void bundle_init(bundle *b);
void bundle_free(bundle *b);

/* Validates (rt_validate), rejects a duplicate identity and a watches entry
 * naming no earlier resource, then appends. On success takes ownership of
 * fields and returns 0; on error returns -1 with one line in err (fields
 * still the caller's), e.g. "duplicate resource File[/index.html]". */
int bundle_add(bundle *b, const rt_type *t, fv *fields, const char *where, strbuf *err);

/* Appends the whole bundle as JSON. */
int bundle_dump(const bundle *b, strbuf *out, unsigned flags);
/* Appends one resource as {"Type": {...}}. */
int bundle_res_dump(const bundle_res *r, strbuf *out, unsigned flags);

/* Reads a bundle: the full form above, a bare list of resources, or one
 * resource {"Type": {...}}; fuselage's {"Type": [{...}, {...}]} (several of a
 * type) too. JSON nulls count as absent fields and are dropped. As fuselage
 * writes them, an integer mode/umask is the mode's value (420 is "0644") and
 * Execute's "env" is environment. Every
 * resource is validated; an error names it (1-based):
 * "resource 3 (File): mode must be an octal string like \"0644\"".
 * As in bundle_add, every watches entry must name an earlier resource of the
 * bundle ("resource 2 (Execute): watches \"File[/x]\", which comes later in
 * the bundle ...").
 * On error b may hold the resources before the bad one: bundle_free it. */
int bundle_load(bundle *b, const char *json, size_t len, strbuf *err);

/* bundle_load with flags: BUNDLE_WATCH_ELSEWHERE lets a watches entry name
 * no resource of the bundle at all (fuse-apply --state, one resource per
 * build step: the watched one came in an earlier step); a later one is
 * still an error. */
enum { BUNDLE_WATCH_ELSEWHERE = 1 };
int bundle_load_ext(bundle *b, const char *json, size_t len, unsigned flags, strbuf *err);

/* 1 when some resource of b has a non-empty watches list. */
int bundle_any_watches(const bundle *b);

/* Finds a resource by identity ("File[/x]") or by bare name; -1 when absent. */
long bundle_find(const bundle *b, const char *ref);

#endif

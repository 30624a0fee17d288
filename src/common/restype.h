/* restype.h -- the one table of resource types.
 *
 * fuse (validating what a task yields) and fuse-apply (validating the bundle
 * it is handed) both use this table, so the two sides always agree on which
 * resources, fields, defaults and policies exist. Nothing here depends on Lua,
 * libcurl or libarchive: it links into the static payload too. */
#ifndef FUSE_RESTYPE_H
#define FUSE_RESTYPE_H

#include "fv.h"
#include "strbuf.h"

typedef enum {
    RT_STR,  /* a string */
    RT_PATH, /* an absolute path */
    RT_STRS, /* a string or a list of strings (Package.name) */
    RT_LIST, /* a list of strings */
    RT_MAP,  /* a table string -> string */
    RT_BOOL, /* a boolean */
    RT_INT,  /* an integer */
    RT_ID,   /* a name or a numeric id: string or integer (owner, uid, gid) */
    RT_MODE, /* an octal string: "0644", "644" */
    RT_IMAGE /* an image name, or a docker_container task (a taskref.h marker) */
} rt_kind;

enum {
    RT_REQUIRED = 1 << 0,  /* must be present */
    RT_SENSITIVE = 1 << 1, /* never printed (File.contents with sensitive = true) */
    RT_BINARY = 1 << 2     /* any bytes, NUL included (File.contents); other strings reject NUL */
};

typedef struct rt_field {
    const char *name;
    rt_kind kind;
    unsigned flags;
    const char *dflt; /* default as text, or NULL; documentation and providers */
} rt_field;

typedef struct rt_type {
    const char *name;            /* "File" */
    const rt_field *fields;      /* terminated by {NULL} */
    const char *const *policies; /* the default first, NULL-terminated */
    /* Cross-field rules (both contents and source...); NULL or a message. */
    int (*check)(const fv *fields, strbuf *err);
} rt_type;

/* NULL-terminated list of every type, in documentation order. */
extern const rt_type *const rt_types[];

const rt_type *rt_find(const char *name);
const rt_field *rt_field_find(const rt_type *t, const char *name);

/* Validates fields (an FV_MAP) against t. On error returns -1 and appends
 * one line to err, naming the type and the field, e.g.
 *   File: mode must be an octal string like "0644"
 * and, where it helps, a second line of detail after a '\n'. Checks the
 * common fields policy (one of t->policies) and watches (a list of strings)
 * too. Does not fill defaults: see rt_default(). */
int rt_validate(const rt_type *t, const fv *fields, strbuf *err);

/* The effective policy: fields.policy or the type's default. */
const char *rt_policy(const rt_type *t, const fv *fields);

/* The default of a field as text, or NULL. */
const char *rt_default(const rt_type *t, const char *field);

/* Appends the resource's identity, "Type[NAME]" (restype_ident.c). NAME is
 * the id field when given, else the name ("/index.html"; a list joined with
 * ",": "curl,git"), and for a Line with a match the file and the match
 * ("/etc/app.conf:^port="), so several Lines may edit one file. */
void rt_ident(const rt_type *t, const fv *fields, strbuf *out);
/* Appends just the NAME part of the identity. Control characters are
 * written as \xHH ("/a\x0ab"), so an identity is always one printable line. */
void rt_name(const rt_type *t, const fv *fields, strbuf *out);

/* "a string", "an absolute path", ...: how messages name what a field takes. */
const char *rt_kind_name(rt_kind k);
/* Appends s in double quotes for a message: escapes quotes and control bytes,
 * cuts after 60 bytes with "...", so a message stays one readable line. */
void rt_quote(strbuf *out, const char *s, size_t len);

#endif

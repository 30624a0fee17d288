/* fvjson.h -- fv trees to and from JSON (yajl).
 *
 * JSON strings must be UTF-8, but resource contents are any Lua string. A
 * string that is not valid UTF-8 (or holds a NUL) is written as the object
 * {"$base64": "..."} and read back into the same bytes, so binary data
 * survives a round trip byte for byte. */
#ifndef FUSE_FVJSON_H
#define FUSE_FVJSON_H

#include "fv.h"
#include "strbuf.h"

enum { FVJ_PRETTY = 1 };

/* Appends v as JSON to out. Returns 0, or -1 (a yajl_gen error, with a message in err). */
int fvj_write(const fv *v, strbuf *out, unsigned flags, strbuf *err);
/* Parses one JSON document. Returns the tree, or NULL with a one-line message
 * in err (with yajl's description of the position). Depth is limited, so a
 * hostile document cannot exhaust the stack. */
fv *fvj_parse(const char *json, size_t len, strbuf *err);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). NUL bytes count as valid here. */
int fvj_utf8_valid(const char *s, size_t len);
/* Base64 (RFC 4648, padded) of len bytes, appended to out. */
void fvj_base64_encode(const unsigned char *data, size_t len, strbuf *out);
/* Decodes padded base64 into out; returns -1 on a malformed input. */
int fvj_base64_decode(const char *s, size_t len, strbuf *out);

#endif

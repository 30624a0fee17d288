/* restype_int.h -- what restype.c and restype_check.c share; not for
 * outside the resource table. */
#ifndef FUSE_RESTYPE_INT_H
#define FUSE_RESTYPE_INT_H

#include "restype.h"

/* Appends "Type: " and the message to err; returns -1. */
int rt_fail(strbuf *err, const rt_type *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An absent field and a JSON null are the same: nothing was given. */
int rt_has(const fv *fields, const char *key);

/* The cross-field rules of the types that have any (restype_check.c). */
int rt_file_check(const fv *fields, strbuf *err);
int rt_directory_check(const fv *fields, strbuf *err);
int rt_execute_check(const fv *fields, strbuf *err);
int rt_link_check(const fv *fields, strbuf *err);
int rt_line_check(const fv *fields, strbuf *err);
int rt_checkout_check(const fv *fields, strbuf *err);

#endif

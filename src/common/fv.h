/* fv.h -- a small tree of values.
 *
 * Lua tables (task files), JSON (bundles) and CLI arguments all become this
 * one shape, so the resource table in restype.c can validate every source
 * the same way, in fuse and in fuse-apply alike. Containers own their
 * children: fv_free() on the root frees everything. Maps keep insertion
 * order; fv_sort_keys() makes output deterministic where order is free. */
#ifndef FUSE_FV_H
#define FUSE_FV_H

#include <stddef.h>

typedef enum { FV_NULL, FV_BOOL, FV_NUM, FV_STR, FV_LIST, FV_MAP } fv_kind;

typedef struct fv fv;
struct fv {
    fv_kind kind;
    int b;       /* FV_BOOL */
    double num;  /* FV_NUM */
    char *str;   /* FV_STR: NUL-terminated, but may hold NULs; len is the length */
    size_t len;  /* FV_STR */
    fv **items;  /* FV_LIST, FV_MAP: the values */
    char **keys; /* FV_MAP: the keys, parallel to items */
    size_t n;    /* FV_LIST, FV_MAP: number of items */
    size_t cap;
};

fv *fv_null(void);
fv *fv_bool(int b);
fv *fv_num(double n);
fv *fv_str(const char *s, size_t len);
fv *fv_strz(const char *s);
fv *fv_list(void);
fv *fv_map(void);

/* Appends item to a list; the list takes ownership. */
void fv_push(fv *list, fv *item);
/* Sets key in a map, replacing (and freeing) any previous value; takes ownership of val. */
void fv_set(fv *map, const char *key, fv *val);
/* The value under key, or NULL. */
fv *fv_get(const fv *map, const char *key);
/* The string under key, or NULL when absent or not a string. */
const char *fv_gets(const fv *map, const char *key);
/* Removes key; returns 1 when it was there. */
int fv_del(fv *map, const char *key);
void fv_sort_keys(fv *map);
fv *fv_copy(const fv *v);
void fv_free(fv *v);
/* 1 when v is a number with no fractional part that fits in a long long. */
int fv_is_int(const fv *v);
/* Deep equality (map key order ignored). */
int fv_equal(const fv *a, const fv *b);
const char *fv_kind_name(fv_kind k);

#endif

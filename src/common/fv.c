#include "fv.h"

#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static fv *fv_new(fv_kind kind)
{
    fv *v = xcalloc(1, sizeof *v);
    v->kind = kind;
    return v;
}

fv *fv_null(void)
{
    return fv_new(FV_NULL);
}

fv *fv_bool(int b)
{
    fv *v = fv_new(FV_BOOL);
    v->b = b != 0;
    return v;
}

fv *fv_num(double n)
{
    fv *v = fv_new(FV_NUM);
    v->num = n;
    return v;
}

fv *fv_str(const char *s, size_t len)
{
    fv *v = fv_new(FV_STR);
    v->str = xmemdup(s, len);
    v->len = len;
    return v;
}

fv *fv_strz(const char *s)
{
    return fv_str(s, strlen(s));
}

fv *fv_list(void)
{
    return fv_new(FV_LIST);
}

fv *fv_map(void)
{
    return fv_new(FV_MAP);
}

static void fv_reserve(fv *c)
{
    size_t cap = c->cap;
    ALLOC_GROW(c->items, c->n + 1, c->cap);
    /* A map's keys run parallel to its items, with the same capacity. */
    if (c->kind == FV_MAP && c->cap != cap)
        c->keys = xreallocarray(c->keys, c->cap, sizeof *c->keys);
}

void fv_push(fv *list, fv *item)
{
    fv_reserve(list);
    list->items[list->n++] = item;
}

static long fv_index(const fv *map, const char *key)
{
    if (!map || map->kind != FV_MAP)
        return -1;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return (long)i;
    return -1;
}

void fv_set(fv *map, const char *key, fv *val)
{
    long i = fv_index(map, key);
    if (i >= 0) {
        fv_free(map->items[i]);
        map->items[i] = val;
        return;
    }
    fv_reserve(map);
    map->keys[map->n] = xstrdup(key);
    map->items[map->n++] = val;
}

fv *fv_get(const fv *map, const char *key)
{
    long i = fv_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

const char *fv_gets(const fv *map, const char *key)
{
    const fv *v = fv_get(map, key);
    return v && v->kind == FV_STR ? v->str : NULL;
}

int fv_del(fv *map, const char *key)
{
    long i = fv_index(map, key);
    if (i < 0)
        return 0;
    free(map->keys[i]);
    fv_free(map->items[i]);
    size_t rest = map->n - (size_t)i - 1;
    memmove(map->keys + i, map->keys + i + 1, rest * sizeof *map->keys);
    memmove(map->items + i, map->items + i + 1, rest * sizeof *map->items);
    map->n--;
    return 1;
}

void fv_sort_keys(fv *map)
{
    /* Insertion sort: maps here hold a handful of keys, and it keeps keys and
     * items moving together without a temporary array of pairs. */
    for (size_t i = 1; i < map->n; i++) {
        char *k = map->keys[i];
        fv *v = map->items[i];
        size_t j = i;
        while (j > 0 && strcmp(map->keys[j - 1], k) > 0) {
            map->keys[j] = map->keys[j - 1];
            map->items[j] = map->items[j - 1];
            j--;
        }
        map->keys[j] = k;
        map->items[j] = v;
    }
}

fv *fv_copy(const fv *v)
{
    fv *c;
    switch (v->kind) {
    case FV_NULL:
        return fv_null();
    case FV_BOOL:
        return fv_bool(v->b);
    case FV_NUM:
        return fv_num(v->num);
    case FV_STR:
        return fv_str(v->str, v->len);
    case FV_LIST:
        c = fv_list();
        for (size_t i = 0; i < v->n; i++)
            fv_push(c, fv_copy(v->items[i]));
        return c;
    case FV_MAP:
        c = fv_map();
        for (size_t i = 0; i < v->n; i++)
            fv_set(c, v->keys[i], fv_copy(v->items[i]));
        return c;
    }
    return fv_null();
}

void fv_free(fv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        fv_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

int fv_is_int(const fv *v)
{
    return v && v->kind == FV_NUM && isfinite(v->num) && floor(v->num) == v->num &&
           fabs(v->num) < 9.2e18;
}

int fv_equal(const fv *a, const fv *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case FV_NULL:
        return 1;
    case FV_BOOL:
        return a->b == b->b;
    case FV_NUM:
        return a->num == b->num;
    case FV_STR:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case FV_LIST:
        if (a->n != b->n)
            return 0;
        for (size_t i = 0; i < a->n; i++)
            if (!fv_equal(a->items[i], b->items[i]))
                return 0;
        return 1;
    case FV_MAP:
        if (a->n != b->n)
            return 0;
        for (size_t i = 0; i < a->n; i++) {
            const fv *o = fv_get(b, a->keys[i]);
            if (!o || !fv_equal(a->items[i], o))
                return 0;
        }
        return 1;
    }
    return 0;
}

const char *fv_kind_name(fv_kind k)
{
    static const char *const names[] = {"nil", "boolean", "number", "string", "list", "table"};
    return names[k];
}

/* test_fv.c -- the value tree and the string buffer it is built with. */
#include "fv.h"
#include "strbuf.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

START_TEST(test_map_order_set_del)
{
    fv *m = fv_map();
    fv_set(m, "b", fv_num(1));
    fv_set(m, "a", fv_num(2));
    fv_set(m, "c", fv_num(3));
    ck_assert_uint_eq(m->n, 3);
    ck_assert_str_eq(m->keys[0], "b");
    ck_assert_str_eq(m->keys[2], "c");
    /* replacing keeps the position */
    fv_set(m, "b", fv_strz("x"));
    ck_assert_uint_eq(m->n, 3);
    ck_assert_str_eq(m->keys[0], "b");
    ck_assert_str_eq(fv_gets(m, "b"), "x");
    ck_assert_ptr_null(fv_gets(m, "a")); /* not a string */
    ck_assert_ptr_null(fv_get(m, "zz"));
    ck_assert_int_eq(fv_del(m, "a"), 1);
    ck_assert_int_eq(fv_del(m, "a"), 0);
    ck_assert_uint_eq(m->n, 2);
    ck_assert_str_eq(m->keys[1], "c");
    fv_set(m, "a", fv_null());
    fv_sort_keys(m);
    ck_assert_str_eq(m->keys[0], "a");
    ck_assert_str_eq(m->keys[1], "b");
    ck_assert_str_eq(m->keys[2], "c");
    ck_assert_int_eq(m->items[1]->kind, FV_STR);
    ck_assert_ptr_null(fv_get(NULL, "a"));
    fv_free(m);
}
END_TEST

START_TEST(test_list_grows)
{
    fv *l = fv_list();
    for (int i = 0; i < 100; i++)
        fv_push(l, fv_num(i));
    ck_assert_uint_eq(l->n, 100);
    ck_assert(l->items[99]->num == 99);
    fv_free(l);
}
END_TEST

START_TEST(test_binary_strings)
{
    fv *s = fv_str("a\0b", 3);
    ck_assert_uint_eq(s->len, 3);
    ck_assert_mem_eq(s->str, "a\0b", 4); /* NUL-terminated beyond len */
    fv *t = fv_str("a\0c", 3);
    ck_assert(!fv_equal(s, t));
    fv *c = fv_copy(s);
    ck_assert(fv_equal(s, c));
    fv *e = fv_str(NULL, 0);
    ck_assert_str_eq(e->str, "");
    fv_free(s);
    fv_free(t);
    fv_free(c);
    fv_free(e);
}
END_TEST

START_TEST(test_copy_equal)
{
    fv *m = fv_map();
    fv *l = fv_list();
    fv_push(l, fv_bool(1));
    fv_push(l, fv_null());
    fv_set(m, "l", l);
    fv_set(m, "n", fv_num(1.5));
    fv *c = fv_copy(m);
    ck_assert(fv_equal(m, c));
    /* key order does not matter for equality */
    fv *r = fv_map();
    fv_set(r, "n", fv_num(1.5));
    fv_set(r, "l", fv_copy(l));
    ck_assert(fv_equal(m, r));
    fv_push(fv_get(c, "l"), fv_num(0));
    ck_assert(!fv_equal(m, c));
    ck_assert(!fv_equal(fv_get(m, "n"), fv_get(m, "l")));
    fv_free(m);
    fv_free(c);
    fv_free(r);
}
END_TEST

START_TEST(test_is_int)
{
    fv *v = fv_num(3);
    ck_assert(fv_is_int(v));
    v->num = -0.0;
    ck_assert(fv_is_int(v));
    v->num = 3.5;
    ck_assert(!fv_is_int(v));
    v->num = NAN;
    ck_assert(!fv_is_int(v));
    v->num = INFINITY;
    ck_assert(!fv_is_int(v));
    v->num = 1e19;
    ck_assert(!fv_is_int(v));
    fv_free(v);
    fv *s = fv_strz("3");
    ck_assert(!fv_is_int(s));
    fv_free(s);
    ck_assert(!fv_is_int(NULL));
    ck_assert_str_eq(fv_kind_name(FV_BOOL), "boolean");
    ck_assert_str_eq(fv_kind_name(FV_MAP), "table");
    ck_assert_str_eq(fv_kind_name(FV_NULL), "nil");
}
END_TEST

START_TEST(test_strbuf)
{
    strbuf sb = STRBUF_INIT;
    ck_assert_str_eq(sb.buf, "");
    sb_grow(&sb, 0);
    ck_assert_str_eq(sb.buf, ""); /* a fresh allocation reads as "" */
    sb_addf(&sb, "%d-%s", 7, "x");
    sb_addc(&sb, '\0');
    sb_adds(&sb, "y");
    ck_assert_uint_eq(sb.len, 5);
    ck_assert_mem_eq(sb.buf, "7-x\0y", 6);
    sb_consume(&sb, 2);
    ck_assert_mem_eq(sb.buf, "x\0y", 4);
    size_t len;
    char *p = sb_detach(&sb, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_uint_eq(sb.len, 0);
    free(p);
    p = sb_detach(&sb, NULL);
    ck_assert_str_eq(p, "");
    free(p);
    for (int i = 0; i < 1000; i++)
        sb_adds(&sb, "abc");
    ck_assert_uint_eq(sb.len, 3000);
    sb_reset(&sb);
    ck_assert_str_eq(sb.buf, "");
    sb_release(&sb);
}
END_TEST

Suite *fv_suite(void)
{
    Suite *s = suite_create("fv");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_map_order_set_del);
    tcase_add_test(tc, test_list_grows);
    tcase_add_test(tc, test_binary_strings);
    tcase_add_test(tc, test_copy_equal);
    tcase_add_test(tc, test_is_int);
    tcase_add_test(tc, test_strbuf);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(fv_suite)

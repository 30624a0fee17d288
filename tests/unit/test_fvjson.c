/* test_fvjson.c -- fv trees to and from JSON, binary strings included. */
#include "fvjson.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static char out[4096];

/* v as compact JSON (fails the test on a write error); frees v. */
static const char *W(fv *v)
{
    strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
    int rc = fvj_write(v, &sb, 0, &err);
    ck_assert_msg(rc == 0, "write failed: %s", err.buf);
    snprintf(out, sizeof out, "%s", sb.buf);
    sb_release(&sb);
    sb_release(&err);
    fv_free(v);
    return out;
}

/* The parse error for json (the parse must fail). */
static const char *E(const char *json, size_t len)
{
    strbuf err = STRBUF_INIT;
    fv *v = fvj_parse(json, len, &err);
    ck_assert_ptr_null(v);
    ck_assert_uint_gt(err.len, 0);
    snprintf(out, sizeof out, "%s", err.buf);
    sb_release(&err);
    return out;
}

START_TEST(test_scalars)
{
    ck_assert_str_eq(W(fv_null()), "null");
    ck_assert_str_eq(W(fv_bool(1)), "true");
    ck_assert_str_eq(W(fv_num(42)), "42");
    ck_assert_str_eq(W(fv_num(-3)), "-3");
    ck_assert_str_eq(W(fv_num(1e15)), "1000000000000000");
    ck_assert_str_eq(W(fv_num(1.5)), "1.5");
    ck_assert_str_eq(W(fv_num(0.1)), "0.10000000000000001");
    ck_assert_str_eq(W(fv_strz("a\"b\\c\n\t\x01")), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    ck_assert_str_eq(W(fv_strz("caf\xc3\xa9 \xe2\x82\xac")), "\"caf\xc3\xa9 \xe2\x82\xac\"");
}
END_TEST

START_TEST(test_order_and_nesting)
{
    fv *m = fv_map();
    fv_set(m, "zeta", fv_num(1));
    fv_set(m, "alpha", fv_bool(0));
    fv *l = fv_list();
    fv_push(l, fv_strz("x"));
    fv_push(l, fv_null());
    fv_push(l, fv_map());
    fv_set(m, "list", l);
    const char *json = "{\"zeta\":1,\"alpha\":false,\"list\":[\"x\",null,{}]}";
    ck_assert_str_eq(W(m), json);
    fv *back = test_json(json);
    ck_assert_int_eq(back->kind, FV_MAP);
    ck_assert_uint_eq(back->n, 3);
    ck_assert_str_eq(back->keys[0], "zeta");
    ck_assert_str_eq(back->keys[1], "alpha");
    ck_assert_str_eq(back->keys[2], "list");
    ck_assert_str_eq(W(back), json);
}
END_TEST

START_TEST(test_pretty)
{
    fv *m = fv_map();
    fv_set(m, "a", fv_num(1));
    strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
    ck_assert_int_eq(fvj_write(m, &sb, FVJ_PRETTY, &err), 0);
    ck_assert_str_eq(sb.buf, "{\n  \"a\": 1\n}\n");
    fv_free(m);
    sb_release(&sb);
    sb_release(&err);
}
END_TEST

START_TEST(test_binary_round_trip)
{
    static const char bin[] = "a\0b\xff\xfe\x80z";
    size_t blen = sizeof bin - 1;
    fv *m = fv_map();
    fv_set(m, "contents", fv_str(bin, blen));
    const char *json = W(m);
    ck_assert_str_eq(json, "{\"contents\":{\"$base64\":\"YQBi//6Aeg==\"}}");
    fv *back = test_json(json);
    fv *c = fv_get(back, "contents");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->kind, FV_STR);
    ck_assert_uint_eq(c->len, blen);
    ck_assert_mem_eq(c->str, bin, blen);
    fv_free(back);

    /* every byte value survives */
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    fv *s = fv_str(all, sizeof all);
    strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
    ck_assert_int_eq(fvj_write(s, &sb, 0, &err), 0);
    fv *s2 = fvj_parse(sb.buf, sb.len, &err);
    ck_assert_ptr_nonnull(s2);
    ck_assert(fv_equal(s, s2));
    fv_free(s);
    fv_free(s2);
    sb_release(&sb);
    sb_release(&err);

    /* text that is not UTF-8 in the strict sense goes as base64 too */
    ck_assert_str_eq(W(fv_strz("\xc0\xaf")), "{\"$base64\":\"wK8=\"}");             /* overlong */
    ck_assert_str_eq(W(fv_strz("\xed\xa0\x80")), "{\"$base64\":\"7aCA\"}");         /* surrogate */
    ck_assert_str_eq(W(fv_strz("\xf4\x90\x80\x80")), "{\"$base64\":\"9JCAgA==\"}"); /* > U+10FFFF */
}
END_TEST

START_TEST(test_base64_object_only_alone)
{
    /* with another key it is an ordinary map */
    fv *v = test_json("{\"$base64\": \"YQ==\", \"x\": 1}");
    ck_assert_int_eq(v->kind, FV_MAP);
    ck_assert_uint_eq(v->n, 2);
    fv_free(v);
    v = test_json("[{\"$base64\": \"\"}]");
    ck_assert_int_eq(v->items[0]->kind, FV_STR);
    ck_assert_uint_eq(v->items[0]->len, 0);
    fv_free(v);
    ck_assert_str_eq(E("{\"a\": {\"$base64\": \"Y\"}}", 23), "bad $base64 value at byte 22");
}
END_TEST

START_TEST(test_base64_vectors)
{
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        strbuf sb = STRBUF_INIT;
        fvj_base64_encode((const unsigned char *)plain[i], strlen(plain[i]), &sb);
        ck_assert_str_eq(sb.buf, enc[i]);
        sb_reset(&sb);
        ck_assert_int_eq(fvj_base64_decode(enc[i], strlen(enc[i]), &sb), 0);
        ck_assert_str_eq(sb.buf, plain[i]);
        sb_release(&sb);
    }
    const char *bad[] = {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zg=", "Zg==Zg=="};
    for (size_t i = 0; i < 6; i++) {
        strbuf sb = STRBUF_INIT;
        ck_assert_msg(fvj_base64_decode(bad[i], strlen(bad[i]), &sb) < 0, "%s accepted", bad[i]);
        sb_release(&sb);
    }
}
END_TEST

START_TEST(test_utf8)
{
    ck_assert(fvj_utf8_valid("", 0));
    ck_assert(fvj_utf8_valid("plain", 5));
    ck_assert(fvj_utf8_valid("\xc3\xa9", 2));
    ck_assert(fvj_utf8_valid("\xf0\x9f\x98\x80", 4));
    ck_assert(!fvj_utf8_valid("\xc3", 1));
    ck_assert(!fvj_utf8_valid("\xff", 1));
    ck_assert(!fvj_utf8_valid("\x80", 1));
    ck_assert(!fvj_utf8_valid("\xe2\x82", 2));
    ck_assert(!fvj_utf8_valid("\xe0\x80\xaf", 3));
}
END_TEST

START_TEST(test_numbers)
{
    fv *v = test_json("[1, -2, 3.25, 1e3, 12345678901234]");
    ck_assert_uint_eq(v->n, 5);
    ck_assert(fv_is_int(v->items[0]) && v->items[0]->num == 1);
    ck_assert(v->items[1]->num == -2);
    ck_assert(v->items[2]->num == 3.25);
    ck_assert(fv_is_int(v->items[3]) && v->items[3]->num == 1000);
    ck_assert(v->items[4]->num == 12345678901234.0);
    ck_assert_str_eq(W(v), "[1,-2,3.25,1000,12345678901234]");

    strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
    fv *nan = fv_num(NAN);
    ck_assert_int_eq(fvj_write(nan, &sb, 0, &err), -1);
    ck_assert_str_eq(err.buf, "cannot write JSON: number is infinite or not a number");
    fv_free(nan);
    sb_release(&sb);
    sb_release(&err);
}
END_TEST

START_TEST(test_strings_read)
{
    fv *v = test_json("\"a\\u0000b\\u00e9\"");
    ck_assert_int_eq(v->kind, FV_STR);
    ck_assert_uint_eq(v->len, 5);
    ck_assert_mem_eq(v->str, "a\0b\xc3\xa9", 5);
    fv_free(v);
}
END_TEST

START_TEST(test_errors)
{
    const char *m = E("{\"a\": 1,}", 9);
    ck_assert_ptr_null(strchr(m, '\n'));
    ck_assert_msg(strstr(m, "at byte") != NULL, "%s", m);
    m = E("", 0);
    ck_assert_ptr_null(strchr(m, '\n'));
    m = E("[1] [2]", 7);
    ck_assert_ptr_null(strchr(m, '\n'));
    m = E("\"\xff\"", 3); /* JSON text must be UTF-8 */
    ck_assert_ptr_null(strchr(m, '\n'));
    ck_assert_str_eq(E("{\"a\\u0000\": 1}", 14), "an object key holds a NUL byte at byte 10");
}
END_TEST

/* A document cut short is reported where it ends, not at the offset of
 * yajl's last (empty) parse call. */
START_TEST(test_truncated_offset)
{
    ck_assert_str_eq(E("{\"version\": 1, \"resources\": [", 29),
                     "parse error: premature EOF at byte 29");
    ck_assert_str_eq(E("[1, 2", 5), "parse error: premature EOF at byte 5");
    ck_assert_str_eq(E("{\"a\": \"bc", 9), "parse error: premature EOF at byte 9");
}
END_TEST

START_TEST(test_depth_limit)
{
    char deep[200];
    /* 64 levels are fine, 65 are not */
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    fv *v = fvj_parse(deep, 128, &(strbuf)STRBUF_INIT);
    ck_assert_ptr_nonnull(v);
    fv_free(v);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    const char *m = E(deep, 130);
    ck_assert_str_eq(m, "JSON nested deeper than 64 levels at byte 65");
    /* a hostile document does not exhaust the stack */
    static char huge[200001];
    memset(huge, '[', sizeof huge - 1);
    E(huge, sizeof huge - 1);
}
END_TEST

START_TEST(test_write_bad_key)
{
    fv *m = fv_map();
    fv_set(m, "\xff", fv_num(1));
    strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
    ck_assert_int_eq(fvj_write(m, &sb, 0, &err), -1);
    ck_assert_str_eq(err.buf, "cannot write JSON: a table key is not valid UTF-8");
    fv_free(m);
    sb_release(&sb);
    sb_release(&err);
}
END_TEST

Suite *fvjson_suite(void)
{
    Suite *s = suite_create("fvjson");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_scalars);
    tcase_add_test(tc, test_order_and_nesting);
    tcase_add_test(tc, test_pretty);
    tcase_add_test(tc, test_binary_round_trip);
    tcase_add_test(tc, test_base64_object_only_alone);
    tcase_add_test(tc, test_base64_vectors);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_strings_read);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_truncated_offset);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_write_bad_key);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(fvjson_suite)

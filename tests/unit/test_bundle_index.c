/* test_bundle_index.c -- bundle_find and duplicate detection on large
 * bundles, where bundle.c answers from its hash index (grown several times
 * over) instead of a scan: the answers must be the scan's. */
#include "bundle.h"
#include "fvjson.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#define BI_N 3000

static int bi_add(bundle *b, const char *type, const char *name, const char *where, strbuf *err)
{
    char json[128];
    snprintf(json, sizeof json, "{\"name\": \"%s\"}", name);
    fv *f = fvj_parse(json, strlen(json), err);
    ck_assert_ptr_nonnull(f);
    int rc = bundle_add(b, rt_find(type), f, where, err);
    if (rc != 0)
        fv_free(f);
    return rc;
}

/* BI_N Files /d/fN, with Directory /d/f7 added after File /d/f7. */
static void bi_fill(bundle *b)
{
    strbuf err = STRBUF_INIT;
    char name[32], where[32];
    bundle_init(b);
    for (int i = 0; i < BI_N; i++) {
        snprintf(name, sizeof name, "/d/f%d", i);
        snprintf(where, sizeof where, "fusefile.lua:%d", i + 1);
        ck_assert_msg(bi_add(b, "File", name, where, &err) == 0, "%s", err.buf);
    }
    ck_assert_int_eq(bi_add(b, "Directory", "/d/f7", NULL, &err), 0);
    sb_release(&err);
}

START_TEST(test_find_every_identity_and_name)
{
    bundle b;
    bi_fill(&b);
    ck_assert_uint_eq(b.n, BI_N + 1);
    char ref[48];
    for (int i = 0; i < BI_N; i++) {
        snprintf(ref, sizeof ref, "File[/d/f%d]", i);
        ck_assert_int_eq(bundle_find(&b, ref), i);
        snprintf(ref, sizeof ref, "/d/f%d", i);
        ck_assert_int_eq(bundle_find(&b, ref), i);
    }
    ck_assert_int_eq(bundle_find(&b, "Directory[/d/f7]"), BI_N);
    /* a bare name shared by two resources finds the first */
    ck_assert_int_eq(bundle_find(&b, "/d/f7"), 7);
    ck_assert_int_eq(bundle_find(&b, "/d/f3000"), -1);
    ck_assert_int_eq(bundle_find(&b, "File[/d/f3000]"), -1);
    ck_assert_int_eq(bundle_find(&b, "Link[/d/f1]"), -1);
    ck_assert_int_eq(bundle_find(&b, ""), -1);
    bundle_free(&b);
}
END_TEST

START_TEST(test_duplicate_in_large_bundle)
{
    bundle b;
    bi_fill(&b);
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(bi_add(&b, "File", "/d/f2345", "fusefile.lua:9999", &err), -1);
    ck_assert_str_eq(err.buf,
                     "duplicate resource File[/d/f2345]\nfirst defined at fusefile.lua:2346");
    ck_assert_uint_eq(b.n, BI_N + 1);
    /* the refused add left the index whole: a new name is still accepted */
    sb_reset(&err);
    ck_assert_int_eq(bi_add(&b, "File", "/d/new", NULL, &err), 0);
    ck_assert_int_eq(bundle_find(&b, "/d/new"), BI_N + 1);
    ck_assert_int_eq(bundle_find(&b, "File[/d/f2345]"), 2345);
    sb_release(&err);
    bundle_free(&b);
}
END_TEST

/* bundle_load goes through the same checks: a duplicate far into a loaded
 * bundle is named with its position. */
START_TEST(test_load_duplicate)
{
    strbuf json = STRBUF_INIT, err = STRBUF_INIT;
    sb_adds(&json, "[");
    for (int i = 0; i < BI_N; i++)
        sb_addf(&json, "%s{\"File\": {\"name\": \"/x/%d\"}}", i ? "," : "", i);
    sb_adds(&json, ",{\"File\": {\"name\": \"/x/17\"}}]");
    bundle b;
    bundle_init(&b);
    ck_assert_int_eq(bundle_load(&b, json.buf, json.len, &err), -1);
    ck_assert_msg(strstr(err.buf, "duplicate resource File[/x/17]") != NULL, "%s", err.buf);
    ck_assert_uint_eq(b.n, BI_N);
    ck_assert_int_eq(bundle_find(&b, "/x/2999"), 2999);
    bundle_free(&b);
    sb_release(&json);
    sb_release(&err);
}
END_TEST

static Suite *bundle_index_suite(void)
{
    Suite *s = suite_create("bundle_index");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_find_every_identity_and_name);
    tcase_add_test(tc, test_duplicate_in_large_bundle);
    tcase_add_test(tc, test_load_duplicate);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(bundle_index_suite)

/* test_ship.c -- what --push refuses before a build (ship.c). */
#include "ship.h"
#include "testutil.h"

static int check_tag(fv *tag, strbuf *err)
{
    fv *opts = fv_map();
    if (tag)
        fv_set(opts, "tag", tag);
    int rc = ship_check(opts, err);
    fv_free(opts);
    return rc;
}

START_TEST(tags_with_a_registry_pass)
{
    const char *ok[] = {"127.0.0.1:5000/app:v1", "localhost/app", "reg.example/team/app:1",
                        "localhost:5000/a/b/c"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        strbuf err = STRBUF_INIT;
        ck_assert_int_eq(check_tag(fv_strz(ok[i]), &err), 0);
        ck_assert_str_eq(err.buf, "");
        sb_release(&err);
    }
}
END_TEST

START_TEST(tags_without_one_are_refused_with_a_hint)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(check_tag(fv_strz("myproject:appserver"), &err), -1);
    ck_assert_str_eq(err.buf,
                     "cannot push myproject:appserver: the tag names no registry\n"
                     "hint: name the registry as its first part, tag = "
                     "\"HOST:PORT/myproject:appserver\"; fuse never pushes to the engine's "
                     "default registry unasked");
    sb_reset(&err);
    ck_assert_int_eq(check_tag(fv_strz("team/app"), &err), -1);
    ck_assert_ptr_nonnull(strstr(err.buf, "cannot push team/app: the tag names no registry\n"));
    sb_reset(&err);
    fv *list = fv_list();
    fv_push(list, fv_strz("127.0.0.1:5000/app:v1"));
    fv_push(list, fv_strz("app:latest"));
    ck_assert_int_eq(check_tag(list, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.buf, "cannot push app:latest: the tag names no registry\n"));
    sb_reset(&err);
    ck_assert_int_eq(check_tag(NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.buf, "nothing to push: the task has no tag\n"));
    sb_release(&err);
}
END_TEST

static Suite *ship_suite(void)
{
    Suite *s = suite_create("ship");
    TCase *t = tcase_create("check");
    tcase_add_test(t, tags_with_a_registry_pass);
    tcase_add_test(t, tags_without_one_are_refused_with_a_hint);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(ship_suite)

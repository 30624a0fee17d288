/* test_apply_line.c -- Line under --root: symbolic links, several Lines per file. */
#include "test_apply_util.h"

/* The link stays a link and the file it names is edited, as fuselage does
 * (think of /etc/resolv.conf). An absolute target lies under the root. */
START_TEST(line_writes_through_absolute_link)
{
    mkdir(ta_path("/srv"), 0755);
    ta_write("/srv/real", "a\n");
    ck_assert_int_eq(chmod(ta_path("/srv/real"), 0640), 0);
    ck_assert_int_eq(symlink("/srv/real", ta_path("/srv/conf")), 0);
    ta_apply_twice("{\"Line\": {\"name\": \"/srv/conf\", \"line\": \"b\"}}");
    struct stat st;
    ck_assert_int_eq(lstat(ta_path("/srv/conf"), &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_str_eq(ta_read("/srv/real"), "a\nb\n");
    ck_assert_int_eq(ta_mode("/srv/real"), 0640);
}
END_TEST

START_TEST(line_writes_through_relative_link_chain)
{
    mkdir(ta_path("/etc/app"), 0755);
    ta_write("/etc/app/real.conf", "port=1\n");
    ck_assert_int_eq(symlink("app/real.conf", ta_path("/etc/mid.conf")), 0);
    ck_assert_int_eq(symlink("mid.conf", ta_path("/etc/app.conf")), 0);
    ta_apply_twice("{\"Line\": {\"name\": \"/etc/app.conf\", \"match\": \"^port=\","
                   " \"line\": \"port=2\"}}");
    ck_assert_str_eq(ta_read("/etc/app/real.conf"), "port=2\n");
    struct stat st;
    ck_assert_int_eq(lstat(ta_path("/etc/mid.conf"), &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(line_link_loop_fails)
{
    ck_assert_int_eq(symlink("/b", ta_path("/a")), 0);
    ck_assert_int_eq(symlink("/a", ta_path("/b")), 0);
    ck_assert_int_eq(ta_apply("{\"Line\": {\"name\": \"/a\", \"line\": \"x\"}}"), 1);
    ck_assert_msg(strstr(ta_err, "Line[/a]: ") != NULL, "%s", ta_err);
}
END_TEST

/* Identity is file and match: two Lines edit one file in one bundle. */
START_TEST(two_lines_one_file)
{
    ta_write("/app.conf", "port=1\nhost=a\n");
    ta_apply_twice(
        "[{\"Line\": {\"name\": \"/app.conf\", \"match\": \"^port=\", \"line\": \"port=8\"}},"
        " {\"Line\": {\"name\": \"/app.conf\", \"match\": \"^host=\", \"line\": \"host=b\"}}]");
    ck_assert_str_eq(ta_read("/app.conf"), "port=8\nhost=b\n");
}
END_TEST

/* A watch naming the Line as fuselage does fires when the Line changes. */
START_TEST(watch_on_line_in_fuselage_form)
{
    ta_write("/app.conf", "Port=1\n");
    char json[1024];
    snprintf(json, sizeof json,
             "[{\"Line\": {\"name\": \"/app.conf\", \"match\": \"^Port=\", \"line\": \"Port=8\"}},"
             " {\"Execute\": {\"name\": \"hook\", \"command\": \"echo x >> %s/count\","
             " \"watches\": [\"Line[/app.conf:port]\"]}}]",
             ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/count"), "x\n");
    ck_assert_int_eq(ta_apply(json), 254);
    ck_assert_str_eq(ta_read("/count"), "x\n");
}
END_TEST

Suite *apply_line_suite(void)
{
    Suite *s = suite_create("apply_line");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, line_writes_through_absolute_link);
    tcase_add_test(tc, line_writes_through_relative_link_chain);
    tcase_add_test(tc, line_link_loop_fails);
    tcase_add_test(tc, two_lines_one_file);
    tcase_add_test(tc, watch_on_line_in_fuselage_form);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_line_suite)

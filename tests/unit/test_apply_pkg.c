/* test_apply_pkg.c -- Package with a fake apt-get/dpkg-query (and apk) under
 * the root: the calls made are logged, the installed set is a file. */
#include "test_apply_util.h"

/* dpkg-query answers from $R/installed ("name version" lines); apt-get
 * installs only once lists exist (as apt, "Unable to locate" otherwise). */
static void ta_apt(void)
{
    ta_tool("/usr/bin/dpkg-query",
            "eval n=\\${$#}\n"
            "v=$(grep \"^$n \" $R/installed 2>/dev/null | cut -d' ' -f2)\n"
            "[ -n \"$v\" ] || { echo \"dpkg-query: no packages found matching $n\" >&2; exit 1; }\n"
            "printf 'install ok installed\\t%s' \"$v\"\n");
    ta_tool(
        "/usr/bin/apt-get",
        "echo \"apt-get $* [$DEBIAN_FRONTEND]\" >> $R/log\n"
        "L=$R/var/lib/apt/lists\n"
        "case $1 in\n"
        "update) mkdir -p $L/partial; touch $L/mirror.example_bookworm_main_Packages $R/fresh;;\n"
        "install) [ -e $R/fresh ] || { echo \"E: Unable to locate package $5\"; exit 100; }\n"
        "  case \" $* \" in *\" nosuch \"*) echo \"E: Unable to locate package nosuch\"; exit "
        "100;; "
        "esac\n"
        "  shift 4; for p; do case $p in *=*) echo \"${p%%=*} ${p#*=}\";; *) echo \"$p 1.0\";; "
        "esac >> $R/installed; done;;\n"
        "purge|remove) shift 2; for p; do grep -v \"^$p \" $R/installed > $R/i; mv $R/i "
        "$R/installed; done;;\n"
        "esac\n");
}

START_TEST(pkg_fetches_lists_installs_cleans)
{
    ta_apt();
    ta_apply_twice("{\"Package\": {\"name\": [\"less\", \"file\"]}}");
    ck_assert_str_eq(ta_log(), "apt-get update -q [noninteractive]\n"
                               "apt-get install -y -q --no-install-recommends less file "
                               "[noninteractive]\n"
                               "apt-get clean [noninteractive]\n");
    /* the lists fetched for the install are gone: the layer stays small */
    ck_assert(!ta_exists("/var/lib/apt/lists/mirror.example_bookworm_main_Packages"));
    ck_assert(ta_exists("/var/lib/apt/lists/partial"));
}
END_TEST

START_TEST(pkg_reports_install)
{
    ta_apt();
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"python3\"}}"), 0);
    ck_assert_str_eq(ta_out, "Package[python3] installed\n");
}
END_TEST

START_TEST(pkg_stale_lists_update_and_retry)
{
    ta_apt();
    ck_assert_int_eq(mkdir(ta_path("/var"), 0755), 0);
    ck_assert_int_eq(mkdir(ta_path("/var/lib"), 0755), 0);
    ck_assert_int_eq(mkdir(ta_path("/var/lib/apt"), 0755), 0);
    ck_assert_int_eq(mkdir(ta_path("/var/lib/apt/lists"), 0755), 0);
    ta_write("/var/lib/apt/lists/old_Packages", "");
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"less\"}}"), 0);
    ck_assert_str_eq(ta_log(),
                     "apt-get install -y -q --no-install-recommends less [noninteractive]\n"
                     "apt-get update -q [noninteractive]\n"
                     "apt-get install -y -q --no-install-recommends less [noninteractive]\n"
                     "apt-get clean [noninteractive]\n");
    /* only what this run fetched is removed: the image's own list stays */
    ck_assert(ta_exists("/var/lib/apt/lists/old_Packages"));
    ck_assert(!ta_exists("/var/lib/apt/lists/mirror.example_bookworm_main_Packages"));
}
END_TEST

START_TEST(pkg_failed_install_keeps_lists)
{
    ta_apt();
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": [\"less\", \"nosuch\"]}}"), 1);
    ck_assert(ta_exists("/var/lib/apt/lists/mirror.example_bookworm_main_Packages"));
    ck_assert_ptr_null(strstr(ta_log(), "apt-get clean"));
}
END_TEST

START_TEST(pkg_only_missing_ones)
{
    ta_apt();
    ta_write("/installed", "less 590-2\n");
    ta_write("/fresh", "");
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": [\"less\", \"file\"]}}"), 0);
    ck_assert_str_eq(ta_out, "Package[less,file] installed file\n");
    ck_assert_ptr_nonnull(strstr(ta_log(), "--no-install-recommends file [noninteractive]\n"));
}
END_TEST

START_TEST(pkg_version)
{
    ta_apt();
    ta_write("/installed", "less 1.0\n");
    ta_write("/fresh", "");
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"less\", \"version\": \"2.0\"}}"), 0);
    ck_assert_ptr_nonnull(strstr(ta_log(), " less=2.0 "));
    ta_write("/installed", "less 2.0\n");
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"less\", \"version\": \"2.0\"}}"), 254);
}
END_TEST

START_TEST(pkg_uninstall_purge)
{
    ta_apt();
    ta_write("/installed", "less 1.0\nfile 1.0\n");
    ta_apply_twice(
        "{\"Package\": {\"name\": \"less\", \"policy\": \"uninstall\", \"purge\": true}}");
    ck_assert_str_eq(ta_log(), "apt-get purge -y less [noninteractive]\n");
    ck_assert_str_eq(ta_read("/installed"), "file 1.0\n");
}
END_TEST

START_TEST(pkg_failure_shows_output)
{
    ta_apt();
    ck_assert_int_eq(mkdir(ta_path("/var"), 0755), 0);
    ta_tool("/usr/bin/apt-get", "echo \"E: Broken packages\"; exit 100\n");
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"less\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "fuse-apply: Package[less]: "));
    ck_assert_ptr_nonnull(strstr(ta_err, "E: Broken packages"));
}
END_TEST

START_TEST(pkg_no_manager)
{
    ck_assert_int_eq(ta_apply("{\"Package\": {\"name\": \"less\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Package[less]: no package manager found"));
}
END_TEST

START_TEST(pkg_simulate)
{
    ta_apt();
    ck_assert_int_eq(ta_apply_opts("{\"Package\": {\"name\": \"less\"}}", 1, NULL), 0);
    ck_assert_str_eq(ta_out, "Package[less] would be installed\n");
    ck_assert_str_eq(ta_log(), "");
}
END_TEST

START_TEST(pkg_apk)
{
    ta_tool("/sbin/apk", "echo \"apk $*\" >> $R/log\n"
                         "case $1 in info) grep -qx \"$3\" $R/installed 2>/dev/null && echo $3;;\n"
                         "add) echo \"$3\" >> $R/installed;; esac\n");
    ta_apply_twice("{\"Package\": {\"name\": \"curl\"}}");
    ck_assert_str_eq(ta_log(), "apk info -e curl\napk add --no-cache curl\napk info -e curl\n");
}
END_TEST

Suite *apply_pkg_suite(void)
{
    Suite *s = suite_create("apply_pkg");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, pkg_fetches_lists_installs_cleans);
    tcase_add_test(tc, pkg_reports_install);
    tcase_add_test(tc, pkg_stale_lists_update_and_retry);
    tcase_add_test(tc, pkg_failed_install_keeps_lists);
    tcase_add_test(tc, pkg_only_missing_ones);
    tcase_add_test(tc, pkg_version);
    tcase_add_test(tc, pkg_uninstall_purge);
    tcase_add_test(tc, pkg_failure_shows_output);
    tcase_add_test(tc, pkg_no_manager);
    tcase_add_test(tc, pkg_simulate);
    tcase_add_test(tc, pkg_apk);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_pkg_suite)

/* test_apply_fs.c -- the File, Directory and Link providers under --root. */
#include "test_apply_util.h"

START_TEST(file_created_then_unchanged)
{
    ta_apply_twice("{\"File\": {\"name\": \"/index.html\", \"contents\": \"HELLO WORLD!\"}}");
    ck_assert_str_eq(ta_read("/index.html"), "HELLO WORLD!");
    ck_assert_int_eq(ta_mode("/index.html"), 0644);
}
END_TEST

START_TEST(file_reports_creation)
{
    ck_assert_int_eq(ta_apply("{\"File\": {\"name\": \"/a\", \"contents\": \"x\"}}"), 0);
    ck_assert_str_eq(ta_out, "File[/a] created\n");
}
END_TEST

START_TEST(file_contents_and_mode_changed)
{
    ta_write("/a", "old");
    chmod(ta_path("/a"), 0644);
    ck_assert_int_eq(
        ta_apply("{\"File\": {\"name\": \"/a\", \"contents\": \"new\", \"mode\": \"0600\"}}"), 0);
    ck_assert_str_eq(ta_read("/a"), "new");
    ck_assert_int_eq(ta_mode("/a"), 0600);
    ck_assert_ptr_nonnull(strstr(ta_out, "File[/a] contents changed\n"));
    ck_assert_ptr_nonnull(strstr(ta_out, "File[/a] mode changed to 0600\n"));
    ck_assert_int_eq(
        ta_apply("{\"File\": {\"name\": \"/a\", \"contents\": \"new\", \"mode\": \"0600\"}}"), 254);
}
END_TEST

START_TEST(file_keeps_mode_when_not_asked)
{
    ta_write("/a", "old");
    chmod(ta_path("/a"), 0751);
    ck_assert_int_eq(ta_apply("{\"File\": {\"name\": \"/a\", \"contents\": \"new\"}}"), 0);
    ck_assert_int_eq(ta_mode("/a"), 0751);
}
END_TEST

START_TEST(file_owner_by_name_and_number)
{
    if (geteuid() != 0)
        return; /* chown needs root */
    ta_apply_twice("{\"File\": {\"name\": \"/a\", \"contents\": \"x\", \"owner\": \"app\", "
                   "\"group\": \"staff\"}}");
    struct stat st;
    ck_assert_int_eq(stat(ta_path("/a"), &st), 0);
    ck_assert_int_eq(st.st_uid, 1000);
    ck_assert_int_eq(st.st_gid, 50);
    ck_assert_int_eq(ta_apply("{\"File\": {\"name\": \"/a\", \"owner\": 1001}}"), 0);
    ck_assert_str_eq(ta_out, "File[/a] owner changed to 1001\nFile[/a] group changed to www\n");
    ck_assert_int_eq(stat(ta_path("/a"), &st), 0);
    ck_assert_int_eq(st.st_uid, 1001);
}
END_TEST

/* An owner alone brings its primary group, as COPY --chown=USER does; a uid
 * with no passwd entry the same number. */
START_TEST(owner_alone_brings_its_primary_group)
{
    if (geteuid() != 0)
        return;
    ta_apply_twice("[{\"File\": {\"name\": \"/f\", \"contents\": \"x\", \"owner\": \"www\"}},"
                   " {\"Directory\": {\"name\": \"/d\", \"owner\": \"app\"}},"
                   " {\"Link\": {\"name\": \"/l\", \"to\": \"/f\", \"owner\": \"www\"}},"
                   " {\"File\": {\"name\": \"/n\", \"contents\": \"x\", \"owner\": 4242}}]");
    struct stat st;
    ck_assert_int_eq(stat(ta_path("/f"), &st), 0);
    ck_assert_int_eq(st.st_gid, 1001);
    ck_assert_int_eq(stat(ta_path("/d"), &st), 0);
    ck_assert_int_eq(st.st_gid, 1000);
    ck_assert_int_eq(lstat(ta_path("/l"), &st), 0);
    ck_assert_int_eq(st.st_gid, 1001);
    ck_assert_int_eq(stat(ta_path("/n"), &st), 0);
    ck_assert_int_eq(st.st_gid, 4242);
}
END_TEST

START_TEST(file_unknown_owner_fails)
{
    ck_assert_int_eq(ta_apply("{\"File\": {\"name\": \"/a\", \"owner\": \"nobody-here\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "File[/a]: no such user: nobody-here"));
    ck_assert(!ta_exists("/a"));
}
END_TEST

START_TEST(file_binary_contents)
{
    /* A NUL and invalid UTF-8 travel as {"$base64": ...} in the bundle. */
    ta_apply_twice(
        "{\"File\": {\"name\": \"/bin.dat\", \"contents\": {\"$base64\": \"AP8BAg==\"}}}");
    FILE *f = fopen(ta_path("/bin.dat"), "rb");
    unsigned char buf[8];
    ck_assert_int_eq(fread(buf, 1, sizeof buf, f), 4);
    fclose(f);
    ck_assert_int_eq(buf[0], 0);
    ck_assert_int_eq(buf[1], 0xff);
    ck_assert_int_eq(buf[3], 2);
}
END_TEST

START_TEST(file_source_copied_not_under_root)
{
    char src[] = "/tmp/fuse-ta-src.XXXXXX";
    int fd = mkstemp(src);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "BLOB", 4), 4);
    close(fd);
    char json[256];
    snprintf(json, sizeof json, "{\"File\": {\"name\": \"/blob\", \"source\": \"%s\"}}", src);
    ta_apply_twice(json);
    ck_assert_str_eq(ta_read("/blob"), "BLOB");
    fd = open(src, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "BLOB2", 5), 5);
    close(fd);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/blob"), "BLOB2");
    unlink(src);
}
END_TEST

START_TEST(file_failed_write_leaves_nothing)
{
    /* A source that cannot be read (a directory) fails in the middle of the
     * copy: the old file stays whole and no temporary file is left. */
    ta_write("/a", "precious");
    char json[256];
    snprintf(json, sizeof json, "{\"File\": {\"name\": \"/a\", \"source\": \"%s\"}}", ta_root);
    ck_assert_int_eq(ta_apply(json), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "File[/a]: "));
    ck_assert_str_eq(ta_read("/a"), "precious");
    ck_assert(!ta_leftovers("/"));
}
END_TEST

START_TEST(file_missing_parent_fails)
{
    ck_assert_int_eq(ta_apply("{\"File\": {\"name\": \"/no/such/a\", \"contents\": \"x\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "parent directory"));
}
END_TEST

START_TEST(file_remove)
{
    ta_write("/a", "x");
    ta_apply_twice("{\"File\": {\"name\": \"/a\", \"policy\": \"remove\"}}");
    ck_assert(!ta_exists("/a"));
}
END_TEST

START_TEST(file_simulate_changes_nothing)
{
    ta_write("/a", "old");
    ck_assert_int_eq(ta_apply_opts("[{\"File\": {\"name\": \"/a\", \"contents\": \"new\"}},"
                                   "{\"File\": {\"name\": \"/b\", \"contents\": \"x\"}},"
                                   "{\"Directory\": {\"name\": \"/d\"}}]",
                                   1, NULL),
                     0);
    ck_assert_str_eq(ta_out, "File[/a] contents would change\nFile[/b] would be created\n"
                             "Directory[/d] would be created\n");
    ck_assert_str_eq(ta_read("/a"), "old");
    ck_assert(!ta_exists("/b"));
    ck_assert(!ta_exists("/d"));
    ck_assert(!ta_exists("/var"));
}
END_TEST

START_TEST(dir_created_with_parents_and_mode)
{
    ta_apply_twice(
        "{\"Directory\": {\"name\": \"/srv/www/data\", \"parents\": true, \"mode\": \"0750\"}}");
    ck_assert_int_eq(ta_mode("/srv/www/data"), 0750);
    ck_assert_int_eq(ta_mode("/srv"), 0750);
}
END_TEST

START_TEST(dir_default_mode)
{
    umask(077);
    ta_apply_twice("{\"Directory\": {\"name\": \"/d\"}}");
    ck_assert_int_eq(ta_mode("/d"), 0755);
}
END_TEST

START_TEST(dir_without_parents_fails)
{
    ck_assert_int_eq(ta_apply("{\"Directory\": {\"name\": \"/x/y\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Directory[/x/y]: parent directory"));
    ck_assert(!ta_exists("/x"));
}
END_TEST

/* A Link whose directory is missing names that directory and says how to
 * make it, as File and Directory do, instead of the bare rename error. */
START_TEST(link_without_parent_fails)
{
    close(creat(ta_path("/t"), 0644));
    ck_assert_int_eq(ta_apply("{\"Link\": {\"name\": \"/x/l\", \"to\": \"/t\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Link[/x/l]: parent directory"));
    ck_assert_ptr_nonnull(strstr(ta_err, "a Directory resource"));
    ck_assert(!ta_exists("/x"));
}
END_TEST

/* A tree travels as a COPY of fuse's build; a bundle's source would be a
 * host path, so fuse-apply refuses rather than make an empty directory. */
START_TEST(dir_with_source_refused)
{
    ck_assert_int_eq(ta_apply("{\"Directory\": {\"name\": \"/t\", \"source\": \"/tmp\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Directory[/t]: a Directory with a source (a tree)"));
    ck_assert(!ta_exists("/t"));
}
END_TEST

START_TEST(dir_mode_and_owner_fixed)
{
    mkdir(ta_path("/d"), 0700);
    ck_assert_int_eq(ta_apply("{\"Directory\": {\"name\": \"/d\", \"mode\": \"0711\"}}"), 0);
    ck_assert_str_eq(ta_out, "Directory[/d] mode changed to 0711\n");
    ck_assert_int_eq(ta_mode("/d"), 0711);
    if (geteuid() == 0) {
        ta_apply_twice(
            "{\"Directory\": {\"name\": \"/d\", \"mode\": \"0711\", \"owner\": \"www\"}}");
        struct stat st;
        stat(ta_path("/d"), &st);
        ck_assert_int_eq(st.st_uid, 1001);
    }
}
END_TEST

START_TEST(dir_over_a_file_fails)
{
    ta_write("/f", "x");
    ck_assert_int_eq(ta_apply("{\"Directory\": {\"name\": \"/f\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "is not a directory"));
}
END_TEST

START_TEST(dir_remove_and_remove_recursive)
{
    mkdir(ta_path("/d"), 0755);
    ta_write("/d/f", "x");
    ck_assert_int_eq(ta_apply("{\"Directory\": {\"name\": \"/d\", \"policy\": \"remove\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "remove-recursive"));
    ck_assert(ta_exists("/d/f"));
    ta_apply_twice("{\"Directory\": {\"name\": \"/d\", \"policy\": \"remove-recursive\"}}");
    ck_assert(!ta_exists("/d"));
    mkdir(ta_path("/e"), 0755);
    ta_apply_twice("{\"Directory\": {\"name\": \"/e\", \"policy\": \"remove\"}}");
    ck_assert(!ta_exists("/e"));
}
END_TEST

START_TEST(rmtree_does_not_follow_links)
{
    mkdir(ta_path("/keep"), 0755);
    ta_write("/keep/f", "x");
    mkdir(ta_path("/d"), 0755);
    ck_assert_int_eq(symlink(ta_path("/keep"), ta_path("/d/link")), 0);
    ta_apply_twice("{\"Directory\": {\"name\": \"/d\", \"policy\": \"remove-recursive\"}}");
    ck_assert(!ta_exists("/d"));
    ck_assert(ta_exists("/keep/f"));
}
END_TEST

START_TEST(link_created_retargeted_removed)
{
    mkdir(ta_path("/v1"), 0755);
    mkdir(ta_path("/v2"), 0755);
    ta_apply_twice("{\"Link\": {\"name\": \"/current\", \"to\": \"/v1\"}}");
    char buf[64];
    ssize_t n = readlink(ta_path("/current"), buf, sizeof buf - 1);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ta_apply("{\"Link\": {\"name\": \"/current\", \"to\": \"/v2\"}}"), 0);
    ck_assert_str_eq(ta_out, "Link[/current] retargeted to /v2\n");
    n = readlink(ta_path("/current"), buf, sizeof buf - 1);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "/v2");
    ck_assert(!ta_leftovers("/"));
    ta_apply_twice("{\"Link\": {\"name\": \"/current\", \"policy\": \"remove\"}}");
    ck_assert(!ta_exists("/current"));
    ck_assert(ta_exists("/v2"));
}
END_TEST

START_TEST(link_relative_target)
{
    mkdir(ta_path("/etc/alt"), 0755);
    ta_write("/etc/alt/real", "x");
    ta_apply_twice("{\"Link\": {\"name\": \"/etc/alt/short\", \"to\": \"real\"}}");
    ck_assert_str_eq(ta_read("/etc/alt/short"), "x");
}
END_TEST

START_TEST(link_dangling_is_an_error)
{
    ck_assert_int_eq(ta_apply("{\"Link\": {\"name\": \"/l\", \"to\": \"/nowhere\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Link[/l]: link target /nowhere does not exist"));
    ck_assert(!ta_exists("/l"));
}
END_TEST

START_TEST(link_over_a_file_fails)
{
    ta_write("/f", "x");
    ck_assert_int_eq(ta_apply("{\"Link\": {\"name\": \"/f\", \"to\": \"/etc\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "not a symbolic link"));
    ck_assert_str_eq(ta_read("/f"), "x");
}
END_TEST

START_TEST(link_owner_uses_lchown)
{
    if (geteuid() != 0)
        return;
    ta_apply_twice("{\"Link\": {\"name\": \"/l\", \"to\": \"/etc\", \"owner\": \"app\"}}");
    struct stat st;
    ck_assert_int_eq(lstat(ta_path("/l"), &st), 0);
    ck_assert_int_eq(st.st_uid, 1000);
    ck_assert_int_eq(stat(ta_path("/etc"), &st), 0);
    ck_assert_int_eq(st.st_uid, 0);
}
END_TEST

Suite *apply_fs_suite(void)
{
    Suite *s = suite_create("apply_fs");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, link_without_parent_fails);
    tcase_add_test(tc, file_created_then_unchanged);
    tcase_add_test(tc, file_reports_creation);
    tcase_add_test(tc, file_contents_and_mode_changed);
    tcase_add_test(tc, file_keeps_mode_when_not_asked);
    tcase_add_test(tc, file_owner_by_name_and_number);
    tcase_add_test(tc, owner_alone_brings_its_primary_group);
    tcase_add_test(tc, file_unknown_owner_fails);
    tcase_add_test(tc, file_binary_contents);
    tcase_add_test(tc, file_source_copied_not_under_root);
    tcase_add_test(tc, file_failed_write_leaves_nothing);
    tcase_add_test(tc, file_missing_parent_fails);
    tcase_add_test(tc, file_remove);
    tcase_add_test(tc, file_simulate_changes_nothing);
    tcase_add_test(tc, dir_created_with_parents_and_mode);
    tcase_add_test(tc, dir_default_mode);
    tcase_add_test(tc, dir_without_parents_fails);
    tcase_add_test(tc, dir_with_source_refused);
    tcase_add_test(tc, dir_mode_and_owner_fixed);
    tcase_add_test(tc, dir_over_a_file_fails);
    tcase_add_test(tc, dir_remove_and_remove_recursive);
    tcase_add_test(tc, rmtree_does_not_follow_links);
    tcase_add_test(tc, link_created_retargeted_removed);
    tcase_add_test(tc, link_relative_target);
    tcase_add_test(tc, link_dangling_is_an_error);
    tcase_add_test(tc, link_over_a_file_fails);
    tcase_add_test(tc, link_owner_uses_lchown);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_fs_suite)

/* test_apply_user.c -- User and Group: the files read directly, and the
 * decisions taken, with fake useradd/groupadd/adduser under the root that log
 * their arguments and edit the fixture files as the real ones would. */
#include "test_apply_util.h"

/* Shadow-utils fakes: useradd and groupadd append an entry, usermod and
 * groupmod only log (their effect is not needed to check the decision). */
static void ta_shadow_tools(void)
{
    ta_tool(
        "/usr/sbin/useradd",
        "echo \"useradd $*\" >> $R/log\n"
        "uid=2000 gid=100 c= d= s=/bin/sh\n"
        "while [ $# -gt 1 ]; do case $1 in\n"
        "  -u) uid=$2; shift;; -c) c=$2; shift;; -d) d=$2; shift;; -s) s=$2; shift;;\n"
        "  -g) gid=$2; case $gid in *[!0-9]*) gid=$(grep \"^$2:\" $R/etc/group | cut -d: -f3);; "
        "esac; shift;;\n"
        "  -G|-p) shift;; esac; shift; done\n"
        "echo \"$1:x:$uid:$gid:$c:$d:$s\" >> $R/etc/passwd\n");
    ta_tool("/usr/sbin/usermod", "echo \"usermod $*\" >> $R/log\n");
    ta_tool("/usr/sbin/userdel", "echo \"userdel $*\" >> $R/log\n"
                                 "grep -v \"^$1:\" $R/etc/passwd > $R/p; mv $R/p $R/etc/passwd\n");
    ta_tool("/usr/sbin/groupadd", "echo \"groupadd $*\" >> $R/log\n"
                                  "gid=3000; [ \"$1\" = -g ] && gid=$2\n"
                                  "eval n=\\${$#}; echo \"$n:x:$gid:\" >> $R/etc/group\n");
    ta_tool("/usr/sbin/groupmod", "echo \"groupmod $*\" >> $R/log\n");
    ta_tool("/usr/sbin/groupdel", "echo \"groupdel $*\" >> $R/log\n"
                                  "grep -v \"^$1:\" $R/etc/group > $R/g; mv $R/g $R/etc/group\n");
}

START_TEST(read_passwd_and_group)
{
    ap_ctx c;
    ap_ctx_init(&c);
    c.root = ta_root;
    ap_pwent e;
    ck_assert_int_eq(ap_pw_find(&c, "app", -1, &e), 1);
    ck_assert_int_eq(e.uid, 1000);
    ck_assert_str_eq(e.gecos, "App User");
    ck_assert_str_eq(e.home, "/home/app");
    ck_assert_str_eq(e.shell, "/bin/sh");
    ap_pw_free(&e);
    ck_assert_int_eq(ap_pw_find(&c, NULL, 1001, &e), 1);
    ck_assert_str_eq(e.name, "www");
    ap_pw_free(&e);
    ck_assert_int_eq(ap_pw_find(&c, "ghost", -1, &e), 0);
    ap_grent g;
    ck_assert_int_eq(ap_gr_find(&c, "staff", -1, &g), 1);
    ck_assert_int_eq(g.gid, 50);
    ck_assert_uint_eq(g.members->n, 2);
    ck_assert_str_eq(g.members->items[1]->str, "www");
    ap_gr_free(&g);
    fv *m = ap_gr_memberships(&c, "www");
    ck_assert_uint_eq(m->n, 2);
    ck_assert_str_eq(m->items[0]->str, "app");
    ck_assert_str_eq(m->items[1]->str, "staff");
    fv_free(m);
    uid_t u;
    gid_t gi;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ap_uid(&c, "www", &u, &err), 0);
    ck_assert_int_eq(u, 1001);
    ck_assert_int_eq(ap_uid(&c, "4242", &u, &err), 0);
    ck_assert_int_eq(u, 4242);
    ck_assert_int_eq(ap_gid(&c, "staff", &gi, &err), 0);
    ck_assert_int_eq(gi, 50);
    ck_assert_int_eq(ap_gid(&c, "nogroup-here", &gi, &err), -1);
    ck_assert_str_eq(err.buf, "no such group: nogroup-here");
    sb_release(&err);
}
END_TEST

START_TEST(read_missing_passwd)
{
    unlink(ta_path("/etc/passwd"));
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "User[app]: cannot read"));
}
END_TEST

START_TEST(user_created_then_unchanged)
{
    ta_shadow_tools();
    ta_apply_twice("{\"User\": {\"name\": \"svc\", \"uid\": 2000, \"fullname\": \"Service\","
                   " \"home\": \"/srv/svc\", \"shell\": \"/bin/false\"}}");
    ck_assert_str_eq(ta_log(),
                     "useradd -c Service -d /srv/svc -m -u 2000 -g 100 -s /bin/false -r svc\n");
}
END_TEST

START_TEST(user_reports_creation)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"svc\", \"system\": true}}"), 0);
    ck_assert_str_eq(ta_out, "User[svc] created\n");
    ck_assert_str_eq(ta_log(), "useradd -M -g 100 -s /bin/sh -r svc\n");
}
END_TEST

/* fuselage's defaults: a system account in group users, with bash, and no
 * home made unless one is given. */
START_TEST(user_defaults_as_fuselage)
{
    ta_shadow_tools();
    ta_tool("/bin/bash", "");
    ta_write("/etc/group", "root:x:0:\nusers:x:100:\nstaff:x:50:\n");
    ta_apply_twice("{\"User\": {\"name\": \"staff\"}}");
    ck_assert_str_eq(ta_log(), "useradd -M -g 100 -s /bin/bash -r staff\n");
}
END_TEST

START_TEST(user_defaults_without_tools)
{
    ta_tool("/bin/bash", "");
    ta_write("/etc/group", "root:x:0:\nusers:x:100:\n");
    ta_apply_twice("[{\"User\": {\"name\": \"alice\"}},"
                   " {\"User\": {\"name\": \"bob\", \"system\": false}},"
                   " {\"User\": {\"name\": \"carol\", \"create_home\": true}}]");
    const char *pw = ta_read("/etc/passwd");
    ck_assert_ptr_nonnull(strstr(pw, "\nalice:x:999:100::/home/alice:/bin/bash\n"));
    ck_assert_ptr_nonnull(strstr(pw, "\nbob:x:1002:100::/home/bob:/bin/bash\n"));
    ck_assert_ptr_nonnull(strstr(pw, "\ncarol:x:998:100::/home/carol:/bin/bash\n"));
    ck_assert(!ta_exists("/home/alice"));
    ck_assert(!ta_exists("/home/bob"));
    ck_assert(ta_exists("/home/carol"));
    ck_assert_str_eq(ta_read("/etc/group"), "root:x:0:\nusers:x:100:\n");
}
END_TEST

START_TEST(user_home_opt_out)
{
    /* A web root as the home of its service account: no skeleton files
     * (a .bashrc served over HTTP). */
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"web\", \"home\": \"/srv/www\","
                              " \"create_home\": false}}"),
                     0);
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"home\": \"/srv/app\","
                              " \"create_home\": false}}"),
                     0);
    ck_assert_str_eq(ta_log(), "useradd -d /srv/www -M -g 100 -s /bin/sh -r web\n"
                               "usermod -d /srv/app app\n");
}
END_TEST

START_TEST(user_modified)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"shell\": \"/bin/bash\","
                              " \"group\": \"staff\", \"fullname\": \"App User\"}}"),
                     0);
    ck_assert_str_eq(ta_log(), "usermod -g 50 -s /bin/bash app\n");
    ck_assert_str_eq(ta_out, "User[app] updated (group, shell)\n");
}
END_TEST

START_TEST(user_unchanged_runs_nothing)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"uid\": 1000, \"gid\": 1000,"
                              " \"home\": \"/home/app\", \"groups\": [\"staff\"]}}"),
                     254);
    ck_assert_str_eq(ta_log(), "");
}
END_TEST

START_TEST(user_groups_replaced_or_appended)
{
    ta_shadow_tools();
    /* www is in app and staff */
    ck_assert_int_eq(
        ta_apply("{\"User\": {\"name\": \"www\", \"groups\": [\"staff\"], \"append\": false}}"), 0);
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"www\", \"groups\": [\"staff\", \"root\"],"
                              " \"append\": true}}"),
                     0);
    /* append is the default */
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"www\", \"groups\": [\"staff\"]}}"), 254);
    ck_assert_str_eq(ta_log(), "usermod -G staff www\nusermod -a -G root www\n");
}
END_TEST

START_TEST(user_unknown_group_fails)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"svc\", \"group\": \"ghosts\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "User[svc]: no such group: ghosts"));
    ck_assert_str_eq(ta_log(), "");
}
END_TEST

START_TEST(user_disabled_login)
{
    ta_shadow_tools();
    ta_write("/etc/shadow", "app:$6$salt$hash:19000:0:99999:7:::\nwww:!:19000:0:99999:7:::\n");
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"disabled_login\": true}}"), 0);
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"www\", \"disabled_login\": true}}"), 254);
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"disabled_password\": true}}"), 0);
    ck_assert_str_eq(ta_log(), "usermod -p ! app\nusermod -L app\n");
}
END_TEST

START_TEST(user_remove)
{
    ta_shadow_tools();
    ta_apply_twice("{\"User\": {\"name\": \"www\", \"policy\": \"remove\"}}");
    ck_assert_str_eq(ta_log(), "userdel www\n");
}
END_TEST

START_TEST(user_simulate_runs_nothing)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply_opts("[{\"User\": {\"name\": \"svc\"}},"
                                   " {\"User\": {\"name\": \"app\", \"shell\": \"/bin/zsh\"}},"
                                   " {\"Group\": {\"name\": \"ops\"}}]",
                                   1, NULL),
                     0);
    ck_assert_str_eq(ta_out, "User[svc] would be created\nUser[app] would be updated (shell)\n"
                             "Group[ops] would be created\n");
    ck_assert_str_eq(ta_log(), "");
}
END_TEST

START_TEST(user_edits_files_without_tools)
{
    /* A busybox-static image has no useradd and no adduser: the files are edited. */
    ta_write("/etc/shadow", "root:*:19000:0:99999:7:::\n");
    ta_apply_twice("{\"User\": {\"name\": \"svc\", \"uid\": 2000, \"groups\": [\"staff\"],"
                   " \"fullname\": \"Service\"}}");
    ck_assert_ptr_nonnull(
        strstr(ta_read("/etc/passwd"), "\nsvc:x:2000:100:Service:/home/svc:/bin/sh\n"));
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nstaff:x:50:app,www,svc\n"));
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/shadow"), "\nsvc:!:"));
    ck_assert(!ta_exists("/home/svc"));
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"svc\", \"shell\": \"/bin/ash\","
                              " \"groups\": [], \"append\": false}}"),
                     0);
    ck_assert_str_eq(ta_out, "User[svc] updated (shell, groups)\n");
    ck_assert_ptr_nonnull(
        strstr(ta_read("/etc/passwd"), "\nsvc:x:2000:100:Service:/home/svc:/bin/ash\n"));
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nstaff:x:50:app,www\n"));
    ta_apply_twice("{\"User\": {\"name\": \"svc\", \"policy\": \"remove\"}}");
    ck_assert_ptr_null(strstr(ta_read("/etc/passwd"), "svc:"));
    ck_assert_ptr_null(strstr(ta_read("/etc/shadow"), "svc:"));
    ck_assert(!ta_leftovers("/etc"));
}
END_TEST

START_TEST(group_edits_files_without_tools)
{
    ta_apply_twice("{\"Group\": {\"name\": \"ops\", \"gid\": 3000}}");
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nops:x:3000:\n"));
    ck_assert_int_eq(ta_apply("{\"Group\": {\"name\": \"staff\", \"gid\": 51}}"), 0);
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nstaff:x:51:app,www\n"));
    ta_apply_twice("{\"Group\": {\"name\": \"ops\", \"policy\": \"remove\"}}");
    ck_assert_ptr_null(strstr(ta_read("/etc/group"), "ops:"));
}
END_TEST

START_TEST(user_tool_failure_shows_output)
{
    ta_tool("/usr/sbin/useradd", "echo \"useradd: cannot lock /etc/passwd\" >&2; exit 10\n");
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"svc\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "User[svc]: useradd exited with status 10\n"));
    ck_assert_ptr_nonnull(strstr(ta_err, "cannot lock"));
}
END_TEST

START_TEST(user_busybox)
{
    ta_tool("/bin/adduser", "echo \"adduser $*\" >> $R/log\n"
                            "eval n=\\${$#}; echo \"$n:x:2001:50:Linux User:/home/$n:/bin/sh\" "
                            ">> $R/etc/passwd\n");
    ta_tool("/bin/addgroup", "echo \"addgroup $*\" >> $R/log\n");
    ta_apply_twice("{\"User\": {\"name\": \"svc\", \"uid\": 2001, \"home\": \"/home/svc\","
                   " \"group\": \"staff\"}}");
    ck_assert_str_eq(ta_log(), "adduser -D -h /home/svc -s /bin/sh -G staff -S -u 2001 svc\n");
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"groups\": [\"staff\", \"www\"]}}"),
                     0);
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nwww:x:1001:app\n"));
    /* busybox has no usermod: changes edit /etc/passwd */
    ck_assert_int_eq(ta_apply("{\"User\": {\"name\": \"app\", \"shell\": \"/bin/ash\"}}"), 0);
    ck_assert_ptr_nonnull(
        strstr(ta_read("/etc/passwd"), "\napp:x:1000:1000:App User:/home/app:/bin/ash\n"));
}
END_TEST

START_TEST(group_created_then_unchanged)
{
    ta_shadow_tools();
    ta_apply_twice("{\"Group\": {\"name\": \"ops\", \"gid\": 3100, \"system\": true}}");
    ck_assert_str_eq(ta_log(), "groupadd -g 3100 -r ops\n");
}
END_TEST

START_TEST(group_gid_changed)
{
    ta_shadow_tools();
    ck_assert_int_eq(ta_apply("{\"Group\": {\"name\": \"www\", \"gid\": 1002}}"), 0);
    ck_assert_str_eq(ta_out, "Group[www] gid changed to 1002\n");
    ck_assert_int_eq(ta_apply("{\"Group\": {\"name\": \"www\", \"gid\": 1001}}"), 254);
    ck_assert_str_eq(ta_log(), "groupmod -g 1002 www\n");
}
END_TEST

START_TEST(group_remove)
{
    ta_shadow_tools();
    ta_apply_twice("{\"Group\": {\"name\": \"staff\", \"policy\": \"remove\"}}");
    ck_assert_str_eq(ta_log(), "groupdel staff\n");
}
END_TEST

START_TEST(group_busybox)
{
    ta_tool("/bin/addgroup", "echo \"addgroup $*\" >> $R/log\n"
                             "eval n=\\${$#}; echo \"$n:x:3000:\" >> $R/etc/group\n");
    ta_apply_twice("{\"Group\": {\"name\": \"ops\", \"gid\": 3000}}");
    ck_assert_str_eq(ta_log(), "addgroup -g 3000 ops\n");
    ck_assert_int_eq(ta_apply("{\"Group\": {\"name\": \"ops\", \"gid\": 3001}}"), 0);
    ck_assert_ptr_nonnull(strstr(ta_read("/etc/group"), "\nops:x:3001:\n"));
}
END_TEST

Suite *apply_user_suite(void)
{
    Suite *s = suite_create("apply_user");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, read_passwd_and_group);
    tcase_add_test(tc, read_missing_passwd);
    tcase_add_test(tc, user_created_then_unchanged);
    tcase_add_test(tc, user_reports_creation);
    tcase_add_test(tc, user_defaults_as_fuselage);
    tcase_add_test(tc, user_defaults_without_tools);
    tcase_add_test(tc, user_home_opt_out);
    tcase_add_test(tc, user_modified);
    tcase_add_test(tc, user_unchanged_runs_nothing);
    tcase_add_test(tc, user_groups_replaced_or_appended);
    tcase_add_test(tc, user_unknown_group_fails);
    tcase_add_test(tc, user_disabled_login);
    tcase_add_test(tc, user_remove);
    tcase_add_test(tc, user_simulate_runs_nothing);
    tcase_add_test(tc, user_edits_files_without_tools);
    tcase_add_test(tc, group_edits_files_without_tools);
    tcase_add_test(tc, user_tool_failure_shows_output);
    tcase_add_test(tc, user_busybox);
    tcase_add_test(tc, group_created_then_unchanged);
    tcase_add_test(tc, group_gid_changed);
    tcase_add_test(tc, group_remove);
    tcase_add_test(tc, group_busybox);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_user_suite)

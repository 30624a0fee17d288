/* test_apply_exec.c -- Execute, Line and watches under --root. */
#include "test_apply_util.h"

/* A bundle whose Execute appends to /count under the root, so each run can be counted. */
static char ta_json[2048];
static const char *ta_exec(const char *extra)
{
    snprintf(ta_json, sizeof ta_json,
             "{\"Execute\": {\"name\": \"count\", \"command\": \"echo x >> %s/count\"%s%s}}",
             ta_root, *extra ? ", " : "", extra);
    return ta_json;
}

static int ta_count(void)
{
    const char *s = ta_read("/count");
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(exec_runs_and_reports)
{
    ck_assert_int_eq(ta_apply(ta_exec("")), 0);
    ck_assert_str_eq(ta_out, "Execute[count] executed\n");
    ck_assert_int_eq(ta_count(), 1);
}
END_TEST

START_TEST(exec_creates_skips_second_run)
{
    char extra[256];
    snprintf(extra, sizeof extra, "\"creates\": \"/count\"");
    ta_apply_twice(ta_exec(extra));
    ck_assert_int_eq(ta_count(), 1);
}
END_TEST

/* A symbolic link the command made counts even when its target is gone:
 * running "ln -s" again would fail. */
START_TEST(exec_creates_dangling_link_counts)
{
    ck_assert_int_eq(symlink("/no/such/target", ta_path("/link")), 0);
    ck_assert_int_eq(ta_apply(ta_exec("\"creates\": \"/link\"")), 254);
    ck_assert_int_eq(ta_count(), 0);
}
END_TEST

START_TEST(exec_touch_skips_second_run)
{
    ta_apply_twice(ta_exec("\"touch\": \"/stamp\""));
    ck_assert(ta_exists("/stamp"));
    ck_assert_int_eq(ta_count(), 1);
}
END_TEST

START_TEST(exec_unless)
{
    char extra[256];
    snprintf(extra, sizeof extra, "\"unless\": \"test -e %s/count\"", ta_root);
    ta_apply_twice(ta_exec(extra));
    ck_assert_int_eq(ta_count(), 1);
}
END_TEST

START_TEST(exec_failure_names_resource_and_shows_output)
{
    ck_assert_int_eq(ta_apply("{\"Execute\": {\"name\": \"false\", \"command\": "
                              "\"echo to-stdout; echo to-stderr >&2; exit 3\"}}"),
                     1);
    ck_assert_ptr_nonnull(
        strstr(ta_err, "fuse-apply: Execute[false]: command exited with status 3\n"));
    ck_assert_ptr_nonnull(strstr(ta_err, "to-stdout"));
    ck_assert_ptr_nonnull(strstr(ta_err, "to-stderr"));
    ck_assert_str_eq(ta_out, "");
}
END_TEST

START_TEST(exec_failure_stops_the_run)
{
    ck_assert_int_eq(ta_apply("[{\"Execute\": {\"name\": \"false\", \"command\": \"false\"}},"
                              "{\"File\": {\"name\": \"/after\"}}]"),
                     1);
    ck_assert(!ta_exists("/after"));
}
END_TEST

START_TEST(exec_returncode)
{
    ck_assert_int_eq(
        ta_apply("{\"Execute\": {\"name\": \"x\", \"command\": \"exit 3\", \"returncode\": 3}}"),
        0);
    ck_assert_int_eq(
        ta_apply("{\"Execute\": {\"name\": \"x\", \"command\": \"true\", \"returncode\": 3}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "expected 3"));
}
END_TEST

START_TEST(exec_commands_cwd_environment_umask)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"Execute\": {\"name\": \"x\", \"cwd\": \"%s\", \"umask\": \"077\","
             " \"environment\": {\"GREETING\": \"hi there\"},"
             " \"commands\": [\"echo \\\"$GREETING\\\" > out\", \"pwd >> out\", \"touch new\"]}}",
             ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    char want[256];
    snprintf(want, sizeof want, "hi there\n%s\n", ta_root);
    ck_assert_str_eq(ta_read("/out"), want);
    ck_assert_int_eq(ta_mode("/new"), 0600);
}
END_TEST

START_TEST(exec_runs_in_root_directory_by_default)
{
    /* Not in fuse-apply's own working directory (a build's WORKDIR). */
    ck_assert_int_eq(chdir(ta_root), 0);
    char json[512];
    snprintf(json, sizeof json, "{\"Execute\": {\"name\": \"x\", \"command\": \"pwd > %s/cwd\"}}",
             ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/cwd"), "/\n");
}
END_TEST

START_TEST(exec_as_user)
{
    if (geteuid() != 0)
        return;
    char json[512];
    snprintf(json, sizeof json,
             "{\"Execute\": {\"name\": \"x\", \"user\": \"app\", \"group\": \"staff\","
             " \"command\": \"echo $(id -u):$(id -g):$(id -G) > %s/ids\"}}",
             ta_root);
    chmod(ta_root, 0777);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/ids"), "1000:50:50\n");
    /* without a group: the primary one, and the supplementary ones of /etc/group */
    snprintf(json, sizeof json,
             "{\"Execute\": {\"name\": \"y\", \"user\": \"www\","
             " \"command\": \"echo $(id -u):$(id -g):$(id -G) > %s/ids2\"}}",
             ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/ids2"), "1001:1001:1001 50 1000\n");
}
END_TEST

/* HOME is the user's own (as su - gives it), / for a uid with no passwd
 * entry, which runs with gid 0 as Docker's USER N does; environment wins. */
START_TEST(exec_as_user_home)
{
    if (geteuid() != 0)
        return;
    chmod(ta_root, 0777);
    char json[1024];
    snprintf(
        json, sizeof json,
        "[{\"Execute\": {\"name\": \"a\", \"user\": \"www\", \"command\": \"echo $HOME > %s/h1\"}},"
        " {\"Execute\": {\"name\": \"b\", \"user\": 4242,"
        " \"command\": \"echo $HOME $(id -u):$(id -g):$(id -G) > %s/h2\"}},"
        " {\"Execute\": {\"name\": \"c\", \"user\": \"www\", \"environment\": {\"HOME\": \"/x\"},"
        " \"command\": \"echo $HOME > %s/h3\"}}]",
        ta_root, ta_root, ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/h1"), "/var/www\n");
    ck_assert_str_eq(ta_read("/h2"), "/ 4242:0:0\n");
    ck_assert_str_eq(ta_read("/h3"), "/x\n");
}
END_TEST

START_TEST(exec_simulate_runs_nothing)
{
    ck_assert_int_eq(ta_apply_opts(ta_exec(""), 1, NULL), 0);
    ck_assert_str_eq(ta_out, "Execute[count] would be executed\n");
    ck_assert_int_eq(ta_count(), 0);
}
END_TEST

START_TEST(watch_in_one_bundle)
{
    char json[1024];
    snprintf(json, sizeof json,
             "[{\"File\": {\"name\": \"/conf\", \"contents\": \"a\"}},"
             " {\"Execute\": {\"name\": \"count\", \"command\": \"echo x >> %s/count\","
             "  \"watches\": [\"File[/conf]\"]}}]",
             ta_root);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_int_eq(ta_count(), 1);
    /* Nothing changed: the watcher stays quiet. */
    ck_assert_int_eq(ta_apply(json), 254);
    ck_assert_int_eq(ta_count(), 1);
    ta_write("/conf", "changed behind our back");
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_int_eq(ta_count(), 2);
}
END_TEST

START_TEST(watch_across_invocations)
{
    /* The Docker build: one resource per invocation, triggers in --state. */
    char state[512], watcher[512];
    snprintf(state, sizeof state, "%s/state", ta_root);
    snprintf(watcher, sizeof watcher,
             "{\"Execute\": {\"name\": \"count\", \"command\": \"echo x >> %s/count\","
             " \"watches\": [\"File[/conf]\"]}}",
             ta_root);
    const char *file = "{\"File\": {\"name\": \"/conf\", \"contents\": \"a\"}}";
    ck_assert_int_eq(ta_apply_opts(watcher, 0, state), 254); /* nothing changed yet */
    ck_assert_int_eq(ta_apply_opts(file, 0, state), 0);
    ck_assert_int_eq(ta_apply_opts(watcher, 0, state), 0);
    ck_assert_int_eq(ta_count(), 1);
    ck_assert_int_eq(ta_apply_opts(watcher, 0, state), 254);
    ck_assert_int_eq(ta_count(), 1);
}
END_TEST

START_TEST(watch_two_watchers_both_run)
{
    char state[512], w1[512], w2[512];
    snprintf(state, sizeof state, "%s/state", ta_root);
    snprintf(w1, sizeof w1,
             "{\"Execute\": {\"name\": \"one\", \"command\": \"echo 1 >> %s/count\","
             " \"watches\": [\"/conf\"]}}",
             ta_root);
    snprintf(w2, sizeof w2,
             "{\"Execute\": {\"name\": \"two\", \"command\": \"echo 2 >> %s/count\","
             " \"watches\": [\"File[/conf]\"]}}",
             ta_root);
    ck_assert_int_eq(ta_apply_opts("{\"File\": {\"name\": \"/conf\"}}", 0, state), 0);
    ck_assert_int_eq(ta_apply_opts(w1, 0, state), 0);
    ck_assert_int_eq(ta_apply_opts(w2, 0, state), 0);
    ck_assert_str_eq(ta_read("/count"), "1\n2\n");
}
END_TEST

START_TEST(watch_failed_watcher_resumes)
{
    char state[512], bad[512], good[512];
    snprintf(state, sizeof state, "%s/state", ta_root);
    snprintf(
        bad, sizeof bad,
        "{\"Execute\": {\"name\": \"w\", \"command\": \"false\", \"watches\": [\"File[/conf]\"]}}");
    snprintf(good, sizeof good,
             "{\"Execute\": {\"name\": \"w\", \"command\": \"echo x >> %s/count\","
             " \"watches\": [\"File[/conf]\"]}}",
             ta_root);
    ck_assert_int_eq(ta_apply_opts("{\"File\": {\"name\": \"/conf\"}}", 0, state), 0);
    ck_assert_int_eq(ta_apply_opts(bad, 0, state), 1);
    /* The trigger survived the failure: the next run still acts on it, once. */
    ck_assert_int_eq(ta_apply_opts(good, 0, state), 0);
    ck_assert_int_eq(ta_count(), 1);
    ck_assert_int_eq(ta_apply_opts(good, 0, state), 254);
}
END_TEST

START_TEST(watch_simulate_writes_no_state)
{
    char state[512];
    snprintf(state, sizeof state, "%s/state", ta_root);
    ck_assert_int_eq(ta_apply_opts("{\"File\": {\"name\": \"/conf\"}}", 1, state), 0);
    ck_assert(!ta_exists("/state"));
}
END_TEST

START_TEST(state_escape_is_a_file_name)
{
    strbuf sb = STRBUF_INIT;
    ap_state_escape("File[/etc/x y]", &sb);
    ck_assert_str_eq(sb.buf, "File%5B%2Fetc%2Fx%20y%5D");
    sb_reset(&sb);
    char longname[600];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ap_state_escape(longname, &sb);
    ck_assert_uint_le(sb.len, 200);
    ck_assert_ptr_null(strchr(sb.buf, '/'));
    sb_release(&sb);
}
END_TEST

START_TEST(line_replaces_first_match)
{
    ta_write("/etc/ssh.conf", "Port 22\nPermitRootLogin yes\nX 1\nPermitRootLogin maybe\n");
    ta_apply_twice("{\"Line\": {\"name\": \"/etc/ssh.conf\", \"line\": \"PermitRootLogin no\","
                   " \"match\": \"^PermitRootLogin \"}}");
    ck_assert_str_eq(ta_read("/etc/ssh.conf"),
                     "Port 22\nPermitRootLogin no\nX 1\nPermitRootLogin maybe\n");
}
END_TEST

START_TEST(line_appended_when_nothing_matches)
{
    ta_write("/etc/hosts", "127.0.0.1 localhost");
    ta_apply_twice("{\"Line\": {\"name\": \"/etc/hosts\", \"line\": \"10.0.0.1 db\","
                   " \"match\": \"[[:space:]]db$\"}}");
    ck_assert_str_eq(ta_read("/etc/hosts"), "127.0.0.1 localhost\n10.0.0.1 db\n");
    ck_assert_str_eq(ta_out, "");
}
END_TEST

START_TEST(line_without_match)
{
    ta_write("/f", "a\n");
    ck_assert_int_eq(ta_apply("{\"Line\": {\"name\": \"/f\", \"line\": \"b\"}}"), 0);
    ck_assert_str_eq(ta_out, "Line[/f] applied\n");
    ck_assert_int_eq(ta_apply("{\"Line\": {\"name\": \"/f\", \"line\": \"a\"}}"), 254);
    ck_assert_str_eq(ta_read("/f"), "a\nb\n");
}
END_TEST

START_TEST(line_remove)
{
    ta_write("/f", "keep\n#drop 1\nkeep too\n#drop 2\n");
    chmod(ta_path("/f"), 0640);
    ta_apply_twice("{\"Line\": {\"name\": \"/f\", \"match\": \"^#drop\", \"policy\": \"remove\"}}");
    ck_assert_str_eq(ta_read("/f"), "keep\nkeep too\n");
    ck_assert_int_eq(ta_mode("/f"), 0640);
    ck_assert(!ta_leftovers("/"));
}
END_TEST

START_TEST(line_missing_file)
{
    ck_assert_int_eq(ta_apply("{\"Line\": {\"name\": \"/nope\", \"line\": \"x\"}}"), 1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Line[/nope]: cannot read"));
    ck_assert(!ta_exists("/nope"));
}
END_TEST

/* No line of a missing file matches: removing is already done (fuselage
 * fails here). */
START_TEST(line_remove_from_missing_file_is_unchanged)
{
    ck_assert_int_eq(
        ta_apply("{\"Line\": {\"name\": \"/nope\", \"match\": \"^x\", \"policy\": \"remove\"}}"),
        254);
    ck_assert_str_eq(ta_err, "");
    ck_assert(!ta_exists("/nope"));
}
END_TEST

START_TEST(line_simulate)
{
    ta_write("/f", "a\n");
    ck_assert_int_eq(ta_apply_opts("{\"Line\": {\"name\": \"/f\", \"line\": \"b\"}}", 1, NULL), 0);
    ck_assert_str_eq(ta_out, "Line[/f] would be applied\n");
    ck_assert_str_eq(ta_read("/f"), "a\n");
}
END_TEST

Suite *apply_exec_suite(void)
{
    Suite *s = suite_create("apply_exec");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, exec_runs_and_reports);
    tcase_add_test(tc, exec_creates_skips_second_run);
    tcase_add_test(tc, exec_creates_dangling_link_counts);
    tcase_add_test(tc, exec_touch_skips_second_run);
    tcase_add_test(tc, exec_unless);
    tcase_add_test(tc, exec_failure_names_resource_and_shows_output);
    tcase_add_test(tc, exec_failure_stops_the_run);
    tcase_add_test(tc, exec_returncode);
    tcase_add_test(tc, exec_commands_cwd_environment_umask);
    tcase_add_test(tc, exec_runs_in_root_directory_by_default);
    tcase_add_test(tc, exec_as_user);
    tcase_add_test(tc, exec_as_user_home);
    tcase_add_test(tc, exec_simulate_runs_nothing);
    tcase_add_test(tc, watch_in_one_bundle);
    tcase_add_test(tc, watch_across_invocations);
    tcase_add_test(tc, watch_two_watchers_both_run);
    tcase_add_test(tc, watch_failed_watcher_resumes);
    tcase_add_test(tc, watch_simulate_writes_no_state);
    tcase_add_test(tc, state_escape_is_a_file_name);
    tcase_add_test(tc, line_replaces_first_match);
    tcase_add_test(tc, line_appended_when_nothing_matches);
    tcase_add_test(tc, line_without_match);
    tcase_add_test(tc, line_remove);
    tcase_add_test(tc, line_missing_file);
    tcase_add_test(tc, line_remove_from_missing_file_is_unchanged);
    tcase_add_test(tc, line_simulate);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_exec_suite)

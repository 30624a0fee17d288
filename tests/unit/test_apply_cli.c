/* test_apply_cli.c -- the fuse-apply command line (ap_main) and Checkout. */
#include <sys/wait.h>

#include "test_apply_util.h"

static char cli_out[65536], cli_err[65536];

/* Runs ap_main with argv (NULL-terminated), stdout and stderr captured. */
static int cli_run(const char **args)
{
    int argc = 0;
    char *argv[32];
    argv[argc++] = "fuse-apply";
    while (*args)
        argv[argc++] = (char *)*args++;
    argv[argc] = NULL;
    char po[512], pe[512];
    snprintf(po, sizeof po, "%s/.out", ta_root);
    snprintf(pe, sizeof pe, "%s/.err", ta_root);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = ap_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so), close(se), close(fo), close(fe);
    snprintf(cli_out, sizeof cli_out, "%s", ta_read("/.out"));
    snprintf(cli_err, sizeof cli_err, "%s", ta_read("/.err"));
    unlink(po);
    unlink(pe);
    return rc;
}

START_TEST(cli_usage_errors)
{
    const char *none[] = {NULL};
    ck_assert_int_eq(cli_run(none), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "usage: fuse-apply"));
    const char *bad[] = {"--frobnicate", "x.json", NULL};
    ck_assert_int_eq(cli_run(bad), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "unknown option --frobnicate"));
    const char *missing[] = {"/no/such/bundle.json", NULL};
    ck_assert_int_eq(cli_run(missing), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "cannot read /no/such/bundle.json"));
}
END_TEST

START_TEST(cli_malformed_resource_names_it)
{
    const char *args[] = {"--root", ta_root, "--json",
                          "[{\"File\": {\"name\": \"/ok\"}}, {\"File\": {\"name\": \"/x\", "
                          "\"mode\": \"rwx\"}}]",
                          NULL};
    ck_assert_int_eq(cli_run(args), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "resource 2 (File): mode"));
    /* nothing is applied from a bad bundle, not even the good resource */
    ck_assert(!ta_exists("/ok"));
    const char *json[] = {"--json", "{\"File\": ", NULL};
    ck_assert_int_eq(cli_run(json), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "bad bundle JSON"));
}
END_TEST

START_TEST(cli_exit_statuses)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bundle.json", ta_root);
    ta_write("/bundle.json",
             "{\"version\": 1, \"resources\": [{\"File\": {\"name\": \"/index.html\","
             " \"contents\": \"HELLO WORLD!\"}}]}");
    const char *args[] = {"--root", ta_root, path, NULL};
    ck_assert_int_eq(cli_run(args), 0);
    ck_assert_str_eq(cli_out, "File[/index.html] created\n");
    ck_assert_int_eq(cli_run(args), 254);
    ck_assert_str_eq(cli_out, "");
    const char *ok[] = {"--no-changes-ok", "--root", ta_root, path, NULL};
    ck_assert_int_eq(cli_run(ok), 0);
    const char *verbose[] = {"-v", "--root", ta_root, path, NULL};
    ck_assert_int_eq(cli_run(verbose), 254);
    ck_assert_str_eq(cli_out, "File[/index.html] unchanged\n");
    const char *fail[] = {"--root", ta_root, "--json",
                          "{\"Execute\": {\"name\": \"false\", \"command\": \"echo oops; false\"}}",
                          NULL};
    ck_assert_int_eq(cli_run(fail), 1);
    ck_assert_ptr_nonnull(
        strstr(cli_err, "fuse-apply: Execute[false]: command exited with status 1\n"));
    ck_assert_ptr_nonnull(strstr(cli_err, "oops"));
}
END_TEST

START_TEST(cli_quiet_and_simulate)
{
    const char *q[] = {"-q", "--root", ta_root, "--json", "{\"Directory\": {\"name\": \"/d\"}}",
                       NULL};
    ck_assert_int_eq(cli_run(q), 0);
    ck_assert_str_eq(cli_out, "");
    ck_assert(ta_exists("/d"));
    const char *n[] = {
        "--simulate", "--root", ta_root, "--json", "{\"Directory\": {\"name\": \"/e\"}}", NULL};
    ck_assert_int_eq(cli_run(n), 0);
    ck_assert_str_eq(cli_out, "Directory[/e] would be created\n");
    ck_assert(!ta_exists("/e"));
}
END_TEST

/* Without --state a bundle is whole: a watch on a resource it lacks could
 * never fire, so it is a bad bundle (exit 2) naming the resource. */
START_TEST(cli_watch_on_nothing_is_bad_bundle)
{
    const char *run[] = {"--root", ta_root, "--json",
                         "{\"Execute\": {\"name\": \"hook\", \"command\": \"true\","
                         " \"watches\": [\"File[/conf]\"]}}",
                         NULL};
    ck_assert_int_eq(cli_run(run), 2);
    ck_assert_str_eq(cli_err, "fuse-apply: --json: resource 1 (Execute): watches \"File[/conf]\","
                              " which is not an earlier resource\n");
}
END_TEST

/* As fuselage's serialiser writes it: an Execute without a name, an id,
 * Line.sensitive and linesep; the whole bundle applies. */
START_TEST(cli_fuselage_serialised_bundle)
{
    ta_write("/app.conf", "pw=old\n");
    char json[1024];
    snprintf(json, sizeof json,
             "{\"version\": 1, \"resources\": ["
             "{\"Line\": {\"name\": \"/app.conf\", \"match\": \"^pw=\", \"line\": \"pw=new\","
             " \"sensitive\": true, \"linesep\": \"\\n\", \"id\": \"pw\"}},"
             "{\"Execute\": {\"command\": \"touch %s/hook\", \"watches\": [\"Line[pw]\"]}}]}",
             ta_root);
    const char *run[] = {"--root", ta_root, "--json", json, NULL};
    ck_assert_int_eq(cli_run(run), 0);
    ck_assert_str_eq(ta_read("/app.conf"), "pw=new\n");
    ck_assert(ta_exists("/hook"));
    ck_assert_ptr_null(strstr(cli_out, "pw=new"));
    ck_assert_ptr_nonnull(strstr(cli_out, "Line[pw] applied\n"));
}
END_TEST

/* fuselage's builder keeps a File's source as a zip asset, bundle://SHA1:
 * the unpacked bundle's resources.json applies, finding assets/SHA1. */
START_TEST(cli_fuselage_zip_assets)
{
    mkdir(ta_path("/unz"), 0755);
    mkdir(ta_path("/unz/assets"), 0755);
    ta_write("/unz/assets/0a1b", "from the zip\n");
    ta_write("/unz/resources.json", "{\"version\": 1, \"resources\": [{\"File\": {\"name\": "
                                    "\"/motd\", \"source\": \"bundle://0a1b\"}}]}");
    char file[512];
    snprintf(file, sizeof file, "%s", ta_path("/unz/resources.json"));
    const char *run[] = {"--root", ta_root, file, NULL};
    ck_assert_int_eq(cli_run(run), 0);
    ck_assert_str_eq(ta_read("/motd"), "from the zip\n");
    const char *json[] = {"--root", ta_root, "--json",
                          "[{\"File\": {\"name\": \"/x\", \"source\": \"bundle://0a1b\"}}]", NULL};
    ck_assert_int_eq(cli_run(json), 2);
    ck_assert_str_eq(cli_err, "fuse-apply: --json: resource 1 (File): source bundle://0a1b is an "
                              "asset of a fuselage bundle: give fuse-apply the unpacked bundle's "
                              "resources.json as a file\n");
    const char *bad[] = {"--root", ta_root, "--json",
                         "[{\"File\": {\"name\": \"/x\", \"source\": \"bundle://../../etc\"}}]",
                         NULL};
    ck_assert_int_eq(cli_run(bad), 2);
    ck_assert_ptr_nonnull(strstr(cli_err, "is not a fuselage asset"));
}
END_TEST

/* A bundle cut short says where it ends, not "at byte 1". */
START_TEST(cli_truncated_bundle_offset)
{
    const char *run[] = {"--root", ta_root, "--json", "{\"version\": 1, \"resources\": [", NULL};
    ck_assert_int_eq(cli_run(run), 2);
    ck_assert_str_eq(cli_err, "fuse-apply: --json: bad bundle JSON: parse error: premature EOF at "
                              "byte 29\n");
}
END_TEST

/* ap_apply calls the provider of every loaded type without a check. */
START_TEST(every_type_has_a_provider)
{
    for (size_t i = 0; rt_types[i]; i++)
        ck_assert_msg(ap_provider_find(rt_types[i]->name) != NULL, "%s", rt_types[i]->name);
    ck_assert_ptr_null(ap_provider_find("Service"));
}
END_TEST

START_TEST(cli_state_dir_for_steps)
{
    /* As the generated Dockerfile runs it: one resource per invocation. */
    char state[512], cmd[512];
    snprintf(state, sizeof state, "%s/.fuse/state", ta_root);
    snprintf(cmd, sizeof cmd,
             "{\"Execute\": {\"name\": \"reload\", \"command\": \"echo x >> %s/count\","
             " \"watches\": [\"File[/conf]\"]}}",
             ta_root);
    const char *step1[] = {"--no-changes-ok",
                           "--state",
                           state,
                           "--root",
                           ta_root,
                           "--json",
                           "{\"File\": {\"name\": \"/conf\", \"contents\": \"a\"}}",
                           NULL};
    const char *step2[] = {"--no-changes-ok", "--state", state, "--root",
                           ta_root,           "--json",  cmd,   NULL};
    ck_assert_int_eq(cli_run(step1), 0);
    ck_assert_int_eq(cli_run(step2), 0);
    ck_assert_str_eq(cli_out, "Execute[reload] executed\n");
    ck_assert_int_eq(cli_run(step2), 0);
    ck_assert_str_eq(cli_out, "");
    ck_assert_str_eq(ta_read("/count"), "x\n");
}
END_TEST

START_TEST(cli_cleanup)
{
    mkdir(ta_path("/.fuse"), 0755);
    mkdir(ta_path("/.fuse/blobs"), 0755);
    ta_write("/.fuse/blobs/1", "data");
    ta_write("/.fuse/fuse-apply", "binary");
    const char *args[] = {"--cleanup", ta_path("/.fuse"), NULL};
    ck_assert_int_eq(cli_run(args), 0);
    ck_assert(!ta_exists("/.fuse"));
    ck_assert(ta_exists("/etc/passwd"));
}
END_TEST

START_TEST(cli_fuselage_bundle)
{
    /* fuselage writes modes as integers, Execute's environment as env, nulls */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"version\": 1, \"resources\": ["
             "{\"Directory\": {\"name\": \"/var\", \"mode\": 493, \"policy\": null}},"
             "{\"File\": [{\"name\": \"/var/a\", \"contents\": \"A\", \"mode\": 384},"
             " {\"name\": \"/var/b\", \"contents\": \"B\"}]},"
             "{\"Execute\": {\"name\": \"e\", \"command\": \"echo $FOO > %s/foo\","
             " \"env\": {\"FOO\": \"bar\"}, \"creates\": \"/foo\"}}]}",
             ta_root);
    const char *args[] = {"--root", ta_root, "--json", json, NULL};
    ck_assert_int_eq(cli_run(args), 0);
    ck_assert_int_eq(ta_mode("/var/a"), 0600);
    ck_assert_str_eq(ta_read("/var/b"), "B");
    ck_assert_str_eq(ta_read("/foo"), "bar\n");
    ck_assert_int_eq(cli_run(args), 254);
}
END_TEST

/* A local git repository with one commit per call of git_commit. */
static void git(const char *fmt, const char *arg)
{
    char cmd[1024], full[1200];
    snprintf(cmd, sizeof cmd, fmt, arg, arg, arg);
    snprintf(full, sizeof full,
             "export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t "
             "GIT_COMMITTER_EMAIL=t@t; %s >/dev/null 2>&1",
             cmd);
    ck_assert_int_eq(system(full), 0);
}

START_TEST(checkout_clone_update_tag)
{
    if (system("git --version >/dev/null 2>&1") != 0)
        return; /* no git on this machine */
    char repo[512], json[1024];
    snprintf(repo, sizeof repo, "%s/repo", ta_root);
    git("git init -q -b main %s", repo);
    git("cd %s && echo one > f && git add f && git commit -q -m one && git tag v1", repo);
    snprintf(
        json, sizeof json,
        "{\"Checkout\": {\"name\": \"/src/app\", \"repository\": \"%s\", \"branch\": \"main\"}}",
        repo);
    mkdir(ta_path("/src"), 0755);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_ptr_nonnull(strstr(ta_out, "Checkout[/src/app] cloned at "));
    ck_assert_str_eq(ta_read("/src/app/f"), "one\n");
    ck_assert_int_eq(ta_apply(json), 254);
    git("cd %s && echo two > f && git commit -q -am two", repo);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_ptr_nonnull(strstr(ta_out, "Checkout[/src/app] updated to "));
    ck_assert_str_eq(ta_read("/src/app/f"), "two\n");
    snprintf(json, sizeof json,
             "{\"Checkout\": {\"name\": \"/src/app\", \"repository\": \"%s\", \"tag\": \"v1\"}}",
             repo);
    ck_assert_int_eq(ta_apply(json), 0);
    ck_assert_str_eq(ta_read("/src/app/f"), "one\n");
    ck_assert_int_eq(ta_apply(json), 254);
}
END_TEST

/* HEAD: on a local branch of that name with branch (so git pull and git
 * status work in the image), detached at a tag or revision. */
START_TEST(checkout_head_branch_or_detached)
{
    if (system("git --version >/dev/null 2>&1") != 0)
        return;
    char repo[512], json[1024], cmd[1024];
    snprintf(repo, sizeof repo, "%s/repo", ta_root);
    git("git init -q -b main %s", repo);
    git("cd %s && echo one > f && git add f && git commit -q -m one && git tag v1", repo);
    mkdir(ta_path("/src"), 0755);
    snprintf(
        json, sizeof json,
        "{\"Checkout\": {\"name\": \"/src/app\", \"repository\": \"%s\", \"branch\": \"main\"}}",
        repo);
    ck_assert_int_eq(ta_apply(json), 0);
    snprintf(cmd, sizeof cmd, "git -C %s/src/app symbolic-ref -q HEAD > %s/ref; true", ta_root,
             ta_root);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_str_eq(ta_read("/ref"), "refs/heads/main\n");
    snprintf(json, sizeof json,
             "{\"Checkout\": {\"name\": \"/src/app\", \"repository\": \"%s\", \"tag\": \"v1\"}}",
             repo);
    ck_assert_int_eq(ta_apply(json), 254); /* same commit: HEAD did not move */
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_str_eq(ta_read("/ref"), "");
    /* none of the three after a tag: back on the remote's default branch */
    git("cd %s && echo two > f && git commit -q -am two", repo);
    snprintf(json, sizeof json, "{\"Checkout\": {\"name\": \"/src/app\", \"repository\": \"%s\"}}",
             repo);
    ck_assert_msg(ta_apply(json) == 0, "%s", ta_err);
    ck_assert_str_eq(ta_read("/src/app/f"), "two\n");
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_str_eq(ta_read("/ref"), "refs/heads/main\n");
}
END_TEST

START_TEST(checkout_bad_repository_fails)
{
    if (system("git --version >/dev/null 2>&1") != 0)
        return;
    mkdir(ta_path("/src"), 0755);
    ck_assert_int_eq(ta_apply("{\"Checkout\": {\"name\": \"/src/x\", \"repository\": "
                              "\"/no/such/repo\"}}"),
                     1);
    ck_assert_ptr_nonnull(strstr(ta_err, "Checkout[/src/x]: git clone exited with status"));
}
END_TEST

Suite *apply_cli_suite(void)
{
    Suite *s = suite_create("apply_cli");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, ta_setup, ta_teardown);
    tcase_add_test(tc, cli_usage_errors);
    tcase_add_test(tc, cli_malformed_resource_names_it);
    tcase_add_test(tc, cli_exit_statuses);
    tcase_add_test(tc, cli_quiet_and_simulate);
    tcase_add_test(tc, cli_watch_on_nothing_is_bad_bundle);
    tcase_add_test(tc, cli_fuselage_serialised_bundle);
    tcase_add_test(tc, cli_fuselage_zip_assets);
    tcase_add_test(tc, cli_truncated_bundle_offset);
    tcase_add_test(tc, every_type_has_a_provider);
    tcase_add_test(tc, cli_state_dir_for_steps);
    tcase_add_test(tc, cli_cleanup);
    tcase_add_test(tc, cli_fuselage_bundle);
    tcase_add_test(tc, checkout_clone_update_tag);
    tcase_add_test(tc, checkout_head_branch_or_detached);
    tcase_add_test(tc, checkout_bad_repository_fails);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(apply_cli_suite)

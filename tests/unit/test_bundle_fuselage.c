/* test_bundle_fuselage.c -- bundles as fuselage's own serialiser writes them. */
#include "bundle.h"
#include "bundle_fuselage.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static bundle B;
static char msg[1024];

/* Loads json into B; returns "" or the error. */
static const char *load(const char *json)
{
    bundle_free(&B);
    strbuf err = STRBUF_INIT;
    bundle_load(&B, json, strlen(json), &err);
    snprintf(msg, sizeof msg, "%s", err.buf);
    sb_release(&err);
    return msg;
}

static void teardown(void)
{
    bundle_free(&B);
}

static const char *simple(const char *s)
{
    static char buf[256];
    strbuf out = STRBUF_INIT;
    bundle_simple_str(s, strlen(s), &out);
    snprintf(buf, sizeof buf, "%s", out.buf);
    sb_release(&out);
    return buf;
}

/* Expected values are what fuselage's simple_str() gives. */
START_TEST(simple_str_as_fuselage)
{
    ck_assert_str_eq(simple("apt-get update && echo Done."), "apt-get-update-echo-done");
    ck_assert_str_eq(simple("a b; c"), "a-b-c");
    ck_assert_str_eq(simple("  Ls -la /tmp  "), "ls-la-tmp");
    ck_assert_str_eq(simple("--x--"), "-x-");
    ck_assert_str_eq(simple("!!!"), "");
    /* non-ASCII goes before the strip, as fuselage's encode("ascii", "ignore") */
    ck_assert_str_eq(simple("\xe2\x86\x92 ls \xc3\x97"), "ls");
}
END_TEST

/* fuselage names an Execute without a name by its command. */
START_TEST(execute_without_name)
{
    ck_assert_str_eq(load("{\"version\": 1, \"resources\": ["
                          "{\"Execute\": {\"command\": \"apt-get update && echo Done.\"}},"
                          "{\"Execute\": {\"commands\": [\"a b\", \"c\"]}},"
                          "{\"Execute\": {\"command\": \"true\", \"watches\": "
                          "[\"Execute[a-b-c]\", \"apt-get-update-echo-done\"]}}]}"),
                     "");
    ck_assert_str_eq(B.items[0].ident, "Execute[apt-get-update-echo-done]");
    ck_assert_str_eq(B.items[1].ident, "Execute[a-b-c]");
    ck_assert_str_eq(load("[{\"Execute\": {\"command\": \"&&\"}}]"),
                     "resource 1 (Execute): name is required");
}
END_TEST

/* id names the resource, as fuselage's typed_id. */
START_TEST(explicit_id)
{
    ck_assert_str_eq(load("[{\"File\": {\"name\": \"/etc/app.conf\", \"id\": \"conf\"}},"
                          " {\"Execute\": {\"name\": \"r\", \"command\": \"x\", \"watches\": "
                          "[\"File[conf]\", \"conf\"]}}]"),
                     "");
    ck_assert_str_eq(B.items[0].ident, "File[conf]");
}
END_TEST

/* fuselage names a Line FILE:simple_str(match); a watch written that way
 * is taken as the Line's own identity, so the watcher fires. */
START_TEST(watch_on_fuselage_line_id)
{
    ck_assert_str_eq(load("[{\"Line\": {\"name\": \"/etc/app.conf\", \"match\": \"^Port=\","
                          " \"line\": \"Port=8\"}},"
                          " {\"Execute\": {\"name\": \"a\", \"command\": \"x\", \"watches\":"
                          " [\"Line[/etc/app.conf:port]\", \"/etc/app.conf:port\"]}}]"),
                     "");
    const fv *w = fv_get(B.items[1].fields, "watches");
    ck_assert_str_eq(w->items[0]->str, "Line[/etc/app.conf:^Port=]");
    ck_assert_str_eq(w->items[1]->str, "Line[/etc/app.conf:^Port=]");
    ck_assert_str_eq(
        load("[{\"Line\": {\"name\": \"/f\", \"match\": \"^a\", \"line\": \"a\"}},"
             " {\"Execute\": {\"name\": \"a\", \"command\": \"x\", \"watches\":"
             " [\"Line[/f:b]\"]}}]"),
        "resource 2 (Execute): watches \"Line[/f:b]\", which is not an earlier resource");
}
END_TEST

/* Accepted: what has a meaning is honoured, what has none is dropped. */
START_TEST(accepted_fields)
{
    ck_assert_str_eq(load("[{\"Line\": {\"name\": \"/f\", \"match\": \"^pw=\", \"line\": \"pw=x\","
                          " \"sensitive\": true, \"linesep\": \"\\n\"}},"
                          " {\"Package\": {\"name\": \"curl\", \"backend\": \"apt\"}},"
                          " {\"Checkout\": {\"name\": \"/src\", \"repository\": \"/r.git\","
                          " \"scm\": \"git\", \"scm_username\": \"u\", \"scm_password\": \"p\"}},"
                          " {\"Directory\": {\"name\": \"/d\", \"changes\": []}}]"),
                     "");
    ck_assert_ptr_null(fv_get(B.items[0].fields, "linesep"));
    ck_assert(fv_get(B.items[0].fields, "sensitive")->b);
    ck_assert_ptr_null(fv_get(B.items[1].fields, "backend"));
    ck_assert_ptr_null(fv_get(B.items[2].fields, "scm_username"));
    ck_assert_ptr_null(fv_get(B.items[2].fields, "scm_password"));
    ck_assert_ptr_null(fv_get(B.items[3].fields, "changes"));
    /* a sensitive line is redacted in printed bundles */
    strbuf out = STRBUF_INIT;
    ck_assert_int_eq(bundle_res_dump(&B.items[0], &out, BUNDLE_REDACT), 0);
    ck_assert_ptr_null(strstr(out.buf, "pw=x"));
    ck_assert_ptr_nonnull(strstr(out.buf, "<sensitive>"));
    sb_release(&out);
}
END_TEST

/* Refused, each with why. */
START_TEST(refused_fields)
{
    ck_assert_str_eq(
        load("[{\"Line\": {\"name\": \"/f\", \"line\": \"x\", \"linesep\": \"\\r\\n\"}}]"),
        "resource 1 (Line): linesep must be \"\\n\": fuse-apply edits files of lines "
        "ending in \\n");
    ck_assert_str_eq(
        load("[{\"Execute\": {\"name\": \"b\", \"command\": \"x\", \"changes\": [\"/etc/x\"]}}]"),
        "resource 1 (Execute): changes is not supported: give each file as a File resource and "
        "watch that instead");
}
END_TEST

/* Resources fuselage has and fuse does not carry: named, with why. */
START_TEST(types_not_carried)
{
    ck_assert_str_eq(load("[{\"Service\": {\"name\": \"nginx\"}}]"),
                     "resource 1: fuse does not carry fuselage's Service resource (a service "
                     "runs on a live host, not in an image)");
    ck_assert_str_eq(load("[{\"File\": {\"name\": \"/a\"}}, {\"Mount\": {\"name\": \"/m\"}}]"),
                     "resource 2: fuse does not carry fuselage's Mount resource (a mount belongs "
                     "to a running host, not to an image)");
    ck_assert_str_eq(load("{\"Patch\": {\"name\": \"/p\"}}"),
                     "resource 1: fuse does not carry fuselage's Patch resource (not carried "
                     "yet: run patch(1) with Execute)");
    ck_assert_str_eq(load("[{\"Special\": {\"name\": \"/dev/x\"}}]"),
                     "resource 1: fuse does not carry fuselage's Special resource (device nodes "
                     "in a container come from its runtime)");
}
END_TEST

/* Strictness: fuselage's serialiser writes booleans, integers and modes as
 * JSON values and never repeats a key, so fuse-apply keeps refusing the
 * looser forms its parser would take (decided: fuse-resources(7)). */
START_TEST(strict_forms_refused)
{
    ck_assert_str_eq(load("[{\"File\": {\"name\": \"/x\", \"mode\": \"44\"}}]"),
                     "resource 1 (File): mode must be an octal string like \"0644\"\nnot \"44\"");
    ck_assert_str_eq(load("[{\"Directory\": {\"name\": \"/x\", \"parents\": \"true\"}}]"),
                     "resource 1 (Directory): parents must be a boolean, not a string");
    ck_assert_str_eq(load("[{\"User\": {\"name\": \"u\", \"uid\": \"3000\"}}]"),
                     "resource 1 (User): uid must be an integer, not a string");
    ck_assert_str_eq(load("[{\"File\": {\"name\": \"/x\", \"name\": \"/y\"}}]"),
                     "bad bundle JSON: duplicate key \"name\" at byte 31");
    /* what it does write: an Octal as the integer value */
    ck_assert_str_eq(load("[{\"File\": {\"name\": \"/x\", \"mode\": 36}}]"), "");
    ck_assert_str_eq(fv_gets(B.items[0].fields, "mode"), "0044");
}
END_TEST

Suite *bundle_fuselage_suite(void)
{
    Suite *s = suite_create("bundle_fuselage");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, simple_str_as_fuselage);
    tcase_add_test(tc, execute_without_name);
    tcase_add_test(tc, explicit_id);
    tcase_add_test(tc, watch_on_fuselage_line_id);
    tcase_add_test(tc, accepted_fields);
    tcase_add_test(tc, refused_fields);
    tcase_add_test(tc, types_not_carried);
    tcase_add_test(tc, strict_forms_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(bundle_fuselage_suite)

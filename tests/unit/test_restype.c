/* test_restype.c -- the resource type table and its validation messages. */
#include "fvjson.h"
#include "restype.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* The validation message for type/fields, or "" when they are valid. */
static char msg[1024];
static const char *check_fv(const char *type, fv *fields)
{
    const rt_type *t = rt_find(type);
    ck_assert_ptr_nonnull(t);
    strbuf err = STRBUF_INIT;
    int rc = rt_validate(t, fields, &err);
    ck_assert_int_eq(rc, err.len ? -1 : 0);
    snprintf(msg, sizeof msg, "%s", err.buf);
    sb_release(&err);
    fv_free(fields);
    return msg;
}

static const char *check(const char *type, const char *json)
{
    return check_fv(type, test_json(json));
}

START_TEST(test_table)
{
    size_t n = 0;
    while (rt_types[n])
        n++;
    ck_assert_int_eq(n, 9);
    const char *names[] = {"Package", "File",  "Directory", "Link",    "Execute",
                           "User",    "Group", "Line",      "Checkout"};
    for (size_t i = 0; i < 9; i++) {
        ck_assert_str_eq(rt_types[i]->name, names[i]);
        ck_assert_ptr_eq(rt_find(names[i]), rt_types[i]);
        /* policy, watches and secrets close every field list */
        const rt_field *f = rt_types[i]->fields;
        size_t k = 0;
        while (f[k].name)
            k++;
        ck_assert_uint_ge(k, 3);
        ck_assert_str_eq(f[k - 3].name, "policy");
        ck_assert_str_eq(f[k - 2].name, "watches");
        ck_assert_str_eq(f[k - 1].name, "secrets");
        ck_assert_str_eq(f[0].name, "name");
        ck_assert(f[0].flags & RT_REQUIRED);
    }
    ck_assert_ptr_null(rt_find("Service"));
    ck_assert_ptr_null(rt_find("file"));
    ck_assert_ptr_null(rt_field_find(rt_find("File"), "nmae"));
    ck_assert_int_eq(rt_field_find(rt_find("File"), "mode")->kind, RT_MODE);
    ck_assert(rt_field_find(rt_find("File"), "contents")->flags & RT_SENSITIVE);
}
END_TEST

START_TEST(test_valid_minimal)
{
    ck_assert_str_eq(check("Package", "{\"name\": \"python3\"}"), "");
    ck_assert_str_eq(check("File", "{\"name\": \"/index.html\"}"), "");
    ck_assert_str_eq(check("Directory", "{\"name\": \"/srv\"}"), "");
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"to\": \"b\"}"), "");
    ck_assert_str_eq(check("Execute", "{\"name\": \"x\", \"command\": \"true\"}"), "");
    ck_assert_str_eq(check("User", "{\"name\": \"www\"}"), "");
    ck_assert_str_eq(check("Group", "{\"name\": \"www\"}"), "");
    ck_assert_str_eq(check("Line", "{\"name\": \"/etc/x\", \"line\": \"a=b\"}"), "");
    ck_assert_str_eq(check("Checkout", "{\"name\": \"/src\", \"repository\": \"/r.git\"}"), "");
}
END_TEST

START_TEST(test_valid_full)
{
    ck_assert_str_eq(check("Package", "{\"name\": [\"curl\", \"git\"], \"version\": \"1.0\", "
                                      "\"policy\": \"install\"}"),
                     "");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"source\": \"/tmp/x\", \"owner\": 0, "
                                   "\"group\": \"www\", \"mode\": \"644\", \"sensitive\": "
                                   "false, \"policy\": \"apply\", \"watches\": []}"),
                     "");
    ck_assert_str_eq(check("Directory", "{\"name\": \"/d\", \"owner\": \"root\", \"group\": 0, "
                                        "\"mode\": \"0700\", \"parents\": true, \"policy\": "
                                        "\"apply\"}"),
                     "");
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"to\": \"/b\", \"owner\": 1, \"group\": "
                                   "2, \"policy\": \"apply\", \"id\": \"a\"}"),
                     "");
    ck_assert_str_eq(check("Execute",
                           "{\"name\": \"x\", \"commands\": [\"a\", \"b\"], \"cwd\": \"/\", "
                           "\"environment\": {\"A\": \"1\"}, \"returncode\": 3, \"user\": \"u\", "
                           "\"group\": 5, \"umask\": \"022\", \"unless\": \"test -e /x\", "
                           "\"creates\": \"/x\", \"touch\": \"/y\", \"policy\": \"execute\", "
                           "\"watches\": [\"File[/x]\"]}"),
                     "");
    ck_assert_str_eq(
        check("User", "{\"name\": \"u\", \"fullname\": \"U U\", \"home\": \"/home/u\", \"uid\": "
                      "1000, \"gid\": 1000, \"group\": \"g\", \"groups\": [\"a\", \"b\"], "
                      "\"append\": true, \"system\": false, \"shell\": \"/bin/sh\", \"password\": "
                      "\"x\", \"disabled_password\": true, \"disabled_login\": false, \"policy\": "
                      "\"remove\"}"),
        "");
    ck_assert_str_eq(check("Group", "{\"name\": \"g\", \"gid\": 10, \"system\": true, "
                                    "\"password\": \"p\", \"policy\": \"apply\"}"),
                     "");
    ck_assert_str_eq(check("Line", "{\"name\": \"/f\", \"match\": \"^a=.*$\", \"policy\": "
                                   "\"remove\"}"),
                     "");
    ck_assert_str_eq(check("Checkout", "{\"name\": \"/s\", \"repository\": \"r\", \"branch\": "
                                       "\"main\", \"tag\": \"v1\", \"revision\": \"abc\", \"scm\": "
                                       "\"git\", \"user\": \"u\", \"group\": 1, \"mode\": "
                                       "\"0755\", \"policy\": \"sync\"}"),
                     "");
}
END_TEST

/* A secret's name is a file name under /run/secrets, listed once. */
START_TEST(test_secrets_field)
{
    ck_assert_str_eq(
        check("Execute",
              "{\"name\": \"x\", \"command\": \"true\", \"secrets\": [\"tok\", \"a.b-c_1\"]}"),
        "");
    ck_assert_str_eq(
        check("Execute",
              "{\"name\": \"x\", \"command\": \"true\", \"secrets\": [\"../etc/passwd\"]}"),
        "Execute: secrets: \"../etc/passwd\" is not a secret's name (letters, digits, "
        "_ . -)");
    ck_assert_str_eq(
        check("Execute", "{\"name\": \"x\", \"command\": \"true\", \"secrets\": [\"t\", \"t\"]}"),
        "Execute: secrets: t is listed twice");
}
END_TEST

START_TEST(test_unknown_field)
{
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"nmae\": \"/y\"}"),
                     "File: unknown field \"nmae\"\n"
                     "accepted: name, contents, source, owner, group, mode, sensitive, from, id, "
                     "layer, policy, watches, secrets");
    ck_assert_str_eq(check("Package", "{\"name\": \"x\", \"changes\": []}"),
                     "Package: unknown field \"changes\"\n"
                     "accepted: name, version, purge, id, layer, policy, watches, secrets");
}
END_TEST

START_TEST(test_required)
{
    ck_assert_str_eq(check("File", "{\"mode\": \"0644\"}"), "File: name is required");
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\"}"), "Link: to is required");
    ck_assert_str_eq(check("Checkout", "{\"name\": \"/a\"}"), "Checkout: repository is required");
    /* An empty Lua table may arrive as an empty list. */
    ck_assert_str_eq(check("File", "[]"), "File: name is required");
    ck_assert_str_eq(check("File", "{}"), "File: name is required");
    ck_assert_str_eq(check("File", "{\"name\": null}"), "File: name is required");
    ck_assert_str_eq(check("File", "\"x\""), "File: fields must be a table, not a string");
    ck_assert_str_eq(check("Package", "{\"name\": \"\"}"), "Package: name must not be empty");
    ck_assert_str_eq(check("Package", "{\"name\": []}"), "Package: name must not be empty");
    ck_assert_str_eq(check("File", "{\"name\": \"\"}"), "File: name must not be empty");
    ck_assert_str_eq(check("Execute", "{\"name\": \"\", \"command\": \"x\"}"),
                     "Execute: name must not be empty");
}
END_TEST

START_TEST(test_wrong_kinds)
{
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"owner\": true}"),
                     "File: owner must be a string or an integer, not a boolean");
    ck_assert_str_eq(check("File", "{\"name\": 3}"),
                     "File: name must be an absolute path, not a number");
    ck_assert_str_eq(check("Package", "{\"name\": {\"a\": \"b\"}}"),
                     "Package: name must be a string or a list of strings, not a table");
    ck_assert_str_eq(check("Package", "{\"name\": [\"a\", 2]}"),
                     "Package: name[2] must be a string, not a number");
    ck_assert_str_eq(check("Package", "{\"name\": \"a\", \"version\": 2}"),
                     "Package: version must be a string, not a number");
    ck_assert_str_eq(check("Package", "{\"name\": \"a\", \"purge\": \"yes\"}"),
                     "Package: purge must be a boolean, not a string");
    ck_assert_str_eq(check("User", "{\"name\": \"a\", \"uid\": \"1000\"}"),
                     "User: uid must be an integer, not a string");
    ck_assert_str_eq(check("User", "{\"name\": \"a\", \"uid\": 1.5}"),
                     "User: uid must be an integer, not 1.5");
    ck_assert_str_eq(check("User", "{\"name\": \"a\", \"groups\": \"wheel\"}"),
                     "User: groups must be a list of strings, not a string");
    ck_assert_str_eq(check("Execute", "{\"name\": \"a\", \"commands\": [\"a\", true]}"),
                     "Execute: commands[2] must be a string, not a boolean");
    ck_assert_str_eq(check("Execute", "{\"name\": \"a\", \"command\": \"x\", \"environment\": "
                                      "[\"A\"]}"),
                     "Execute: environment must be a table of strings, not a list");
    ck_assert_str_eq(check("Execute", "{\"name\": \"a\", \"command\": \"x\", \"environment\": "
                                      "{\"PORT\": 80}}"),
                     "Execute: environment.PORT must be a string, not a number");
    ck_assert_str_eq(check("Execute", "{\"name\": \"a\", \"command\": \"x\", \"environment\": "
                                      "{\"A=B\": \"1\"}}"),
                     "Execute: environment has a bad key \"A=B\"");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"watches\": \"File[/y]\"}"),
                     "File: watches must be a list of strings, not a string");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"owner\": -1}"),
                     "File: owner must be a name or an id (0 or more), not -1");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"owner\": \"\"}"),
                     "File: owner must not be empty");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"policy\": 1}"),
                     "File: policy must be a string, not a number");
    /* empty tables are fine where lists or maps are expected */
    ck_assert_str_eq(check("User", "{\"name\": \"a\", \"groups\": {}}"), "");
    ck_assert_str_eq(check("Execute", "{\"name\": \"a\", \"command\": \"x\", \"environment\": "
                                      "[]}"),
                     "");
}
END_TEST

START_TEST(test_mode)
{
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": 644}"),
                     "File: mode must be an octal string like \"0644\"\n"
                     "Lua has no octal literals: 0644 is the number 644; write mode = \"0644\"");
    ck_assert_str_eq(check("Execute", "{\"name\": \"x\", \"command\": \"x\", \"umask\": 22}"),
                     "Execute: umask must be an octal string like \"0644\"\n"
                     "Lua has no octal literals: 022 is the number 22; write umask = \"022\"");
    ck_assert_str_eq(
        check("File", "{\"name\": \"/x\", \"mode\": 999}"),
        "File: mode must be an octal string like \"0644\"\n"
        "mode is a number; write it as a string of octal digits, like mode = \"0644\"");
    ck_assert_str_eq(
        check("File", "{\"name\": \"/x\", \"mode\": 0}"),
        "File: mode must be an octal string like \"0644\"\n"
        "mode is a number; write it as a string of octal digits, like mode = \"0644\"");
    const char *bad[] = {"\"0999\"", "\"64\"", "\"12345\"", "\"rw-r--r--\"", "\"\""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"name\": \"/x\", \"mode\": %s}", bad[i]);
        const char *m = check("File", json);
        ck_assert_msg(strncmp(m, "File: mode must be an octal string like \"0644\"\n", 47) == 0,
                      "%s gave %s", bad[i], m);
    }
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": \"0999\"}"),
                     "File: mode must be an octal string like \"0644\"\nnot \"0999\"");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": true}"),
                     "File: mode must be an octal string, not a boolean");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": \"0644\"}"), "");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": \"4755\"}"), "");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": \"600\"}"), "");
}
END_TEST

START_TEST(test_paths)
{
    ck_assert_str_eq(check("File", "{\"name\": \"etc/x\"}"),
                     "File: name must be an absolute path, not \"etc/x\"");
    ck_assert_str_eq(check("Execute", "{\"name\": \"x\", \"command\": \"y\", \"cwd\": \"tmp\"}"),
                     "Execute: cwd must be an absolute path, not \"tmp\"");
    /* quoted values stay one line */
    ck_assert_str_eq(check("File", "{\"name\": \"a\\n\\\"b\"}"),
                     "File: name must be an absolute path, not \"a\\x0a\\\"b\"");
    /* Link.to may be relative */
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"to\": \"../b\"}"), "");
}
END_TEST

START_TEST(test_nul)
{
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/x"));
    fv_set(f, "owner", fv_str("ro\0ot", 5));
    ck_assert_str_eq(check_fv("File", f), "File: owner must not contain a NUL byte");
    f = fv_map();
    fv_set(f, "name", fv_str("/x\0y", 4));
    ck_assert_str_eq(check_fv("File", f), "File: name must not contain a NUL byte");
    f = fv_map();
    fv_set(f, "name", fv_strz("/x"));
    fv_set(f, "contents", fv_str("\0\xff\x01", 3));
    ck_assert_str_eq(check_fv("File", f), "");
    /* an empty file is fine */
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"contents\": \"\"}"), "");
}
END_TEST

START_TEST(test_cross_field)
{
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"contents\": \"a\", \"source\": \"b\"}"),
                     "File: give contents or source, not both");
    ck_assert_str_eq(check("Execute", "{\"name\": \"x\"}"), "Execute: give command or commands");
    ck_assert_str_eq(check("Execute", "{\"name\": \"x\", \"command\": \"a\", \"commands\": "
                                      "[\"b\"]}"),
                     "Execute: give command or commands, not both");
    ck_assert_str_eq(check("Line", "{\"name\": \"/x\"}"), "Line: policy apply needs line");
    ck_assert_str_eq(check("Line", "{\"name\": \"/x\", \"policy\": \"remove\", \"match\": "
                                   "\"^x\"}"),
                     "");
    const char *m = check("Line", "{\"name\": \"/x\", \"line\": \"a\", \"match\": \"(a\"}");
    const char *want = "Line: match is not a valid extended regular expression: ";
    ck_assert_msg(strncmp(m, want, strlen(want)) == 0 && strlen(m) > strlen(want), "got %s", m);
    ck_assert_ptr_null(strchr(m, '\n'));
    ck_assert_str_eq(check("Checkout", "{\"name\": \"/s\", \"repository\": \"r\", \"scm\": "
                                       "\"svn\"}"),
                     "Checkout: scm must be \"git\", not \"svn\"");
}
END_TEST

START_TEST(test_policy)
{
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"policy\": \"delete\"}"),
                     "File: unknown policy \"delete\" (accepted: apply, remove)");
    ck_assert_str_eq(check("Directory", "{\"name\": \"/x\", \"policy\": \"sync\"}"),
                     "Directory: unknown policy \"sync\" (accepted: apply, remove, "
                     "remove-recursive)");
    const rt_type *file = rt_find("File");
    fv *f = test_json("{\"name\": \"/x\"}");
    ck_assert_str_eq(rt_policy(file, f), "apply");
    fv_set(f, "policy", fv_strz("remove"));
    ck_assert_str_eq(rt_policy(file, f), "remove");
    fv_free(f);
    ck_assert_str_eq(rt_default(rt_find("Package"), "policy"), "install");
    ck_assert_str_eq(rt_default(rt_find("Checkout"), "policy"), "sync");
    ck_assert_str_eq(rt_default(rt_find("Execute"), "policy"), "execute");
}
END_TEST

START_TEST(test_defaults)
{
    ck_assert_str_eq(rt_default(rt_find("Directory"), "mode"), "0755");
    ck_assert_str_eq(rt_default(rt_find("Execute"), "returncode"), "0");
    ck_assert_str_eq(rt_default(rt_find("Checkout"), "scm"), "git");
    ck_assert_ptr_null(rt_default(rt_find("File"), "mode"));
    ck_assert_ptr_null(rt_default(rt_find("File"), "nope"));
}
END_TEST

START_TEST(test_ident)
{
    strbuf sb = STRBUF_INIT;
    fv *f = test_json("{\"name\": \"/index.html\"}");
    rt_ident(rt_find("File"), f, &sb);
    ck_assert_str_eq(sb.buf, "File[/index.html]");
    fv_free(f);
    sb_reset(&sb);
    f = test_json("{\"name\": \"python3\"}");
    rt_ident(rt_find("Package"), f, &sb);
    ck_assert_str_eq(sb.buf, "Package[python3]");
    fv_free(f);
    sb_reset(&sb);
    f = test_json("{\"name\": [\"curl\", \"git\"]}");
    rt_ident(rt_find("Package"), f, &sb);
    ck_assert_str_eq(sb.buf, "Package[curl,git]");
    sb_reset(&sb);
    rt_name(rt_find("Package"), f, &sb);
    ck_assert_str_eq(sb.buf, "curl,git");
    fv_free(f);
    sb_reset(&sb);
    /* A newline in a name must not split a message or a progress line. */
    f = test_json("{\"name\": \"/a\\nb\\u007f\"}");
    rt_ident(rt_find("File"), f, &sb);
    ck_assert_str_eq(sb.buf, "File[/a\\x0ab\\x7f]");
    fv_free(f);
    sb_release(&sb);
}
END_TEST

/* Link: to is needed to make a link, and fuselage forbids it for remove. */
START_TEST(test_link_remove_needs_no_to)
{
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"policy\": \"remove\"}"), "");
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\"}"), "Link: to is required");
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"policy\": \"apply\"}"),
                     "Link: to is required");
}
END_TEST

/* What fuselage's remove policies forbid is an error naming field and policy. */
START_TEST(test_remove_forbids_fields)
{
    ck_assert_str_eq(check("Link", "{\"name\": \"/a\", \"to\": \"/b\", \"policy\": \"remove\"}"),
                     "Link: policy remove takes no to (it would be ignored)");
    ck_assert_str_eq(
        check("File", "{\"name\": \"/x\", \"mode\": \"0644\", \"policy\": \"remove\"}"),
        "File: policy remove takes no mode (it would be ignored)");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"owner\": 0, \"policy\": \"remove\"}"),
                     "File: policy remove takes no owner (it would be ignored)");
    ck_assert_str_eq(check("Directory", "{\"name\": \"/d\", \"group\": \"g\", \"policy\": "
                                        "\"remove-recursive\"}"),
                     "Directory: policy remove-recursive takes no group (it would be ignored)");
    ck_assert_str_eq(check("Group", "{\"name\": \"g\", \"gid\": 5, \"policy\": \"remove\"}"),
                     "Group: policy remove takes no gid (it would be ignored)");
    ck_assert_str_eq(
        check("Package", "{\"name\": \"x\", \"version\": \"1\", \"policy\": \"uninstall\"}"),
        "Package: policy uninstall takes no version (it would be ignored)");
    /* what removing does use stays accepted */
    ck_assert_str_eq(
        check("Package", "{\"name\": \"x\", \"purge\": true, \"policy\": \"uninstall\"}"), "");
    ck_assert_str_eq(check("File", "{\"name\": \"/x\", \"mode\": null, \"policy\": \"remove\"}"),
                     "");
}
END_TEST

static const char *ident(const char *type, const char *json)
{
    static char buf[256];
    strbuf sb = STRBUF_INIT;
    fv *f = test_json(json);
    rt_ident(rt_find(type), f, &sb);
    snprintf(buf, sizeof buf, "%s", sb.buf);
    sb_release(&sb);
    fv_free(f);
    return buf;
}

/* A Line is named by file and match, so several Lines may edit one file. */
START_TEST(test_ident_line_and_id)
{
    ck_assert_str_eq(ident("Line", "{\"name\": \"/etc/app.conf\", \"match\": \"^port=\", "
                                   "\"line\": \"port=80\"}"),
                     "Line[/etc/app.conf:^port=]");
    ck_assert_str_eq(ident("Line", "{\"name\": \"/f\", \"line\": \"a\"}"), "Line[/f]");
    ck_assert_str_eq(ident("Line", "{\"name\": \"/f\", \"match\": \"a\\tb\"}"), "Line[/f:a\\x09b]");
    /* match means nothing in another type's identity */
    ck_assert_str_eq(ident("File", "{\"name\": \"/f\", \"match\": \"x\"}"), "File[/f]");
    /* fuselage's id replaces the name */
    ck_assert_str_eq(ident("File", "{\"name\": \"/etc/x\", \"id\": \"conf\"}"), "File[conf]");
    ck_assert_str_eq(ident("Line", "{\"name\": \"/f\", \"match\": \"a\", \"id\": \"l\"}"),
                     "Line[l]");
}
END_TEST

/* Line.sensitive keeps the line out of every printed form. */
START_TEST(test_line_sensitive)
{
    ck_assert_str_eq(check("Line", "{\"name\": \"/f\", \"line\": \"pw=x\", \"sensitive\": true}"),
                     "");
    ck_assert(rt_field_find(rt_find("Line"), "line")->flags & RT_SENSITIVE);
}
END_TEST

START_TEST(test_kind_names)
{
    ck_assert_str_eq(rt_kind_name(RT_STR), "a string");
    ck_assert_str_eq(rt_kind_name(RT_PATH), "an absolute path");
    ck_assert_str_eq(rt_kind_name(RT_STRS), "a string or a list of strings");
    ck_assert_str_eq(rt_kind_name(RT_LIST), "a list of strings");
    ck_assert_str_eq(rt_kind_name(RT_MAP), "a table of strings");
    ck_assert_str_eq(rt_kind_name(RT_BOOL), "a boolean");
    ck_assert_str_eq(rt_kind_name(RT_INT), "an integer");
    ck_assert_str_eq(rt_kind_name(RT_ID), "a string or an integer");
    ck_assert_str_eq(rt_kind_name(RT_MODE), "an octal string");
    strbuf sb = STRBUF_INIT;
    char longs[100];
    memset(longs, 'a', sizeof longs);
    rt_quote(&sb, longs, sizeof longs);
    ck_assert_uint_eq(sb.len, 1 + 60 + 3 + 1);
    ck_assert_str_eq(sb.buf + 61, "...\"");
    sb_release(&sb);
}
END_TEST

Suite *restype_suite(void)
{
    Suite *s = suite_create("restype");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_valid_minimal);
    tcase_add_test(tc, test_valid_full);
    tcase_add_test(tc, test_unknown_field);
    tcase_add_test(tc, test_secrets_field);
    tcase_add_test(tc, test_required);
    tcase_add_test(tc, test_wrong_kinds);
    tcase_add_test(tc, test_mode);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_nul);
    tcase_add_test(tc, test_cross_field);
    tcase_add_test(tc, test_policy);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_ident);
    tcase_add_test(tc, test_link_remove_needs_no_to);
    tcase_add_test(tc, test_remove_forbids_fields);
    tcase_add_test(tc, test_ident_line_and_id);
    tcase_add_test(tc, test_line_sensitive);
    tcase_add_test(tc, test_kind_names);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(restype_suite)

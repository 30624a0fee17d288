/* test_bundle.c -- adding, dumping and loading bundles. */
#include "bundle.h"
#include "fvjson.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static char out[8192];

/* Adds a resource that must be accepted. */
static void add_ok(bundle *b, const char *type, const char *json, const char *where)
{
    strbuf err = STRBUF_INIT;
    int rc = bundle_add(b, rt_find(type), test_json(json), where, &err);
    ck_assert_msg(rc == 0, "%s %s rejected: %s", type, json, err.buf);
    sb_release(&err);
}

/* The error of adding a resource that must be refused. */
static const char *add_err(bundle *b, const char *type, const char *json)
{
    strbuf err = STRBUF_INIT;
    fv *f = test_json(json);
    size_t n = b->n;
    ck_assert_int_eq(bundle_add(b, rt_find(type), f, "fusefile.lua:9", &err), -1);
    ck_assert_uint_eq(b->n, n);
    fv_free(f); /* still ours after a refusal */
    snprintf(out, sizeof out, "%s", err.buf);
    sb_release(&err);
    return out;
}

static const char *dump(const bundle *b, unsigned flags)
{
    strbuf sb = STRBUF_INIT;
    ck_assert_int_eq(bundle_dump(b, &sb, flags), 0);
    snprintf(out, sizeof out, "%s", sb.buf);
    sb_release(&sb);
    return out;
}

static const char *load_err(const char *json)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(bundle_load(&b, json, strlen(json), &err), -1);
    snprintf(out, sizeof out, "%s", err.buf);
    sb_release(&err);
    bundle_free(&b);
    return out;
}

START_TEST(test_add_and_dump)
{
    bundle b;
    bundle_init(&b);
    ck_assert_str_eq(dump(&b, 0), "{\"version\":1,\"resources\":[]}");
    /* fields come out in table order, policy and watches last */
    add_ok(&b, "File",
           "{\"policy\": \"apply\", \"mode\": \"0644\", \"contents\": \"HELLO WORLD!\", "
           "\"name\": \"/index.html\"}",
           "fusefile.lua:3");
    add_ok(&b, "Package", "{\"name\": [\"curl\", \"git\"]}", NULL);
    add_ok(&b, "Execute",
           "{\"watches\": [\"File[/index.html]\"], \"command\": \"true\", \"name\": \"restart\"}",
           "fusefile.lua:5");
    ck_assert_uint_eq(b.n, 3);
    ck_assert_str_eq(b.items[0].where, "fusefile.lua:3");
    ck_assert_ptr_null(b.items[1].where);
    ck_assert_str_eq(b.items[1].ident, "Package[curl,git]");
    ck_assert_str_eq(dump(&b, 0),
                     "{\"version\":1,\"resources\":["
                     "{\"File\":{\"name\":\"/index.html\",\"contents\":\"HELLO WORLD!\","
                     "\"mode\":\"0644\",\"policy\":\"apply\"}},"
                     "{\"Package\":{\"name\":[\"curl\",\"git\"]}},"
                     "{\"Execute\":{\"name\":\"restart\",\"command\":\"true\","
                     "\"watches\":[\"File[/index.html]\"]}}]}");
    strbuf sb = STRBUF_INIT;
    ck_assert_int_eq(bundle_res_dump(&b.items[1], &sb, 0), 0);
    ck_assert_str_eq(sb.buf, "{\"Package\":{\"name\":[\"curl\",\"git\"]}}");
    sb_reset(&sb);
    ck_assert_int_eq(bundle_res_dump(&b.items[1], &sb, BUNDLE_PRETTY), 0);
    ck_assert_str_eq(sb.buf, "{\n  \"Package\": {\n    \"name\": [\n      \"curl\",\n"
                             "      \"git\"\n    ]\n  }\n}\n");
    sb_release(&sb);
    bundle_free(&b);
    ck_assert_uint_eq(b.n, 0);
}
END_TEST

START_TEST(test_add_invalid)
{
    bundle b;
    bundle_init(&b);
    ck_assert_str_eq(add_err(&b, "File", "{\"name\": \"/x\", \"mode\": 644}"),
                     "File: mode must be an octal string like \"0644\"\n"
                     "Lua has no octal literals: 0644 is the number 644; write mode = \"0644\"");
    bundle_free(&b);
}
END_TEST

START_TEST(test_duplicates)
{
    bundle b;
    bundle_init(&b);
    add_ok(&b, "File", "{\"name\": \"/index.html\"}", "fusefile.lua:3");
    ck_assert_str_eq(add_err(&b, "File", "{\"name\": \"/index.html\", \"contents\": \"x\"}"),
                     "duplicate resource File[/index.html]\nfirst defined at fusefile.lua:3");
    /* the same name under another type is another resource */
    add_ok(&b, "Directory", "{\"name\": \"/index.html\"}", NULL);
    ck_assert_str_eq(add_err(&b, "Directory", "{\"name\": \"/index.html\"}"),
                     "duplicate resource Directory[/index.html]");
    add_ok(&b, "Package", "{\"name\": [\"curl\", \"git\"]}", NULL);
    ck_assert_str_eq(add_err(&b, "Package", "{\"name\": \"curl,git\"}"),
                     "duplicate resource Package[curl,git]");
    bundle_free(&b);
}
END_TEST

START_TEST(test_watches)
{
    bundle b;
    bundle_init(&b);
    ck_assert_str_eq(add_err(&b, "Execute",
                             "{\"name\": \"restart\", \"command\": \"x\", \"watches\": "
                             "[\"File[/x]\"]}"),
                     "Execute[restart]: watches \"File[/x]\", which is not an earlier resource");
    add_ok(&b, "File", "{\"name\": \"/x\"}", NULL);
    add_ok(&b, "Execute", "{\"name\": \"a\", \"command\": \"x\", \"watches\": [\"File[/x]\"]}",
           NULL);
    add_ok(&b, "Execute", "{\"name\": \"b\", \"command\": \"x\", \"watches\": [\"/x\", \"a\"]}",
           NULL);
    ck_assert_str_eq(add_err(&b, "Execute",
                             "{\"name\": \"c\", \"command\": \"x\", \"watches\": [\"/x\", \"c\"]}"),
                     "Execute[c]: watches \"c\", which is not an earlier resource");
    ck_assert_str_eq(add_err(&b, "Execute",
                             "{\"name\": \"c\", \"command\": \"x\", \"watches\": [\"Directory[/x]"
                             "\"]}"),
                     "Execute[c]: watches \"Directory[/x]\", which is not an earlier resource");
    bundle_free(&b);
}
END_TEST

START_TEST(test_find)
{
    bundle b;
    bundle_init(&b);
    add_ok(&b, "Package", "{\"name\": \"nginx\"}", NULL);
    add_ok(&b, "File", "{\"name\": \"/x\"}", NULL);
    add_ok(&b, "Directory", "{\"name\": \"/x\"}", NULL);
    ck_assert_int_eq(bundle_find(&b, "File[/x]"), 1);
    ck_assert_int_eq(bundle_find(&b, "Directory[/x]"), 2);
    ck_assert_int_eq(bundle_find(&b, "/x"), 1);
    ck_assert_int_eq(bundle_find(&b, "nginx"), 0);
    ck_assert_int_eq(bundle_find(&b, "Package[nginx]"), 0);
    ck_assert_int_eq(bundle_find(&b, "File[/y]"), -1);
    ck_assert_int_eq(bundle_find(&b, "/"), -1);
    ck_assert_int_eq(bundle_find(&b, ""), -1);
    bundle_free(&b);
}
END_TEST

START_TEST(test_redact)
{
    bundle b;
    bundle_init(&b);
    add_ok(&b, "File", "{\"name\": \"/secret\", \"contents\": \"hunter2\", \"sensitive\": true}",
           NULL);
    add_ok(&b, "File", "{\"name\": \"/public\", \"contents\": \"hello\", \"sensitive\": false}",
           NULL);
    const char *red = dump(&b, BUNDLE_REDACT);
    ck_assert_ptr_null(strstr(red, "hunter2"));
    ck_assert_str_eq(red, "{\"version\":1,\"resources\":["
                          "{\"File\":{\"name\":\"/secret\",\"contents\":\"<sensitive>\","
                          "\"sensitive\":true}},"
                          "{\"File\":{\"name\":\"/public\",\"contents\":\"hello\","
                          "\"sensitive\":false}}]}");
    ck_assert_ptr_nonnull(strstr(dump(&b, 0), "\"contents\":\"hunter2\""));
    strbuf sb = STRBUF_INIT;
    ck_assert_int_eq(bundle_res_dump(&b.items[0], &sb, BUNDLE_REDACT), 0);
    ck_assert_ptr_null(strstr(sb.buf, "hunter2"));
    sb_release(&sb);
    /* the bundle itself still holds the real contents */
    ck_assert_str_eq(fv_gets(b.items[0].fields, "contents"), "hunter2");
    bundle_free(&b);
}
END_TEST

START_TEST(test_round_trip_binary)
{
    bundle b, c;
    bundle_init(&b);
    bundle_init(&c);
    static const char bin[] = "\x7f"
                              "ELF\0\0\xff\xfe\n";
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/bin/x"));
    fv_set(f, "contents", fv_str(bin, sizeof bin - 1));
    fv_set(f, "mode", fv_strz("0755"));
    strbuf err = STRBUF_INIT, j1 = STRBUF_INIT, j2 = STRBUF_INIT;
    ck_assert_int_eq(bundle_add(&b, rt_find("File"), f, NULL, &err), 0);
    add_ok(&b, "Execute",
           "{\"name\": \"e\", \"commands\": [\"a\", \"b\"], \"environment\": {\"Z\": \"1\", "
           "\"A\": \"2\"}, \"watches\": [\"File[/bin/x]\"]}",
           NULL);
    ck_assert_int_eq(bundle_dump(&b, &j1, BUNDLE_PRETTY), 0);
    ck_assert_int_eq(bundle_load(&c, j1.buf, j1.len, &err), 0);
    ck_assert_uint_eq(c.n, 2);
    const fv *got = fv_get(c.items[0].fields, "contents");
    ck_assert_uint_eq(got->len, sizeof bin - 1);
    ck_assert_mem_eq(got->str, bin, sizeof bin - 1);
    ck_assert(fv_equal(b.items[1].fields, c.items[1].fields));
    ck_assert_int_eq(bundle_dump(&c, &j2, BUNDLE_PRETTY), 0);
    ck_assert_str_eq(j1.buf, j2.buf);
    sb_release(&err);
    sb_release(&j1);
    sb_release(&j2);
    bundle_free(&b);
    bundle_free(&c);
}
END_TEST

/* A bundle as fuselage writes it: version first, fields in its own order,
 * defaults omitted, watches naming resources by identity. */
static const char fuselage_bundle[] =
    "{\"version\": 1, \"resources\": ["
    "{\"Package\": {\"name\": \"apache2\"}}, "
    "{\"Directory\": {\"mode\": \"755\", \"name\": \"/var/www\", \"owner\": \"www-data\"}}, "
    "{\"File\": {\"name\": \"/var/www/index.html\", \"contents\": \"HELLO WORLD!\"}}, "
    "{\"Line\": {\"name\": \"/etc/hosts\", \"line\": \"127.0.0.1 web\"}}, "
    "{\"Execute\": {\"command\": \"apache2ctl graceful\", \"name\": \"restart\", "
    "\"watches\": [\"File[/var/www/index.html]\"]}}]}";

START_TEST(test_load_fuselage)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(bundle_load(&b, fuselage_bundle, strlen(fuselage_bundle), &err), 0);
    ck_assert_uint_eq(b.n, 5);
    ck_assert_ptr_eq(b.items[0].type, rt_find("Package"));
    ck_assert_ptr_eq(b.items[4].type, rt_find("Execute"));
    ck_assert_str_eq(b.items[1].ident, "Directory[/var/www]");
    ck_assert_str_eq(fv_gets(b.items[2].fields, "contents"), "HELLO WORLD!");
    ck_assert_ptr_null(b.items[0].where);
    ck_assert_str_eq(rt_policy(b.items[3].type, b.items[3].fields), "apply");
    sb_release(&err);
    bundle_free(&b);
}
END_TEST

START_TEST(test_load_fuselage_quirks)
{
    /* fuselage writes Octal arguments as integers, Execute's environment as
     * "env", and an unset policy as null */
    const char *json = "{\"version\": 1, \"resources\": ["
                       "{\"File\": {\"name\": \"/x\", \"owner\": \"root\", \"mode\": 420, "
                       "\"policy\": null}}, "
                       "{\"Execute\": {\"name\": \"e\", \"command\": \"env\", \"umask\": 18, "
                       "\"env\": {\"FOO\": \"bar\"}}}]}";
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    ck_assert_msg(bundle_load(&b, json, strlen(json), &err) == 0, "%s", err.buf);
    ck_assert_str_eq(fv_gets(b.items[0].fields, "mode"), "0644");
    ck_assert_ptr_null(fv_get(b.items[0].fields, "policy"));
    ck_assert_str_eq(rt_policy(b.items[0].type, b.items[0].fields), "apply");
    ck_assert_str_eq(fv_gets(b.items[1].fields, "umask"), "0022");
    ck_assert_str_eq(fv_gets(fv_get(b.items[1].fields, "environment"), "FOO"), "bar");
    ck_assert_ptr_null(fv_get(b.items[1].fields, "env"));
    sb_release(&err);
    bundle_free(&b);
    ck_assert_str_eq(load_err("[{\"File\": {\"name\": \"/x\", \"mode\": 4096}}]"),
                     "resource 1 (File): mode must be an octal string like \"0644\"\n"
                     "mode is a number; write it as a string of octal digits, like mode = "
                     "\"0644\"");
}
END_TEST

START_TEST(test_load_forms)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    /* a bare list */
    const char *list = "[{\"File\": {\"name\": \"/a\"}}, {\"File\": {\"name\": \"/b\"}}]";
    ck_assert_int_eq(bundle_load(&b, list, strlen(list), &err), 0);
    ck_assert_uint_eq(b.n, 2);
    bundle_free(&b);
    /* one resource */
    const char *one = "{\"Group\": {\"name\": \"www\", \"gid\": 33}}";
    ck_assert_int_eq(bundle_load(&b, one, strlen(one), &err), 0);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.items[0].ident, "Group[www]");
    bundle_free(&b);
    /* no version; fuselage's several instances under one type; nulls are absent */
    const char *many = "{\"resources\": [{\"File\": [{\"name\": \"/a\"}, {\"name\": \"/b\", "
                       "\"mode\": null}]}, {\"File\": {\"name\": \"/c\"}}]}";
    ck_assert_int_eq(bundle_load(&b, many, strlen(many), &err), 0);
    ck_assert_uint_eq(b.n, 3);
    ck_assert_str_eq(b.items[1].ident, "File[/b]");
    ck_assert_ptr_null(fv_get(b.items[1].fields, "mode"));
    ck_assert_str_eq(b.items[2].ident, "File[/c]");
    bundle_free(&b);
    /* one resource per build step: what it watches came in an earlier step */
    const char *step = "{\"Execute\": {\"name\": \"r\", \"command\": \"x\", \"watches\": "
                       "[\"File[/elsewhere]\"]}}";
    ck_assert_int_eq(bundle_load_ext(&b, step, strlen(step), BUNDLE_WATCH_ELSEWHERE, &err), 0);
    ck_assert_uint_eq(b.n, 1);
    bundle_free(&b);
    ck_assert_uint_eq(err.len, 0);
    sb_release(&err);
}
END_TEST

/* A watch on a later resource fired one run late, one on nothing never:
 * both are errors, as in fuselage; only a step bundle may name another step's. */
START_TEST(test_load_watches)
{
    const char *later = "[{\"Execute\": {\"name\": \"hook\", \"command\": \"x\", \"watches\": "
                        "[\"File[/srv/conf]\"]}}, {\"File\": {\"name\": \"/srv/conf\"}}]";
    ck_assert_str_eq(load_err(later), "resource 1 (Execute): watches \"File[/srv/conf]\", which "
                                      "comes later in the bundle (a watched resource must come "
                                      "first)");
    const char *none = "[{\"File\": {\"name\": \"/a\"}}, {\"Execute\": {\"name\": \"hook\", "
                       "\"command\": \"x\", \"watches\": [\"/a\", \"File[/b]\"]}}]";
    ck_assert_str_eq(
        load_err(none),
        "resource 2 (Execute): watches \"File[/b]\", which is not an earlier resource");
    const char *self = "{\"Execute\": {\"name\": \"h\", \"command\": \"x\", \"watches\": [\"h\"]}}";
    ck_assert_str_eq(load_err(self), "resource 1 (Execute): watches \"h\", which is itself");
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(bundle_load_ext(&b, later, strlen(later), BUNDLE_WATCH_ELSEWHERE, &err), -1);
    bundle_free(&b);
    const char *ok = "[{\"File\": {\"name\": \"/a\"}}, {\"Execute\": {\"name\": \"hook\", "
                     "\"command\": \"x\", \"watches\": [\"/a\"]}}]";
    ck_assert_int_eq(bundle_load(&b, ok, strlen(ok), &err), 0);
    bundle_free(&b);
    sb_release(&err);
}
END_TEST

START_TEST(test_load_errors)
{
    ck_assert_str_eq(load_err("[{\"File\": {\"name\": \"/a\"}}, {\"File\": {\"name\": \"/b\"}}, "
                              "{\"File\": {\"name\": \"/c\", \"mode\": \"abc\"}}]"),
                     "resource 3 (File): mode must be an octal string like \"0644\"\n"
                     "not \"abc\"");
    ck_assert_str_eq(load_err("[{\"File\": [{\"name\": \"/a\"}, {\"name\": \"b\"}]}]"),
                     "resource 2 (File): name must be an absolute path, not \"b\"");
    ck_assert_str_eq(load_err("[{\"File\": {\"name\": \"/a\"}}, {\"File\": {\"name\": \"/a\"}}]"),
                     "resource 2 (File): duplicate resource File[/a]");
    ck_assert_str_eq(
        load_err("{\"version\": 1, \"resources\": [{\"Servise\": {\"name\": \"x\"}}]}"),
        "resource 1: unknown type \"Servise\"\n"
        "accepted: Package, File, Directory, Link, Execute, User, Group, Line, "
        "Checkout");
    ck_assert_str_eq(load_err("[{\"File\": {\"name\": \"/a\"}, \"Package\": {\"name\": \"b\"}}]"),
                     "resource 1: expected an object like {\"File\": {...}}");
    ck_assert_str_eq(load_err("[\"File\"]"),
                     "resource 1: expected an object like {\"File\": {...}}");
    ck_assert_str_eq(load_err("[{\"File\": \"/a\"}]"),
                     "resource 1 (File): fields must be a table, not a string");
    ck_assert_str_eq(load_err("{\"version\": 2, \"resources\": []}"),
                     "bad bundle: unsupported version 2\nthis fuse-apply reads version 1");
    ck_assert_str_eq(load_err("{\"version\": 1, \"resources\": {\"File\": {}}}"),
                     "bad bundle: \"resources\" must be a list");
    ck_assert_str_eq(load_err("{\"version\": 1}"),
                     "bad bundle: expected {\"version\": 1, \"resources\": [...]}, a list of "
                     "resources or one resource");
    ck_assert_str_eq(load_err("42"), "bad bundle: expected {\"version\": 1, \"resources\": "
                                     "[...]}, a list of resources or one resource");
    const char *m = load_err("{\"version\": 1,");
    ck_assert_msg(strncmp(m, "bad bundle JSON: ", 17) == 0, "%s", m);
    ck_assert_ptr_null(strchr(m, '\n'));
    m = load_err("");
    ck_assert_msg(strncmp(m, "bad bundle JSON: ", 17) == 0, "%s", m);
}
END_TEST

START_TEST(test_many)
{
    /* identities are cached, so a large bundle stays cheap to build */
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    for (int i = 0; i < 5000; i++) {
        fv *f = fv_map();
        char name[32];
        snprintf(name, sizeof name, "/f%d", i);
        fv_set(f, "name", fv_strz(name));
        ck_assert_int_eq(bundle_add(&b, rt_find("File"), f, NULL, &err), 0);
    }
    ck_assert_uint_eq(b.n, 5000);
    ck_assert_int_eq(bundle_find(&b, "File[/f4999]"), 4999);
    sb_release(&err);
    bundle_free(&b);
}
END_TEST

Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_add_and_dump);
    tcase_add_test(tc, test_add_invalid);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_watches);
    tcase_add_test(tc, test_find);
    tcase_add_test(tc, test_redact);
    tcase_add_test(tc, test_round_trip_binary);
    tcase_add_test(tc, test_load_fuselage);
    tcase_add_test(tc, test_load_fuselage_quirks);
    tcase_add_test(tc, test_load_forms);
    tcase_add_test(tc, test_load_watches);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_many);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(bundle_suite)

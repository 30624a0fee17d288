/* test_dkauth.c -- config.json's credentials (dkauth.c) and credential
 * helpers (dkcred.c), with helper scripts written by the tests. */
#include "dkauth.h"
#include "dkcred.h"
#include "mem.h"
#include "testutil.h"

#include <unistd.h>

#define PW "s3cret-unit-pw"

static int parse(const char *json, dka_config *cfg, strbuf *err)
{
    return dka_parse(json, strlen(json), "/x/config.json", cfg, err);
}

START_TEST(auth_is_decoded)
{
    /* base64("alice:" PW ":tail"): the password keeps its own colons. */
    strbuf b = STRBUF_INIT, err = STRBUF_INIT, json = STRBUF_INIT;
    dka_b64url("alice:" PW ":tail", strlen("alice:" PW ":tail"), &b);
    for (size_t i = 0; i < b.len; i++)
        b.buf[i] = b.buf[i] == '-' ? '+' : b.buf[i] == '_' ? '/' : b.buf[i];
    sb_addf(&json,
            "{\"auths\": {\"https://127.0.0.1:5000/v2/\": {\"auth\": \"%s\"},"
            " \"empty:1\": {}, \"tok:2\": {\"identitytoken\": \"T0K\"}}}",
            b.buf);
    dka_config cfg;
    ck_assert_int_eq(parse(json.buf, &cfg, &err), 0);
    ck_assert_uint_eq(cfg.nauths, 2);
    const dka_cred *c = dka_find(&cfg, "127.0.0.1:5000");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->username, "alice");
    ck_assert_str_eq(c->password, PW ":tail");
    ck_assert_ptr_null(dka_find(&cfg, "empty:1"));
    ck_assert_str_eq(dka_find(&cfg, "tok:2")->token, "T0K");
    dka_free(&cfg);
    sb_release(&b);
    sb_release(&err);
    sb_release(&json);
}
END_TEST

START_TEST(hub_key_and_helpers)
{
    strbuf err = STRBUF_INIT;
    dka_config cfg;
    ck_assert_int_eq(parse("{\"auths\": {\"" DKA_HUB_KEY "\": {\"auth\": \"dTpw\"}},"
                           " \"credsStore\": \"pass\","
                           " \"credHelpers\": {\"https://r.example:1\": \"ecr\"}}",
                           &cfg, &err),
                     0);
    ck_assert_str_eq(dka_find(&cfg, DKA_HUB_KEY)->username, "u");
    ck_assert_str_eq(cfg.creds_store, "pass");
    ck_assert_str_eq(dka_helper(&cfg, "r.example:1"), "ecr");
    ck_assert_ptr_null(dka_helper(&cfg, "other"));
    dka_free(&cfg);
    sb_release(&err);
}
END_TEST

/* Every malformed file is one line naming it, never quoting a secret. */
START_TEST(malformed_files_name_the_file)
{
    static const char *const bad[][2] = {
        {"{\"auths\": {\"h\": {\"auth\": \"" PW "\"", "/x/config.json: not valid JSON"},
        {"[1]", "/x/config.json: not a JSON object"},
        {"{\"auths\": []}", "/x/config.json: auths is not an object"},
        {"{\"auths\": {\"h\": 1}}", "/x/config.json: auths entry \"h\" is not an object"},
        {"{\"auths\": {\"h\": {\"auth\": \"" PW "!\"}}}",
         "/x/config.json: auths entry \"h\": auth is not base64 of user:password"},
        {"{\"auths\": {\"h\": {\"auth\": \"bm9jb2xvbg==\"}}}",
         "/x/config.json: auths entry \"h\": auth is not base64 of user:password"},
        {"{\"auths\": {\"h\": {\"auth\": \"dTr/\"}}}",
         "/x/config.json: auths entry \"h\": auth is not base64 of user:password"},
        {"{\"credsStore\": \"../evil\"}", "/x/config.json: credsStore is not a helper name"},
        {"{\"credHelpers\": {\"h\": 3}}",
         "/x/config.json: credHelpers entry \"h\" is not a helper name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strbuf err = STRBUF_INIT;
        dka_config cfg;
        ck_assert_int_eq(parse(bad[i][0], &cfg, &err), -1);
        ck_assert_str_eq(err.buf, bad[i][1]);
        dka_free(&cfg);
        sb_release(&err);
    }
}
END_TEST

START_TEST(registry_of_references)
{
    static const char *const cases[][2] = {
        {"127.0.0.1:5000/app:v1", "127.0.0.1:5000"},
        {"localhost/app", "localhost"},
        {"reg.example/team/app", "reg.example"},
        {"docker.io/library/busybox", DKA_HUB_KEY},
        {"myproject:appserver", ""},
        {"team/app:v1", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strbuf r = STRBUF_INIT;
        dka_registry_of(cases[i][0], &r);
        ck_assert_str_eq(r.buf, cases[i][1]);
        sb_release(&r);
    }
}
END_TEST

START_TEST(base64_round_trip)
{
    const char *s[] = {"", "a", "ab", "abc", "abcd", "\xff\xfe\xfd"};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        strbuf e = STRBUF_INIT, d = STRBUF_INIT;
        dka_b64url(s[i], strlen(s[i]), &e);
        ck_assert_uint_eq(e.len % 4, 0);
        ck_assert_ptr_null(strchr(e.buf, '+'));
        ck_assert_ptr_null(strchr(e.buf, '/'));
        for (size_t j = 0; j < e.len; j++)
            e.buf[j] = e.buf[j] == '-' ? '+' : e.buf[j] == '_' ? '/' : e.buf[j];
        ck_assert_int_eq(dka_b64decode(e.buf, e.len, &d), 0);
        ck_assert_str_eq(d.buf, s[i]);
        sb_release(&e);
        sb_release(&d);
    }
    strbuf d = STRBUF_INIT;
    ck_assert_int_eq(dka_b64decode("a", 1, &d), -1);
    ck_assert_int_eq(dka_b64decode("ab$c", 4, &d), -1);
    sb_release(&d);
}
END_TEST

static void decode_header(const strbuf *h, strbuf *json)
{
    /* back to the standard alphabet */
    strbuf std = STRBUF_INIT;
    sb_add(&std, h->buf, h->len);
    for (size_t i = 0; i < std.len; i++)
        std.buf[i] = std.buf[i] == '-' ? '+' : std.buf[i] == '_' ? '/' : std.buf[i];
    ck_assert_int_eq(dka_b64decode(std.buf, std.len, json), 0);
    sb_release(&std);
}

START_TEST(auth_headers)
{
    strbuf h = STRBUF_INIT, json = STRBUF_INIT;
    ck_assert_int_eq(dka_auth_header(NULL, &h), 0);
    ck_assert_str_eq(h.buf, "e30=");
    sb_reset(&h);
    dka_cred c = {"127.0.0.1:5000", "u", "p\"w", NULL};
    ck_assert_int_eq(dka_auth_header(&c, &h), 0);
    decode_header(&h, &json);
    ck_assert_str_eq(json.buf,
                     "{\"username\":\"u\",\"password\":\"p\\\"w\",\"serveraddress\":\"127.0.0.1:"
                     "5000\"}");
    sb_reset(&h);
    sb_reset(&json);
    dka_cred two[2] = {{"a:1", "u", "p", NULL}, {"b:2", NULL, NULL, "tok"}};
    ck_assert_int_eq(dka_config_header(two, 2, &h), 0);
    decode_header(&h, &json);
    ck_assert_str_eq(json.buf, "{\"a:1\":{\"username\":\"u\",\"password\":\"p\",\"serveraddress\":"
                               "\"a:1\"},\"b:2\":{\"identitytoken\":\"tok\",\"serveraddress\":"
                               "\"b:2\"}}");
    sb_release(&h);
    sb_release(&json);
}
END_TEST

START_TEST(load_missing_file_is_empty)
{
    char dir[64];
    test_tmpdir(dir, sizeof dir, "dkauth");
    setenv("DOCKER_CONFIG", dir, 1);
    strbuf err = STRBUF_INIT;
    dka_config cfg;
    ck_assert_int_eq(dka_load(&cfg, &err), 0);
    ck_assert_uint_eq(cfg.nauths, 0);
    ck_assert_ptr_null(cfg.creds_store);
    dka_free(&cfg);
    unsetenv("DOCKER_CONFIG");
    sb_release(&err);
    test_rmtree(dir);
}
END_TEST

/* ---- helpers ---- */

static char bindir[64];
static char *old_path;

static void helper(const char *name, const char *body)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/docker-credential-%s", bindir, name);
    FILE *f = fopen(p.buf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    ck_assert_int_eq(chmod(p.buf, 0755), 0);
    sb_release(&p);
}

static void helpers_setup(void)
{
    test_tmpdir(bindir, sizeof bindir, "dkcred");
    old_path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s:%s", bindir, old_path);
    setenv("PATH", p.buf, 1);
    sb_release(&p);
    helper("good",
           "case $1 in\n"
           "get) read -r h; case $h in\n"
           "  r:1) echo '{\"ServerURL\":\"r:1\",\"Username\":\"bob\",\"Secret\":\"" PW "\"}';;\n"
           "  t:2) echo '{\"ServerURL\":\"t:2\",\"Username\":\"<token>\",\"Secret\":\"TOK\"}';;\n"
           "  *) echo 'credentials not found in native keychain'; exit 1;;\n"
           "  esac;;\n"
           "list) echo '{\"https://r:1\":\"bob\",\"t:2\":\"<token>\",\"gone:3\":\"x\"}';;\n"
           "esac");
    helper("fail", "echo 'the keychain is locked' >&2; echo 'locked'; exit 4");
    helper("junk", "echo 'not json'");
}

static void helpers_teardown(void)
{
    setenv("PATH", old_path, 1);
    free(old_path);
    test_rmtree(bindir);
}

START_TEST(helper_get_and_token)
{
    dka_config cfg = {.creds_store = "good"};
    dka_cred c;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(dkc_lookup(&cfg, "r:1", &c, &err), 0);
    ck_assert_str_eq(c.username, "bob");
    ck_assert_str_eq(c.password, PW);
    dka_cred_clear(&c);
    ck_assert_int_eq(dkc_lookup(&cfg, "t:2", &c, &err), 0);
    ck_assert_ptr_null(c.username);
    ck_assert_str_eq(c.token, "TOK");
    dka_cred_clear(&c);
    /* "credentials not found" is no credential, not an error */
    ck_assert_int_eq(dkc_lookup(&cfg, "other:9", &c, &err), 0);
    ck_assert_ptr_null(c.username);
    ck_assert_ptr_null(c.token);
    ck_assert_str_eq(c.registry, "other:9");
    dka_cred_clear(&c);
    ck_assert_str_eq(err.buf, "");
    sb_release(&err);
}
END_TEST

START_TEST(cred_helpers_come_before_the_store)
{
    char *reg[] = {"r:1"}, *name[] = {"fail"};
    dka_config cfg = {.creds_store = "good", .helper_reg = reg, .helper_name = name, .nhelpers = 1};
    dka_cred c;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(dkc_lookup(&cfg, "r:1", &c, &err), -1);
    ck_assert_str_eq(err.buf,
                     "credential helper docker-credential-fail get failed (exit 4): locked");
    dka_cred_clear(&c);
    sb_release(&err);
}
END_TEST

START_TEST(all_from_the_store)
{
    dka_config cfg = {.creds_store = "good"};
    dka_cred *all = NULL;
    size_t n = 0;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(dkc_all(&cfg, &all, &n, &err), 0);
    ck_assert_uint_eq(n, 2); /* gone:3 is listed but has nothing */
    ck_assert_str_eq(all[0].registry, "r:1");
    ck_assert_str_eq(all[1].registry, "t:2");
    dkc_free_all(all, n);
    sb_release(&err);
}
END_TEST

START_TEST(missing_and_broken_helpers)
{
    static const char *const cases[][2] = {
        {"nosuch", "credential helper docker-credential-nosuch: not found on PATH"},
        {"junk", "credential helper docker-credential-junk get: the answer is not "
                 "{\"Username\", \"Secret\"} JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dka_config cfg = {.creds_store = (char *)cases[i][0]};
        dka_cred c;
        strbuf err = STRBUF_INIT;
        ck_assert_int_eq(dkc_lookup(&cfg, "r:1", &c, &err), -1);
        ck_assert_str_eq(err.buf, cases[i][1]);
        dka_cred_clear(&c);
        sb_release(&err);
    }
    dka_config cfg = {.creds_store = "fail"};
    dka_cred *all = NULL;
    size_t n = 0;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(dkc_all(&cfg, &all, &n, &err), -1);
    ck_assert_str_eq(err.buf,
                     "credential helper docker-credential-fail list failed (exit 4): locked");
    sb_release(&err);
}
END_TEST

static Suite *dkauth_suite(void)
{
    Suite *s = suite_create("dkauth");
    TCase *t = tcase_create("config");
    tcase_add_test(t, auth_is_decoded);
    tcase_add_test(t, hub_key_and_helpers);
    tcase_add_test(t, malformed_files_name_the_file);
    tcase_add_test(t, registry_of_references);
    tcase_add_test(t, base64_round_trip);
    tcase_add_test(t, auth_headers);
    tcase_add_test(t, load_missing_file_is_empty);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("helpers");
    tcase_add_checked_fixture(h, helpers_setup, helpers_teardown);
    tcase_add_test(h, helper_get_and_token);
    tcase_add_test(h, cred_helpers_come_before_the_store);
    tcase_add_test(h, all_from_the_store);
    tcase_add_test(h, missing_and_broken_helpers);
    suite_add_tcase(s, h);
    return s;
}

TEST_MAIN(dkauth_suite)

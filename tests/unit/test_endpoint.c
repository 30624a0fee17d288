/* test_endpoint.c -- which engine (endpoint.c): the docker CLI's order of
 * --context, -H, DOCKER_HOST, DOCKER_CONTEXT and currentContext, its
 * context store (epcontext.c, in a temp DOCKER_CONFIG) and the ssh
 * command of ssh:// (epssh.c). Nothing here connects. */
#include "endpoint.h"
#include "epcontext.h"
#include "epssh.h"
#include "sha256.h"
#include "testutil.h"

#include <unistd.h>

static char cfgdir[64];

/* A context NAME with host (and skip), as `docker context create` files it. */
static void make_context(const char *name, const char *host, int skip)
{
    strbuf id = STRBUF_INIT;
    sha256_of(name, strlen(name), &id);
    strbuf path = STRBUF_INIT, json = STRBUF_INIT;
    sb_addf(&path, "%s/contexts/meta/%s/meta.json", cfgdir, id.buf);
    test_mkparents(path.buf);
    sb_addf(&json,
            "{\"Name\":\"%s\",\"Metadata\":{\"Description\":\"\"},"
            "\"Endpoints\":{\"docker\":{\"Host\":\"%s\",\"SkipTLSVerify\":%s}}}",
            name, host, skip ? "true" : "false");
    test_write(path.buf, json.buf, json.len);
    sb_release(&id);
    sb_release(&path);
    sb_release(&json);
}

static void make_tls(const char *name, const char *file)
{
    strbuf id = STRBUF_INIT;
    sha256_of(name, strlen(name), &id);
    strbuf path = STRBUF_INIT;
    sb_addf(&path, "%s/contexts/tls/%s/docker/%s", cfgdir, id.buf, file);
    test_mkparents(path.buf);
    test_write(path.buf, "x", 1);
    sb_release(&id);
    sb_release(&path);
}

static void set_current(const char *name)
{
    strbuf path = STRBUF_INIT, json = STRBUF_INIT;
    sb_addf(&path, "%s/config.json", cfgdir);
    if (name)
        sb_addf(&json, "{\"auths\": {}, \"currentContext\": \"%s\"}", name);
    else
        sb_adds(&json, "{}");
    test_write(path.buf, json.buf, json.len);
    sb_release(&path);
    sb_release(&json);
}

static void setup(void)
{
    test_tmpdir(cfgdir, sizeof cfgdir, "ep");
    setenv("DOCKER_CONFIG", cfgdir, 1);
    unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_CONTEXT");
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    unsetenv("DOCKER_API_VERSION");
    ep_set_cli(NULL, NULL);
    make_context("one", "unix:///run/one.sock", 0);
    make_context("two", "tcp://two.example:2376", 0);
    make_context("ssh", "ssh://me@remote:2222", 0);
}

static void teardown(void)
{
    ep_set_cli(NULL, NULL);
    test_rmtree(cfgdir);
}

/* The engine ep_from_env picks: "CONTEXT URL", or "! first line". */
static void picked(strbuf *out)
{
    ep_endpoint e;
    strbuf err = STRBUF_INIT;
    sb_reset(out);
    if (ep_from_env(&e, &err) == 0)
        sb_addf(out, "%s %s", e.context, e.host);
    else
        sb_addf(out, "! %s", err.buf);
    ep_release(&e);
    sb_release(&err);
}

START_TEST(precedence)
{
    strbuf got = STRBUF_INIT;
    picked(&got);
    ck_assert_str_eq(got.buf, "default unix:///var/run/docker.sock");
    set_current("one");
    picked(&got);
    ck_assert_str_eq(got.buf, "one unix:///run/one.sock");
    setenv("DOCKER_CONTEXT", "two", 1);
    picked(&got);
    ck_assert_str_eq(got.buf, "two tcp://two.example:2376");
    /* DOCKER_HOST comes before DOCKER_CONTEXT, as before contexts. */
    setenv("DOCKER_HOST", "unix:///run/env.sock", 1);
    picked(&got);
    ck_assert_str_eq(got.buf, "default unix:///run/env.sock");
    ep_set_cli("tcp://cli.example:1", NULL);
    picked(&got);
    ck_assert_str_eq(got.buf, "default tcp://cli.example:1");
    /* --context beats every other setting. */
    ep_set_cli(NULL, "ssh");
    picked(&got);
    ck_assert_str_eq(got.buf, "ssh ssh://me@remote:2222");
    /* --context default is the engine without contexts: DOCKER_HOST. */
    ep_set_cli(NULL, "default");
    picked(&got);
    ck_assert_str_eq(got.buf, "default unix:///run/env.sock");
    sb_release(&got);
}
END_TEST

START_TEST(unknown_contexts)
{
    strbuf got = STRBUF_INIT, want = STRBUF_INIT;
    ep_set_cli(NULL, "nosuch");
    picked(&got);
    ck_assert_str_eq(got.buf,
                     "! --context nosuch: no such docker context (`docker context ls` lists them)");
    ep_set_cli(NULL, NULL);
    setenv("DOCKER_CONTEXT", "nosuch", 1);
    picked(&got);
    ck_assert_str_eq(got.buf, "! DOCKER_CONTEXT=nosuch: no such docker context "
                              "(`docker context ls` lists them)");
    unsetenv("DOCKER_CONTEXT");
    set_current("gone");
    picked(&got);
    sb_addf(&want,
            "! %s/config.json: currentContext \"gone\": no such docker context "
            "(`docker context ls` lists them)",
            cfgdir);
    ck_assert_str_eq(got.buf, want.buf);
    sb_release(&got);
    sb_release(&want);
}
END_TEST

START_TEST(context_tls)
{
    make_context("tls", "tcp://tls.example", 0);
    make_tls("tls", "ca.pem");
    make_tls("tls", "cert.pem");
    make_tls("tls", "key.pem");
    make_context("skip", "tcp://skip.example:9", 1);
    make_context("half", "tcp://half.example:9", 0);
    make_tls("half", "cert.pem");
    /* A context's TLS is its own: the environment's settings do not apply. */
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    ep_endpoint e;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ep_resolve(&e, "tls", "engine", &err), 0);
    ck_assert_int_eq(e.tls, 1);
    ck_assert_str_eq(e.base, "https://tls.example:2376");
    ck_assert_ptr_nonnull(strstr(e.ca, "/docker/ca.pem"));
    ck_assert_ptr_nonnull(strstr(e.key, "/docker/key.pem"));
    ep_release(&e);
    ck_assert_int_eq(ep_resolve(&e, "skip", "engine", &err), 0);
    ck_assert_int_eq(e.tls, 1);
    ck_assert_int_eq(e.skip_verify, 1);
    ck_assert_ptr_null(e.ca);
    ep_release(&e);
    ck_assert_int_eq(ep_resolve(&e, "two", "engine", &err), 0);
    ck_assert_int_eq(e.tls, 0);
    ck_assert_str_eq(e.base, "http://two.example:2376");
    ep_release(&e);
    ck_assert_int_eq(ep_resolve(&e, "half", "engine", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.buf, "/docker: cert.pem without key.pem"));
    ep_release(&e);
    unsetenv("DOCKER_TLS_VERIFY");
    sb_release(&err);
}
END_TEST

START_TEST(resolve_urls)
{
    ep_endpoint e;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ep_resolve(&e, "unix:///x.sock", "engine", &err), 0);
    ck_assert_str_eq(e.context, "default");
    ck_assert_str_eq(e.sock, "/x.sock");
    ep_release(&e);
    ck_assert_int_eq(ep_resolve(&e, "ftp://x", "engine", &err), -1);
    ck_assert_str_eq(err.buf,
                     "engine ftp://x: unsupported scheme (fuse speaks unix://, tcp:// and ssh://)");
    ep_release(&e);
    sb_release(&err);
}
END_TEST

START_TEST(bad_meta)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"{", "not valid JSON"},
        {"[]", "not a JSON object"},
        {"{\"Name\":\"x\"}", "the context has no docker endpoint"},
        {"{\"Endpoints\":{\"docker\":[]}}", "Endpoints.docker is not an object"},
        {"{\"Endpoints\":{\"docker\":{\"Host\":1}}}", "Endpoints.docker.Host is not a string"},
        {"{\"Endpoints\":{\"docker\":{\"SkipTLSVerify\":\"yes\"}}}",
         "Endpoints.docker.SkipTLSVerify is not true or false"},
        {"{\"Endpoints\":{\"docker\":{\"Host\":\"unix:///a\\nb\"}}}",
         "Endpoints.docker.Host holds a control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ep_ctxmeta m;
        strbuf err = STRBUF_INIT, want = STRBUF_INIT;
        ck_assert_int_eq(ep_meta_parse(cases[i].json, strlen(cases[i].json), "/m.json", &m, &err),
                         -1);
        sb_addf(&want, "/m.json: %s", cases[i].msg);
        ck_assert_str_eq(err.buf, want.buf);
        sb_release(&err);
        sb_release(&want);
    }
    /* A context without a Host is the default socket, as the CLI's client. */
    make_context("nohost", "", 0);
    ep_endpoint e;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ep_resolve(&e, "nohost", "engine", &err), 0);
    ck_assert_str_eq(e.host, "unix:///var/run/docker.sock");
    ep_release(&e);
    sb_release(&err);
}
END_TEST

/* The ssh command line, exactly as the docker CLI builds it. */
static void ssh_argv(const char *url, strbuf *out)
{
    strbuf err = STRBUF_INIT;
    ep_ssh *s = ep_ssh_new(url, url, &err);
    ck_assert_msg(s != NULL, "%s: %s", url, err.buf);
    sb_reset(out);
    for (size_t i = 0; i < s->argv.nr; i++)
        sb_addf(out, "%s%s", i ? " " : "", s->argv.v[i]);
    ep_ssh_free(s);
    sb_release(&err);
}

START_TEST(ssh_commands)
{
    strbuf got = STRBUF_INIT;
    ssh_argv("ssh://h", &got);
    ck_assert_str_eq(got.buf, "ssh -o ConnectTimeout=30 -T -- h docker system dial-stdio");
    ssh_argv("ssh://me@h.example:2222", &got);
    ck_assert_str_eq(got.buf, "ssh -o ConnectTimeout=30 -T -l me -p 2222 -- h.example docker "
                              "system dial-stdio");
    ssh_argv("ssh://[::1]:22/run/user/1000/docker.sock", &got);
    ck_assert_str_eq(got.buf, "ssh -o ConnectTimeout=30 -T -p 22 -- ::1 docker "
                              "--host=unix:///run/user/1000/docker.sock system dial-stdio");
    sb_release(&got);
}
END_TEST

START_TEST(sha256_names)
{
    /* The id the docker CLI gives the context "default" and "". */
    strbuf hex = STRBUF_INIT;
    sha256_of("", 0, &hex);
    ck_assert_str_eq(hex.buf, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sb_reset(&hex);
    sha256_of("abc", 3, &hex);
    ck_assert_str_eq(hex.buf, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sb_release(&hex);
}
END_TEST

static Suite *endpoint_suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *t = tcase_create("resolve");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, precedence);
    tcase_add_test(t, unknown_contexts);
    tcase_add_test(t, context_tls);
    tcase_add_test(t, resolve_urls);
    tcase_add_test(t, bad_meta);
    tcase_add_test(t, ssh_commands);
    tcase_add_test(t, sha256_names);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(endpoint_suite)

/* test_docker.c -- the Docker client against a fake daemon and the real one.
 *
 * The fake daemon is fakeengine.h's, shared with test_build: a thread serving
 * HTTP/1.1 on a unix socket in a temp directory (DOCKER_HOST=unix://that)
 * that records what it received and answers as the test's scenario says.
 * The real engine tests run when
 * /var/run/docker.sock answers, and print a SKIP note otherwise. */
#include "cancel.h"
#include "docker.h"
#include "endpoint.h"
#include "ep_engine.h"
#include "fakeengine.h"
#include "mem.h"
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The request body: a deterministic pattern handed out in uneven pieces. */
typedef struct src {
    size_t total, at;
    strbuf sent;
    size_t interrupt_at; /* call cancel_request(CANCEL_INTERRUPT) once this much is out; 0 never */
} src;

static size_t src_read(char *buf, size_t len, void *ud)
{
    src *s = ud;
    size_t k = 1 + (s->at * 7919) % 5000;
    if (k > len)
        k = len;
    if (k > s->total - s->at)
        k = s->total - s->at;
    for (size_t i = 0; i < k; i++)
        buf[i] = (char)((s->at + i) * 31 % 251);
    sb_add(&s->sent, buf, k);
    s->at += k;
    if (s->interrupt_at && s->at >= s->interrupt_at)
        cancel_request(CANCEL_INTERRUPT);
    return k;
}

typedef struct got {
    strbuf json; /* every message's raw text, one after the other */
    strbuf streams;
    int n;
    char aux[128];
    char error[256];
    int interrupt_on_first;
} got;

static void got_msg(const dk_msg *m, void *ud)
{
    got *g = ud;
    g->n++;
    sb_add(&g->json, m->json, m->json_len);
    if (m->stream)
        sb_adds(&g->streams, m->stream);
    if (m->aux_id)
        snprintf(g->aux, sizeof g->aux, "%s", m->aux_id);
    if (m->error)
        snprintf(g->error, sizeof g->error, "%s", m->error);
    if (g->interrupt_on_first)
        cancel_request(CANCEL_INTERRUPT);
}

static void got_free(got *g)
{
    sb_release(&g->json);
    sb_release(&g->streams);
}

/* Negotiates against the fake daemon answering api; returns the version used. */
static void check_negotiation(const char *api, const char *want)
{
    fake f;
    fake_start(&f, SC_OK, api);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(dk_negotiate(c, &err), 0);
    ck_assert_str_eq(dk_api_version(c), want);
    /* Settled once: a second call makes no request. */
    ck_assert_int_eq(dk_negotiate(c, &err), 0);
    dk_close(c);
    fake_stop(&f);
    ck_assert_int_eq(f.n_version, 1);
    fake_free(&f);
    sb_release(&err);
}

START_TEST(negotiate_newer_server_uses_ours)
{
    check_negotiation("1.43", "1.41");
}
END_TEST

START_TEST(negotiate_older_server_uses_its)
{
    check_negotiation("1.30", "1.30");
}
END_TEST

START_TEST(negotiate_too_old_server)
{
    fake f;
    fake_start(&f, SC_OK, "1.12");
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(dk_negotiate(c, &err), -1);
    ck_assert_str_eq(err.buf, "Docker API version 1.12 is too old (need 1.24 or newer)");
    ck_assert_ptr_null(dk_api_version(c));
    dk_close(c);
    fake_stop(&f);
    fake_free(&f);
    sb_release(&err);
}
END_TEST

START_TEST(negotiate_http_error)
{
    fake f;
    fake_start(&f, SC_VERSION_500, "1.41");
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_int_eq(dk_negotiate(c, &err), -1);
    ck_assert_str_eq(err.buf, "Docker: version broke");
    dk_close(c);
    fake_stop(&f);
    fake_free(&f);
    sb_release(&err);
}
END_TEST

/* Negotiates against a fake whose /_ping says ping; the engine found. */
static void ping_engine(const char *ping, const char *api_env, dk_engine *out, char *version,
                        fake *f)
{
    fake_start_ping(f, ping);
    if (api_env)
        setenv("DOCKER_API_VERSION", api_env, 1);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_msg(dk_negotiate(c, &err) == 0, "%s", err.buf);
    ck_assert_int_eq(dk_negotiate(c, &err), 0);
    *out = *dk_engine_of(c);
    snprintf(version, 16, "%s", dk_api_version(c));
    dk_close(c);
    fake_stop(f);
    unsetenv("DOCKER_API_VERSION");
    sb_release(&err);
}

/* Podman's service, as it answers /_ping: no /version (0.5 s there). */
START_TEST(ping_tells_podman)
{
    fake f;
    dk_engine e;
    char v[16];
    ping_engine("Api-Version: 1.41\r\nBuilder-Version: \r\nLibpod-Api-Version: 4.3.1\r\n"
                "Server: Libpod/4.3.1 (linux)\r\n",
                NULL, &e, v, &f);
    ck_assert_int_eq(e.kind, DK_ENGINE_PODMAN);
    ck_assert_str_eq(e.api, "1.41");
    ck_assert_str_eq(e.builder, "");
    ck_assert_str_eq(e.server, "Libpod/4.3.1 (linux)");
    ck_assert_str_eq(v, "1.41");
    ck_assert_int_eq(f.n_ping, 1);
    ck_assert_int_eq(f.n_version, 0);
    fake_free(&f);
}
END_TEST

/* Docker's: its API version, lower than ours, is the one used; header
 * names in any case. */
START_TEST(ping_tells_docker)
{
    fake f;
    dk_engine e;
    char v[16];
    ping_engine("api-version: 1.40\r\nBUILDER-VERSION: 2\r\nServer: Docker/19.03.1 (linux)\r\n",
                NULL, &e, v, &f);
    ck_assert_int_eq(e.kind, DK_ENGINE_DOCKER);
    ck_assert_str_eq(e.builder, "2");
    ck_assert_str_eq(e.server, "Docker/19.03.1 (linux)");
    ck_assert_str_eq(v, "1.40");
    ck_assert_int_eq(f.n_version, 0);
    fake_free(&f);
    /* DOCKER_API_VERSION wins, but the engine is still known. */
    ping_engine("Api-Version: 1.41\r\nServer: Libpod/4.3.1 (linux)\r\n", "1.38", &e, v, &f);
    ck_assert_int_eq(e.kind, DK_ENGINE_PODMAN);
    ck_assert_str_eq(v, "1.38");
    ck_assert_int_eq(f.n_ping, 1);
    fake_free(&f);
}
END_TEST

/* A ping without Api-Version (an old engine; here a 404): /version says. */
START_TEST(ping_without_version_asks_version)
{
    fake f;
    dk_engine e;
    char v[16];
    ping_engine(NULL, NULL, &e, v, &f);
    ck_assert_int_eq(e.kind, DK_ENGINE_DOCKER);
    ck_assert_str_eq(v, "1.41");
    ck_assert_int_eq(f.n_ping, 1);
    ck_assert_int_eq(f.n_version, 1);
    fake_free(&f);
}
END_TEST

START_TEST(api_version_override_makes_no_version_request)
{
    fake f;
    fake_start(&f, SC_OK, "1.43");
    setenv("DOCKER_API_VERSION", "1.38", 1);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(dk_negotiate(c, &err), 0);
    ck_assert_str_eq(dk_api_version(c), "1.38");
    src s = {.total = 1000};
    got g = {0};
    ck_assert_int_eq(dk_build(c, "rm=1", src_read, &s, got_msg, &g, &err), 0);
    dk_close(c);
    fake_stop(&f);
    ck_assert_int_eq(f.n_version, 0);
    ck_assert_str_eq(f.build_path, "POST /v1.38/build?rm=1");
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(bad_environment)
{
    static const struct {
        const char *var, *val, *msg;
    } cases[] = {
        {"DOCKER_HOST", "localhost:2375",
         "DOCKER_HOST=localhost:2375: expected unix:///path/to/socket, tcp://host:port or "
         "ssh://[user@]host[:port]"},
        {"DOCKER_HOST", "unix://",
         "DOCKER_HOST=unix://: expected unix:///path/to/socket, "
         "tcp://host:port or ssh://[user@]host[:port]"},
        {"DOCKER_HOST", "tcp://h:99999",
         "DOCKER_HOST=tcp://h:99999: expected "
         "unix:///path/to/socket, tcp://host:port or ssh://[user@]host[:port]"},
        {"DOCKER_HOST", "tcp://:2375",
         "DOCKER_HOST=tcp://:2375: expected "
         "unix:///path/to/socket, tcp://host:port or ssh://[user@]host[:port]"},
        {"DOCKER_HOST", "ftp://me@host",
         "DOCKER_HOST=ftp://me@host: unsupported scheme (fuse speaks unix://, tcp:// and ssh://)"},
        {"DOCKER_HOST", "ssh://me:pw@host",
         "DOCKER_HOST=ssh://me:pw@host: a password in the URL is not supported"},
        {"DOCKER_HOST", "ssh://", "DOCKER_HOST=ssh://: no host name"},
        {"DOCKER_HOST", "ssh://-oProxyCommand=x",
         "DOCKER_HOST=ssh://-oProxyCommand=x: not a host name or address"},
        {"DOCKER_HOST", "ssh://[-oProxyCommand=x]",
         "DOCKER_HOST=ssh://[-oProxyCommand=x]: not a host name or address"},
        {"DOCKER_HOST", "ssh://[--::1]:22",
         "DOCKER_HOST=ssh://[--::1]:22: not a host name or address"},
        {"DOCKER_HOST", "ssh://h:0",
         "DOCKER_HOST=ssh://h:0: the port is not a number from 1 to 65535"},
        {"DOCKER_HOST", "ssh://h?x=1",
         "DOCKER_HOST=ssh://h?x=1: query parameters and fragments are not allowed"},
        {"DOCKER_HOST", "ssh://h/a;b",
         "DOCKER_HOST=ssh://h/a;b: the socket path holds characters fuse does not pass on"},
        {"DOCKER_API_VERSION", "1.x", "DOCKER_API_VERSION=1.x: expected a version like 1.41"},
        {"DOCKER_API_VERSION", "v1.41", "DOCKER_API_VERSION=v1.41: expected a version like 1.41"},
        {"DOCKER_API_VERSION", "1.20", "DOCKER_API_VERSION=1.20 is too old (need 1.24 or newer)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsetenv("DOCKER_HOST");
        unsetenv("DOCKER_API_VERSION");
        setenv(cases[i].var, cases[i].val, 1);
        strbuf err = STRBUF_INIT;
        dk_client *c = dk_open(&err);
        ck_assert_msg(c == NULL, "%s accepted", cases[i].val);
        ck_assert_str_eq(err.buf, cases[i].msg);
        sb_release(&err);
    }
    unsetenv("DOCKER_API_VERSION");
}
END_TEST

START_TEST(good_hosts)
{
    static const char *const hosts[] = {"tcp://127.0.0.1:2375",
                                        "tcp://docker.example:1/",
                                        "tcp://[::1]:2376",
                                        "tcp://somehost",
                                        "unix:///x/y.sock",
                                        "ssh://me@host",
                                        "ssh://[::1]:2222",
                                        "ssh://h/var/run/docker.sock",
                                        "ssh://h/"};
    unsetenv("DOCKER_API_VERSION");
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        setenv("DOCKER_HOST", hosts[i], 1);
        strbuf err = STRBUF_INIT;
        dk_client *c = dk_open(&err);
        ck_assert_msg(c != NULL, "%s: %s", hosts[i], err.buf);
        ck_assert_str_eq(dk_host(c), hosts[i]);
        dk_close(c);
        sb_release(&err);
    }
}
END_TEST

START_TEST(tls_cert_without_key)
{
    char dir[32];
    test_tmpdir(dir, sizeof dir, "dk-tls");
    char path[64];
    snprintf(path, sizeof path, "%s/cert.pem", dir);
    test_write(path, "", 0);
    setenv("DOCKER_HOST", "tcp://127.0.0.1:2376", 1);
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", dir, 1);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_ptr_null(c);
    char want[128];
    snprintf(want, sizeof want, "%s: cert.pem without key.pem", dir);
    ck_assert_str_eq(err.buf, want);
    unlink(path);
    rmdir(dir);
    sb_reset(&err);
    /* A missing directory is named. */
    c = dk_open(&err);
    ck_assert_ptr_null(c);
    snprintf(want, sizeof want, "DOCKER_CERT_PATH=%s: not a directory", dir);
    ck_assert_str_eq(err.buf, want);
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    sb_release(&err);
}
END_TEST

START_TEST(no_socket)
{
    char dir[32];
    test_tmpdir(dir, sizeof dir, "dk-none");
    char host[96], want[256];
    snprintf(host, sizeof host, "unix://%s/docker.sock", dir);
    setenv("DOCKER_HOST", host, 1);
    unsetenv("DOCKER_API_VERSION");
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(dk_negotiate(c, &err), -1);
    snprintf(want, sizeof want,
             "cannot connect to the Docker daemon at %s: is the docker daemon running?", host);
    ck_assert_str_eq(err.buf, want);
    dk_close(c);
    rmdir(dir);
    sb_release(&err);
}
END_TEST

/* A socket nobody may connect to. As root, permissions do not apply, so the
 * client runs in a child that drops to nobody. */
START_TEST(permission_denied)
{
    char dir[32];
    test_tmpdir(dir, sizeof dir, "dk-perm");
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char path[64], host[96], want[256];
    snprintf(path, sizeof path, "%s/docker.sock", dir);
    int lfd = listen_unix(path);
    ck_assert_int_eq(chmod(path, 0600), 0);
    snprintf(host, sizeof host, "unix://%s", path);
    setenv("DOCKER_HOST", host, 1);
    unsetenv("DOCKER_API_VERSION");
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        strbuf err = STRBUF_INIT;
        dk_client *c = dk_open(&err);
        if (c)
            dk_negotiate(c, &err);
        dk_close(c);
        int wrote = write(pfd[1], err.buf, err.len) == (ssize_t)err.len;
        sb_release(&err);
        _exit(wrote ? 0 : 4);
    }
    close(pfd[1]);
    char buf[512] = {0};
    size_t n = 0;
    ssize_t k;
    while (n < sizeof buf - 1 && (k = read(pfd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    close(pfd[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    snprintf(want, sizeof want,
             "permission denied while connecting to the Docker daemon socket at %s", host);
    ck_assert_str_eq(buf, want);
    close(lfd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* Runs a build against the fake daemon in scenario sc; returns dk_build's result. */
static int fake_build(fake *f, enum scenario sc, src *s, got *g, strbuf *err)
{
    fake_start(f, sc, "1.41");
    dk_client *c = dk_open(err);
    ck_assert_msg(c != NULL, "%s", err->buf);
    strbuf q = STRBUF_INIT;
    sb_adds(&q, "t=");
    dk_urlencode(&q, "fuse-test/x:1");
    sb_adds(&q, "&rm=1");
    int rc = dk_build(c, q.buf, src_read, s, got_msg, g, err);
    dk_close(c);
    fake_stop(f);
    sb_release(&q);
    return rc;
}

START_TEST(build_streams_body_and_split_answer)
{
    fake f;
    src s = {.total = 300000};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_msg(fake_build(&f, SC_OK, &s, &g, &err) == 0, "%s", err.buf);
    ck_assert_int_eq(f.n_version, 1);
    ck_assert_int_eq(f.n_build, 1);
    /* /version and /build shared one connection. */
    ck_assert_int_eq(f.n_conn, 1);
    ck_assert_str_eq(f.build_path, "POST /v1.41/build?t=fuse-test%2Fx%3A1&rm=1");
    ck_assert_int_eq(f.chunked, 1);
    ck_assert_int_eq(f.had_length, 0);
    ck_assert_int_eq(f.had_expect, 0); /* no waiting for "100 Continue" */
    ck_assert_int_gt(f.n_chunks, 1);
    ck_assert_uint_eq(s.sent.len, 300000);
    ck_assert_uint_eq(f.body.len, s.sent.len);
    ck_assert(memcmp(f.body.buf, s.sent.buf, s.sent.len) == 0);
    /* Every message, with its exact bytes, though it came 1 to 3 bytes at a time. */
    ck_assert_int_eq(g.n, 5);
    ck_assert_str_eq(g.json.buf,
                     "{\"stream\":\"Step 1/2 : FROM fuse-test/busybox\\n\"}"
                     "{\"stream\":\" ---\\u003e fc4aa6640cb5\\n\"}"
                     "{\"stream\":\"caf\\u00e9\\n\"}{\"aux\":{\"ID\":\"sha256:0123abcd\"}}"
                     "{\"stream\":\"Successfully built 0123abcd\\n\"}");
    ck_assert_str_eq(g.streams.buf, "Step 1/2 : FROM fuse-test/busybox\n ---> fc4aa6640cb5\n"
                                    "caf\xc3\xa9\nSuccessfully built 0123abcd\n");
    ck_assert_str_eq(g.aux, "sha256:0123abcd");
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(build_error_message_in_stream)
{
    fake f;
    src s = {.total = 10};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_ERRMSG, &s, &g, &err), -1);
    ck_assert_str_eq(err.buf, "The command '/bin/sh -c false' returned a non-zero code: 1");
    ck_assert_int_eq(g.n, 2);
    ck_assert_str_eq(g.error, "The command '/bin/sh -c false' returned a non-zero code: 1");
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(build_connection_cut)
{
    fake f;
    src s = {.total = 10};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_CUT, &s, &g, &err), -1);
    char want[256];
    snprintf(want, sizeof want, "lost the connection to the Docker daemon at unix://%s: ", f.sock);
    ck_assert_msg(strncmp(err.buf, want, strlen(want)) == 0, "%s", err.buf);
    ck_assert_ptr_null(strchr(err.buf, '\n'));
    ck_assert_int_ge(g.n, 1); /* what came before the cut was delivered */
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(build_http_500)
{
    fake f;
    src s = {.total = 5000};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_500, &s, &g, &err), -1);
    ck_assert_str_eq(err.buf, "Docker: no space left on device");
    ck_assert_int_eq(g.n, 0);
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

/* The daemon refuses before reading the (large) body: its answer wins. */
START_TEST(build_early_answer)
{
    fake f;
    src s = {.total = 8 << 20};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_EARLY, &s, &g, &err), -1);
    ck_assert_str_eq(err.buf, "Docker: invalid reference format");
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(interrupt_while_streaming_closes_connection)
{
    fake f;
    src s = {.total = 100};
    got g = {.interrupt_on_first = 1};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_HANG, &s, &g, &err), -2);
    ck_assert_int_eq(g.n, 1);
    /* The daemon saw the connection close: that is what cancels a build. */
    ck_assert_int_eq(f.client_closed, 1);
    cancel_reset();
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(interrupt_while_uploading)
{
    fake f;
    src s = {.total = 50 << 20, .interrupt_at = 100000};
    got g = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(fake_build(&f, SC_OK, &s, &g, &err), -2);
    ck_assert_uint_lt(s.at, s.total);
    cancel_reset();
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

START_TEST(tcp_host)
{
    fake f;
    fake_start_on(&f, SC_OK, "1.40", 1);
    /* A dead proxy in the environment: the loopback is never proxied. */
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(dk_negotiate(c, &err), 0);
    ck_assert_str_eq(dk_api_version(c), "1.40");
    src s = {.total = 70000};
    got g = {0};
    ck_assert_msg(dk_build(c, "", src_read, &s, got_msg, &g, &err) == 0, "%s", err.buf);
    ck_assert_str_eq(g.aux, "sha256:0123abcd");
    dk_close(c);
    unsetenv("http_proxy");
    fake_stop(&f);
    ck_assert_int_eq(f.n_conn, 1);
    ck_assert_str_eq(f.build_path, "POST /v1.40/build");
    ck_assert_uint_eq(f.body.len, 70000);
    ck_assert(memcmp(f.body.buf, s.sent.buf, s.sent.len) == 0);
    fake_free(&f);
    got_free(&g);
    sb_release(&s.sent);
    sb_release(&err);
}
END_TEST

/* DOCKER_TLS_VERIFY against a daemon speaking plain HTTP: the handshake fails. */
START_TEST(tls_verify_against_plain_http)
{
    fake f;
    fake_start_on(&f, SC_OK, "1.41", 1);
    char dir[32];
    test_tmpdir(dir, sizeof dir, "dk-tls");
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    setenv("DOCKER_CERT_PATH", dir, 1);
    strbuf err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(dk_negotiate(c, &err), -1);
    char want[128];
    snprintf(want, sizeof want,
             "TLS with the Docker daemon at tcp://127.0.0.1:%d failed: ", f.port);
    ck_assert_msg(strncmp(err.buf, want, strlen(want)) == 0, "%s", err.buf);
    dk_close(c);
    fake_stop(&f);
    ck_assert_int_eq(f.n_version, 0);
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    rmdir(dir);
    fake_free(&f);
    sb_release(&err);
}
END_TEST

START_TEST(urlencode)
{
    strbuf sb = STRBUF_INIT;
    dk_urlencode(&sb, "a-b_c.d~e f/g:h&i=j%\xc3\xa9");
    ck_assert_str_eq(sb.buf, "a-b_c.d~e%20f%2Fg%3Ah%26i%3Dj%25%C3%A9");
    sb_release(&sb);
}
END_TEST

/* -j's engine names: what endpoint.c can resolve (URLs, contexts); use
 * makes the name the process's engine as -H or --context would, NULL brings
 * the command line's own back. */
START_TEST(engine_names)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ep_engine_check("unix:///run/x.sock", &err), 0);
    ck_assert_int_eq(ep_engine_check("tcp://build2:2376", &err), 0);
    ck_assert_uint_eq(err.len, 0);
    ck_assert_int_eq(ep_engine_check("ftp://x", &err), -1);
    ck_assert_str_eq(err.buf,
                     "engine ftp://x: unsupported scheme (fuse speaks unix://, tcp:// and ssh://)");
    const char *host, *ctx;
    ep_set_cli("unix:///orig.sock", NULL);
    ep_engine_use("tcp://b:1");
    ep_get_cli(&host, &ctx);
    ck_assert_str_eq(host, "tcp://b:1");
    ck_assert_ptr_null(ctx);
    ep_engine_use("box");
    ep_get_cli(&host, &ctx);
    ck_assert_ptr_null(host);
    ck_assert_str_eq(ctx, "box");
    ep_engine_use(NULL);
    ep_get_cli(&host, &ctx);
    ck_assert_str_eq(host, "unix:///orig.sock");
    ck_assert_ptr_null(ctx);
    ep_set_cli(NULL, NULL);
    sb_release(&err);
}
END_TEST

/* ---- the real engine ---- */

static char *orig_host; /* DOCKER_HOST as the test run was started with */

/* A tar holding one Dockerfile (and an optional padding file), in memory. */
static void make_tar(strbuf *out, const char *dockerfile, size_t pad)
{
    struct archive *a = archive_write_new();
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    size_t cap = 64 * 1024 + pad * 2, used = 0;
    char *buf = xmalloc(cap);
    ck_assert_int_eq(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    const char *names[2] = {"Dockerfile", "pad"};
    for (int i = 0; i < (pad ? 2 : 1); i++) {
        size_t len = i == 0 ? strlen(dockerfile) : pad;
        char *data = i == 0 ? xstrdup(dockerfile) : xcalloc(1, pad);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_mtime(e, 0, 0);
        ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
        ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
        archive_entry_free(e);
        free(data);
    }
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_free(a), ARCHIVE_OK);
    sb_add(out, buf, used);
    free(buf);
}

typedef struct memsrc {
    const strbuf *data;
    size_t at;
} memsrc;

/* Hands the tar out in small pieces, as a streaming producer would. */
static size_t mem_read(char *buf, size_t len, void *ud)
{
    memsrc *m = ud;
    size_t k = m->data->len - m->at;
    if (k > 4093)
        k = 4093;
    if (k > len)
        k = len;
    memcpy(buf, m->data->buf + m->at, k);
    m->at += k;
    return k;
}

/* A client for the real engine, or NULL (with a SKIP note) when none answers. */
static dk_client *real_engine(strbuf *err)
{
    if (orig_host)
        setenv("DOCKER_HOST", orig_host, 1);
    else
        unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_API_VERSION");
    cancel_reset();
    dk_client *c = dk_open(err);
    ck_assert_msg(c != NULL, "%s", err->buf);
    if (dk_negotiate(c, err) != 0) {
        fprintf(stderr, "test_docker: SKIP real engine tests: %s\n", err->buf);
        dk_close(c);
        return NULL;
    }
    return c;
}

static int real_build(dk_client *c, const char *query, const char *dockerfile, size_t pad, got *g,
                      strbuf *err)
{
    strbuf tar = STRBUF_INIT;
    make_tar(&tar, dockerfile, pad);
    memsrc m = {.data = &tar};
    int rc = dk_build(c, query, mem_read, &m, got_msg, g, err);
    if (rc == 0)
        ck_assert_uint_eq(m.at, tar.len);
    sb_release(&tar);
    return rc;
}

START_TEST(real_engine_build)
{
    strbuf err = STRBUF_INIT;
    dk_client *c = real_engine(&err);
    if (!c) {
        sb_release(&err);
        return;
    }
    ck_assert_ptr_nonnull(dk_api_version(c));
    got g = {0};
    int rc = real_build(c, "rm=1&forcerm=1", "FROM fuse-test/busybox\nRUN true\n", 0, &g, &err);
    ck_assert_msg(rc == 0, "%s (is fuse-test/busybox there? tests/integration/engine.sh)", err.buf);
    ck_assert_msg(strncmp(g.aux, "sha256:", 7) == 0, "aux ID: '%s'", g.aux);
    ck_assert_ptr_nonnull(strstr(g.streams.buf, "Step 1/2 : FROM fuse-test/busybox"));
    dk_close(c);
    got_free(&g);
    sb_release(&err);
}
END_TEST

START_TEST(real_engine_failing_step)
{
    strbuf err = STRBUF_INIT;
    dk_client *c = real_engine(&err);
    if (!c) {
        sb_release(&err);
        return;
    }
    got g = {0};
    int rc = real_build(c, "rm=1&forcerm=1", "FROM fuse-test/busybox\nRUN false\n", 0, &g, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.buf, "returned a non-zero code: 1") != NULL, "%s", err.buf);
    ck_assert_str_eq(g.error, err.buf);
    dk_close(c);
    got_free(&g);
    sb_release(&err);
}
END_TEST

/* A bad tag is refused before Docker reads the context (4 MiB here). */
START_TEST(real_engine_refuses_early)
{
    strbuf err = STRBUF_INIT;
    dk_client *c = real_engine(&err);
    if (!c) {
        sb_release(&err);
        return;
    }
    got g = {0};
    int rc = real_build(c, "t=Bad%20Tag%3A%3A", "FROM fuse-test/busybox\n", 4 << 20, &g, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strncmp(err.buf, "Docker: ", 8) == 0, "%s", err.buf);
    ck_assert_ptr_null(strchr(err.buf, '\n'));
    dk_close(c);
    got_free(&g);
    sb_release(&err);
}
END_TEST

Suite *docker_suite(void)
{
    const char *h = getenv("DOCKER_HOST");
    orig_host = h ? xstrdup(h) : NULL;
    Suite *s = suite_create("docker");
    TCase *tc = tcase_create("fake");
    tcase_add_test(tc, negotiate_newer_server_uses_ours);
    tcase_add_test(tc, negotiate_older_server_uses_its);
    tcase_add_test(tc, negotiate_too_old_server);
    tcase_add_test(tc, negotiate_http_error);
    tcase_add_test(tc, api_version_override_makes_no_version_request);
    tcase_add_test(tc, ping_tells_podman);
    tcase_add_test(tc, ping_tells_docker);
    tcase_add_test(tc, ping_without_version_asks_version);
    tcase_add_test(tc, bad_environment);
    tcase_add_test(tc, good_hosts);
    tcase_add_test(tc, tls_cert_without_key);
    tcase_add_test(tc, no_socket);
    tcase_add_test(tc, permission_denied);
    tcase_add_test(tc, build_streams_body_and_split_answer);
    tcase_add_test(tc, build_error_message_in_stream);
    tcase_add_test(tc, build_connection_cut);
    tcase_add_test(tc, build_http_500);
    tcase_add_test(tc, build_early_answer);
    tcase_add_test(tc, interrupt_while_streaming_closes_connection);
    tcase_add_test(tc, interrupt_while_uploading);
    tcase_add_test(tc, tcp_host);
    tcase_add_test(tc, tls_verify_against_plain_http);
    tcase_add_test(tc, urlencode);
    tcase_add_test(tc, engine_names);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    TCase *real = tcase_create("real engine");
    tcase_add_test(real, real_engine_build);
    tcase_add_test(real, real_engine_failing_step);
    tcase_add_test(real, real_engine_refuses_early);
    tcase_set_timeout(real, 300);
    suite_add_tcase(s, real);
    return s;
}

TEST_MAIN(docker_suite)

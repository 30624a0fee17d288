/* test_build.c -- build_run against a fake Docker engine on a unix socket.
 *
 * The fake (fakeengine.h) answers POST /build with a canned response stream,
 * records the request line and the (chunked) tar it received, so the whole
 * path is checked without a daemon: query, context, progress lines, the
 * final line and the failure report. */
#include "build.h"
#include "fakeengine.h"
#include "mem.h"
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct run {
    int rc;
    char *out;
    size_t out_len;
    strbuf err;
    fake f; /* what the engine received */
} run;

/* Where the test's Execute was yielded, as the Lua host records it; NULL
 * for a bundle made without a task file. */
static const char *exec_where;

static void add(bundle *b, const char *type, const char *name, const char *k, const char *v,
                const char *where)
{
    strbuf err = STRBUF_INIT;
    fv *f = fv_map();
    fv_set(f, "name", fv_strz(name));
    fv_set(f, k, fv_strz(v));
    ck_assert_msg(bundle_add(b, rt_find(type), f, where, &err) == 0, "%s", err.buf);
    sb_release(&err);
}

/* inspect: the engine's answer about the base image, or NULL for "no such
 * image"; pulled: its answer after a pull, or NULL when it refuses to pull;
 * extra, when given, is set over the options (and consumed). */
static void run_build_full(const char *response, const char *inspect, const char *pulled,
                           const build_flags *fl, fv *extra, run *r)
{
    fake_start_inspect(&r->f, response, inspect, pulled);
    /* The API version given: the build is the engine's one request. */
    setenv("DOCKER_API_VERSION", "1.41", 1);
    /* The fake engine answers in the classic builder's words. */
    setenv("DOCKER_BUILDKIT", "0", 1);
    bundle b;
    bundle_init(&b);
    add(&b, "File", "/index.html", "contents", "HELLO WORLD!", NULL);
    add(&b, "Execute", "check", "command", "true", exec_where);
    fv *o = fv_map();
    fv_set(o, "from_image", fv_strz("fuse-test/busybox"));
    fv_set(o, "tag", fv_strz("fuse-it/x:1"));
    fv_set(o, "no_cache", fv_bool(1));
    for (size_t i = 0; extra && i < extra->n; i++)
        fv_set(o, extra->keys[i], fv_copy(extra->items[i]));
    fv_free(extra);
    FILE *out = open_memstream(&r->out, &r->out_len);
    sb_init(&r->err);
    r->rc = build_run(o, &b, fl, out, &r->err);
    ck_assert_int_eq(fclose(out), 0);
    fake_stop(&r->f);
    ck_assert_msg(r->f.n_build == 1 && r->f.chunked && r->f.body_complete,
                  "fake engine failed: %d builds", r->f.n_build);
    fv_free(o);
    bundle_free(&b);
}

/* extra, when given, is set over the options (and consumed). */
static void run_build_with(const char *response, const build_flags *fl, fv *extra, run *r)
{
    run_build_full(response, NULL, NULL, fl, extra, r);
}

/* With user as the user option (NULL: none) on a base described by inspect
 * and pulled. */
static void run_build_as(const char *response, const char *user, const char *inspect,
                         const char *pulled, const build_flags *fl, run *r)
{
    fv *extra = NULL;
    if (user) {
        extra = fv_map();
        fv_set(extra, "user", fv_strz(user));
    }
    run_build_full(response, inspect, pulled, fl, extra, r);
}

static void run_build(const char *response, const build_flags *fl, run *r)
{
    run_build_with(response, fl, NULL, r);
}

static void run_free(run *r)
{
    free(r->out);
    sb_release(&r->err);
    fake_free(&r->f);
}

/* The tar body the engine received, at its first entry, the Dockerfile. */
static struct archive *open_body(const run *r, struct archive_entry **e)
{
    struct archive *a = archive_read_new();
    ck_assert_int_eq(archive_read_support_format_tar(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_read_open_memory(a, r->f.body.buf, r->f.body.len), ARCHIVE_OK);
    ck_assert_int_eq(archive_read_next_header(a, e), ARCHIVE_OK);
    ck_assert_str_eq(archive_entry_pathname(*e), "Dockerfile");
    return a;
}

#define RUN1 "[\\\"/.fuse/fuse-apply\\\"]"
static const char *const steps =
    "{\"stream\":\"Step 1/6 : FROM fuse-test/busybox\"}\r\n{\"stream\":\"\\n\"}"
    "{\"stream\":\" ---\\u003e fc4aa6640cb5\\n\"}\n"
    "{\"stream\":\"Step 2/6 : COPY fuse-apply /.fuse/fuse-apply\\n ---\\u003e Using cache\\n\"}"
    "{\"stream\":\"Step 3/6 : RUN " RUN1 "\\n\"}"
    "{\"stream\":\" ---\\u003e Running in 0123\\n\"}"
    "{\"stream\":\"file written\\n\"}"
    "{\"stream\":\"Removing intermediate container 0123\\n\"}"
    "{\"stream\":\"Step 4/6 : RUN " RUN1 "\\n\"}"
    "{\"stream\":\" ---\\u003e Running in 4567\\n\"}"
    "{\"stream\":\"\\u001b[91mchecking\\nfailed: bo\"}{\"stream\":\"om\\n\"}"
    "{\"stream\":\"\\u001b[0mRemoving intermediate container 4567\\n\"}";

/* Docker's end of a failed RUN of fuse-apply. */
#define RUN_FAILED                                                                                 \
    "{\"errorDetail\":{\"code\":1,\"message\":\"The command '/.fuse/fuse-apply --json {}' "        \
    "returned a non-zero code: 1\"},\"error\":\"The command '/.fuse/fuse-apply --json {}' "        \
    "returned a non-zero code: 1\"}\r\n"

START_TEST(test_success)
{
    strbuf resp = STRBUF_INIT;
    sb_adds(&resp, steps);
    sb_adds(&resp, "{\"stream\":\"Step 5/6 : RUN cleanup\\n\"}"
                   "{\"stream\":\"Step 6/6 : CMD x\\n\"}"
                   "{\"aux\":{\"ID\":\"sha256:0123456789abcdef0123\"}}"
                   "{\"stream\":\"Successfully built 0123456789ab\\n\"}"
                   "{\"stream\":\"Successfully tagged fuse-it/x:1\\n\"}");
    build_flags fl = {0};
    run r;
    run_build(resp.buf, &fl, &r);
    ck_assert_msg(r.rc == BUILD_OK, "%s", r.err.buf);
    ck_assert_str_eq(r.out, "[1/2] File /index.html\n"
                            "[2/2] Execute check\n"
                            "fuse: built sha256:0123456789ab as fuse-it/x:1\n");
    const char *req = r.f.requests.buf;
    ck_assert_ptr_nonnull(req);
    /* The base image's ID and USER first, asked before the engine is
     * identified (an inspect reads the same on every engine); the engine
     * has no such image and cannot pull it: the build goes on (and would
     * say). */
    ck_assert_str_eq(req,
                     "GET /v1.41/images/fuse-test/busybox/json HTTP/1.1\n"
                     "GET /_ping HTTP/1.1\n"
                     "POST /v1.41/images/create?fromImage=fuse-test%2Fbusybox&tag=latest "
                     "HTTP/1.1\n"
                     "POST /v1.41/build?rm=1&forcerm=1&t=fuse-it%2Fx%3A1&nocache=1 HTTP/1.1\n");

    /* The body was the tar context: Dockerfile and the payload directory. */
    struct archive_entry *e;
    struct archive *a = open_body(&r, &e);
    char df[64] = {0};
    ck_assert_int_ge(archive_read_data(a, df, sizeof df - 1), 20);
    ck_assert(!strncmp(df, "FROM fuse-test/busybox\n", 23));
    ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
    ck_assert_str_eq(archive_entry_pathname(e), "fuse/fuse-apply");
    ck_assert_int_eq(archive_entry_perm(e), 0755);
    ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
    ck_assert_str_eq(archive_entry_pathname(e), "fuse/key");
    ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_EOF);
    ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
    run_free(&r);
    sb_release(&resp);
}
END_TEST

/* The Dockerfile the engine received. */
static char *body_dockerfile(const run *r)
{
    struct archive_entry *e;
    struct archive *a = open_body(r, &e);
    char *df = xcalloc(1, 4096);
    ck_assert_int_gt(archive_read_data(a, df, 4095), 0);
    ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
    return df;
}

#define ROOT_FIRST "FROM fuse-test/busybox\nUSER root\n"
static const char *const built = "{\"aux\":{\"ID\":\"sha256:0123456789abcdef0123\"}}";

/* Builds with the user option user on a base the engine describes with
 * inspect; checks the inspects made, then that the steps ran as root and
 * the image ends as final_user (NULL: no USER at all). */
static void check_user(const char *user, const char *inspect, const char *pulled, int inspects,
                       const char *final_user)
{
    build_flags fl = {.quiet = 1};
    run r;
    run_build_as(built, user, inspect, pulled, &fl, &r);
    ck_assert_msg(r.rc == BUILD_OK, "%s", r.err.buf);
    ck_assert_int_eq(r.f.n_inspect, inspects);
    char *df = body_dockerfile(&r);
    if (final_user) {
        char tail[64];
        /* the last instruction but the label of the build's keys */
        snprintf(tail, sizeof tail, "\nUSER \"%s\"\nLABEL \"fuse.plan\"=", final_user);
        ck_assert_msg(!strncmp(df, ROOT_FIRST, strlen(ROOT_FIRST)), "%s", df);
        ck_assert_msg(strstr(df, tail), "%s", df);
    } else {
        ck_assert_msg(!strstr(df, "USER"), "%s", df);
    }
    free(df);
    run_free(&r);
}

/* A base image whose USER is not root: the steps run as root, the image
 * ends as the base's user. */
START_TEST(test_base_user_restored)
{
    check_user(NULL, "{\"Id\":\"sha256:1\",\"Config\":{\"User\":\"app\",\"Env\":[]}}", NULL, 1,
               "app");
}
END_TEST

/* A root base (USER unset or 0:0), and a base the engine does not have: no USER. */
START_TEST(test_base_user_root)
{
    check_user(NULL, "{\"Config\":{\"User\":\"\"}}", NULL, 1, NULL);
    check_user(NULL, "{\"Config\":{\"User\":\"0:0\"}}", NULL, 1, NULL);
    check_user(NULL, NULL, NULL, 1, NULL);
}
END_TEST

/* With user set, the base's USER does not matter (its ID does: one inspect). */
START_TEST(test_user_option_no_inspect)
{
    check_user("www-data", "{\"Config\":{\"User\":\"app\"}}", NULL, 1, "www-data");
}
END_TEST

/* With pull, the newest base is pulled, then read: its USER, not the old one's. */
START_TEST(test_base_user_after_pull)
{
    build_flags fl = {.quiet = 1, .pull = 1};
    run r;
    run_build_full(built, "{\"Config\":{\"User\":\"old\"}}", "{\"Config\":{\"User\":\"new\"}}", &fl,
                   NULL, &r);
    ck_assert_msg(r.rc == BUILD_OK, "%s", r.err.buf);
    ck_assert_int_eq(r.f.n_pull, 1);
    ck_assert_int_eq(r.f.n_inspect, 1);
    char *df = body_dockerfile(&r);
    ck_assert_msg(strstr(df, "\nUSER \"new\"\nLABEL \"fuse.plan\"="), "%s", df);
    free(df);
    run_free(&r);
}
END_TEST

/* A base the engine does not have yet is pulled, then read. */
START_TEST(test_base_user_pulled)
{
    check_user(NULL, NULL, "{\"Config\":{\"User\":\"node\"}}", 2, "node");
}
END_TEST

START_TEST(test_failure_names_resource)
{
    strbuf resp = STRBUF_INIT;
    sb_adds(&resp, steps);
    sb_adds(&resp, RUN_FAILED);
    build_flags fl = {0};
    run r;
    run_build(resp.buf, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_FAILED);
    ck_assert_str_eq(r.out, "[1/2] File /index.html\n[2/2] Execute check\n");
    ck_assert_str_eq(r.err.buf, "build failed at [2/2] Execute[check]: fuse-apply returned "
                                "a non-zero code: 1\nchecking\nfailed: boom");
    run_free(&r);
    sb_release(&resp);
}
END_TEST

START_TEST(test_failure_before_steps)
{
    const char *resp = "{\"stream\":\"Step 1/6 : FROM nosuch/image\\n\"}"
                       "{\"errorDetail\":{\"message\":\"pull access denied for nosuch/image\"},"
                       "\"error\":\"pull access denied for nosuch/image\"}";
    build_flags fl = {0};
    run r;
    run_build(resp, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_FAILED);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err.buf, "build failed at step 1/6 (FROM nosuch/image): pull access "
                                "denied for nosuch/image");
    run_free(&r);
}
END_TEST

/* fuse(1) DIAGNOSTICS: the first line names the resource, the task file's
 * line that yielded it and the payload's reason; Docker's "returned a
 * non-zero code" is no reason. */
START_TEST(test_failure_leads_with_reason_and_yield)
{
    strbuf resp = STRBUF_INIT;
    sb_adds(&resp, steps);
    sb_adds(&resp, "{\"stream\":\"\\u001b[91mfuse-apply: Execute[check]: command exited with "
                   "status 1\\n  command: true\\n\\u001b[0m\"}" RUN_FAILED);
    build_flags fl = {0};
    run r;
    exec_where = "fusefile.lua:12";
    run_build(resp.buf, &fl, &r);
    exec_where = NULL;
    ck_assert_int_eq(r.rc, BUILD_FAILED);
    ck_assert_str_eq(r.err.buf, "build failed at [2/2] Execute[check] (fusefile.lua:12): "
                                "command exited with status 1\n"
                                "checking\nfailed: boom\n  command: true");
    run_free(&r);
    sb_release(&resp);
}
END_TEST

static int chunks;
static void count_chunk(const char *json, size_t len, void *ud)
{
    (void)ud;
    ck_assert_uint_eq(strlen(json), len);
    ck_assert_int_eq(json[0], '{');
    chunks++;
}

/* -v's output after its first line, which names the engine (the fake's
 * socket, in the default context). */
static const char *after_engine_line(const char *out)
{
    ck_assert_msg(strncmp(out, "fuse: engine unix://", 20) == 0, "no engine line: %s", out);
    const char *nl = strchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(strncmp(nl - 17, "(context default)", 17) == 0, "no context: %s", out);
    return nl + 1;
}

START_TEST(test_verbose_and_quiet)
{
    const char *resp = "{\"stream\":\"Step 1/2 : FROM x\\n\"}{\"stream\":\"Step 2/2 : RUN y\\n\"}"
                       "{\"aux\":{\"ID\":\"sha256:ffffffffffff0000\"}}";
    build_flags fl = {.verbose = 1, .on_chunk = count_chunk};
    run r;
    chunks = 0;
    run_build(resp, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_OK);
    ck_assert_int_eq(chunks, 3);
    ck_assert_str_eq(after_engine_line(r.out), "fuse: builder: classic (DOCKER_BUILDKIT=0)\n"
                                               "Step 1/2 : FROM x\nStep 2/2 : RUN y\n"
                                               "fuse: built sha256:ffffffffffff as fuse-it/x:1\n");
    run_free(&r);

    /* fuse(1): -q shows errors only (--iidfile is for scripts). */
    build_flags q = {.quiet = 1};
    run_build(resp, &q, &r);
    ck_assert_int_eq(r.rc, BUILD_OK);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
}
END_TEST

/* With pull, the base is pulled (here refused) before its USER is read;
 * /_ping first, which says which engine it is. */
#define INSPECT_BASE                                                                               \
    "GET /_ping HTTP/1.1\n"                                                                        \
    "POST /v1.41/images/create?fromImage=fuse-test%2Fbusybox&tag=latest HTTP/1.1\n"                \
    "GET /v1.41/images/fuse-test/busybox/json HTTP/1.1\n"

/* Every tag is one t= of the one request (Docker applies them all, and only
 * when the build succeeds); pull = true or --pull asks pull=1. */
START_TEST(test_tags_and_pull)
{
    static const char ok[] = "{\"aux\":{\"ID\":\"sha256:0123456789abcdef0123\"}}"
                             "{\"stream\":\"Successfully built 0123456789ab\\n\"}";
    fv *extra = fv_map();
    fv *tags = fv_list();
    fv_push(tags, fv_strz("fuse-it/x:1.4"));
    fv_push(tags, fv_strz("fuse-it/x:latest"));
    fv_set(extra, "tag", tags);
    fv_set(extra, "pull", fv_bool(1));
    build_flags fl = {0};
    run r;
    run_build_with(ok, &fl, extra, &r);
    ck_assert_msg(r.rc == BUILD_OK, "%s", r.err.buf);
    /* The base image's USER first (fuse-apply must run as root). */
    ck_assert_str_eq(r.f.requests.buf,
                     INSPECT_BASE "POST /v1.41/build?rm=1&forcerm=1&t=fuse-it%2Fx%3A1.4"
                                  "&t=fuse-it%2Fx%3Alatest&nocache=1&pull=1 HTTP/1.1\n");
    ck_assert_str_eq(r.out, "fuse: built sha256:0123456789ab as fuse-it/x:1.4, fuse-it/x:latest\n");
    run_free(&r);
    /* --pull alone; an empty tag is no tag */
    extra = fv_map();
    fv_set(extra, "tag", fv_strz(""));
    fl.pull = 1;
    run_build_with(ok, &fl, extra, &r);
    ck_assert_str_eq(r.f.requests.buf,
                     INSPECT_BASE "POST /v1.41/build?rm=1&forcerm=1&nocache=1&pull=1 HTTP/1.1\n");
    run_free(&r);
}
END_TEST

/* -v on a pipe: Docker's colour codes of a step's stderr are not passed on. */
START_TEST(test_verbose_no_colour_on_a_pipe)
{
    const char *resp = "{\"stream\":\"Step 1/2 : FROM x\\n\"}{\"stream\":\"Step 2/2 : RUN y\\n\"}"
                       "{\"stream\":\"\\u001b[91mwarning: z\\n\\u001b[0m\"}"
                       "{\"aux\":{\"ID\":\"sha256:ffffffffffff0000\"}}";
    build_flags fl = {.verbose = 1};
    run r;
    run_build(resp, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_OK);
    ck_assert_str_eq(after_engine_line(r.out), "fuse: builder: classic (DOCKER_BUILDKIT=0)\n"
                                               "Step 1/2 : FROM x\nStep 2/2 : RUN y\nwarning: z\n"
                                               "fuse: built sha256:ffffffffffff as fuse-it/x:1\n");
    run_free(&r);
}
END_TEST

/* --iidfile: the full ID after a success; after a failure no file at all,
 * not even the one an earlier build left. */
START_TEST(test_iidfile)
{
    char dir[] = "/tmp/fuse-iidfile.XXXXXX", iid[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(iid, sizeof iid, "%s/iid", dir);
    const char *ok = "{\"stream\":\"Step 1/1 : FROM x\\n\"}"
                     "{\"aux\":{\"ID\":\"sha256:ffffffffffff0000\"}}";
    build_flags fl = {.quiet = 1, .iidfile = iid};
    run r;
    run_build(ok, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_OK);
    ck_assert_str_eq(r.out, "");
    char *got = test_slurp(iid);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "sha256:ffffffffffff0000");
    free(got);
    run_free(&r);

    const char *bad = "{\"stream\":\"Step 1/1 : FROM x\\n\"}"
                      "{\"errorDetail\":{\"message\":\"no\"},\"error\":\"no\"}";
    run_build(bad, &fl, &r);
    ck_assert_int_eq(r.rc, BUILD_FAILED);
    ck_assert_ptr_null(test_slurp(iid));
    run_free(&r);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

Suite *build_suite(void)
{
    Suite *s = suite_create("build");
    TCase *tc = tcase_create("fake engine");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_success);
    tcase_add_test(tc, test_base_user_restored);
    tcase_add_test(tc, test_base_user_root);
    tcase_add_test(tc, test_user_option_no_inspect);
    tcase_add_test(tc, test_base_user_pulled);
    tcase_add_test(tc, test_base_user_after_pull);
    tcase_add_test(tc, test_failure_names_resource);
    tcase_add_test(tc, test_failure_before_steps);
    tcase_add_test(tc, test_failure_leads_with_reason_and_yield);
    tcase_add_test(tc, test_verbose_and_quiet);
    tcase_add_test(tc, test_tags_and_pull);
    tcase_add_test(tc, test_verbose_no_colour_on_a_pipe);
    tcase_add_test(tc, test_iidfile);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(build_suite)

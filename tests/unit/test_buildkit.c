/* test_buildkit.c -- BuildKit's trace (bktrace.c), its dialect
 * (dl_buildkit.c) and the choice of builder (dkb_choose). The trace
 * messages are encoded here as BuildKit's control.proto has them. */
#include "bktrace.h"
#include "dialect.h"
#include "dkbuild.h"
#include "fvjson.h"
#include "testutil.h"

#include <string.h>

/* ---- a protobuf writer for the test's messages ---- */

static void pb_varint(strbuf *b, unsigned long long v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        sb_addc(b, (char)(c | (v ? 0x80 : 0)));
    } while (v);
}

static void pb_bytes(strbuf *b, int num, const char *p, size_t n)
{
    pb_varint(b, (unsigned long long)num << 3 | 2);
    pb_varint(b, n);
    sb_add(b, p, n);
}

static void pb_str(strbuf *b, int num, const char *s)
{
    pb_bytes(b, num, s, strlen(s));
}

static void pb_int(strbuf *b, int num, unsigned long long v)
{
    pb_varint(b, (unsigned long long)num << 3);
    pb_varint(b, v);
}

/* A Vertex: started/completed as empty Timestamps, cached, error. */
static void pb_vertex(strbuf *resp, const char *digest, const char *name, int started,
                      int completed, int cached, const char *error)
{
    strbuf v = STRBUF_INIT;
    pb_str(&v, 1, digest);
    pb_str(&v, 2, "sha256:input");
    pb_str(&v, 3, name);
    if (cached)
        pb_int(&v, 4, 1);
    if (started)
        pb_bytes(&v, 5, "\x08\x01", 2);
    if (completed)
        pb_bytes(&v, 6, "\x08\x02", 2);
    if (error)
        pb_str(&v, 7, error);
    pb_int(&v, 99, 5); /* a field from a newer BuildKit */
    pb_bytes(resp, 1, v.buf, v.len);
    sb_release(&v);
}

static void pb_log(strbuf *resp, const char *digest, int fd, const char *msg)
{
    strbuf l = STRBUF_INIT;
    pb_str(&l, 1, digest);
    pb_bytes(&l, 2, "\x08\x01", 2);
    pb_int(&l, 3, (unsigned long long)fd);
    pb_str(&l, 4, msg);
    pb_bytes(resp, 3, l.buf, l.len);
    sb_release(&l);
}

/* ---- the dialect's events ---- */

static void record(const dk_event *e, void *ud)
{
    static const char *const kind[] = {"STEP", "OUTPUT", "NOTE", "IMAGE", "ERROR"};
    strbuf *out = ud;
    sb_addf(out, "%s %ld/%ld %s", kind[e->kind], e->step, e->nsteps, e->text);
    if (e->kind == DK_EV_ERROR)
        sb_addf(out, " [%d]", e->code);
    if (!e->raw)
        sb_adds(out, " (quiet)");
    sb_addc(out, '\n');
}

static void feed_trace(void *st, strbuf *resp)
{
    strbuf b64 = STRBUF_INIT;
    fvj_base64_encode((const unsigned char *)resp->buf, resp->len, &b64);
    dk_msg m = {.json = "{}", .json_len = 2, .id = "moby.buildkit.trace", .aux = b64.buf};
    dl_buildkit.message(st, &m);
    sb_release(&b64);
    sb_reset(resp);
}

static const char dockerfile[] = "# syntax comment\n"
                                 "FROM base AS build\n"
                                 "RUN [\"make\"]\n"
                                 "\n"
                                 "FROM fuse-test/busybox\n"
                                 "USER root\n"
                                 "COPY fuse /.fuse/\n"
                                 "RUN [\"a\", \\\n"
                                 "     \"b\"]\n"
                                 "COPY --from=build /x /x\n"
                                 "ENV X=1\n"
                                 "RUN [\"c\"]\n"
                                 "CMD [\"sh\"]\n";

START_TEST(test_buildkit_events)
{
    strbuf out = STRBUF_INIT, r = STRBUF_INIT;
    void *st = dl_buildkit.open(record, &out);
    dl_buildkit.plan(st, dockerfile);
    pb_vertex(&r, "d0", "[internal] load remote build context", 1, 1, 0, NULL);
    pb_vertex(&r, "d1", "[build 1/2] FROM docker.io/library/base", 1, 1, 1, NULL);
    pb_vertex(&r, "d3", "[stage-1 1/5] FROM docker.io/fuse-test/busybox", 1, 0, 0, NULL);
    feed_trace(st, &r);
    pb_vertex(&r, "d4", "[stage-1 2/5] COPY fuse /.fuse/", 1, 1, 0, NULL);
    pb_vertex(&r, "d5", "[stage-1 3/5] RUN [\"a\", \"b\"]", 1, 0, 0, NULL);
    pb_log(&r, "d5", 1, "one\ntw");
    feed_trace(st, &r);
    pb_vertex(&r, "d2", "[build 2/2] RUN [\"make\"]", 1, 0, 0, NULL);
    pb_log(&r, "d2", 2, "making\n");
    pb_log(&r, "d5", 2, "o\n\033[31mthree\033[0m\n");
    pb_vertex(&r, "d5", "[stage-1 3/5] RUN [\"a\", \"b\"]", 1, 1, 0,
              "process \"a b\" did not complete successfully: exit code: 4");
    pb_vertex(&r, "d2", "[build 2/2] RUN [\"make\"]", 1, 1, 0, "context canceled");
    feed_trace(st, &r);
    dk_msg err = {.json = "{}", .json_len = 2, .error = "exit code: 4"};
    dl_buildkit.message(st, &err);
    dl_buildkit.finish(st);
    dl_buildkit.close(st);
    ck_assert_str_eq(out.buf, "NOTE 0/10 #1 [internal] load remote build context\n"
                              "NOTE 0/10 #1 DONE\n"
                              "STEP 1/10 FROM docker.io/library/base\n"
                              "NOTE 1/10 #2 CACHED\n"
                              "STEP 3/10 FROM docker.io/fuse-test/busybox\n"
                              "STEP 5/10 COPY fuse /.fuse/\n"
                              "NOTE 5/10 #4 DONE\n"
                              "STEP 6/10 RUN [\"a\", \"b\"]\n"
                              "OUTPUT 6/10 one\n"
                              "STEP 2/10 RUN [\"make\"]\n"
                              "OUTPUT 2/10 making\n"
                              "OUTPUT 6/10 two\n"
                              "OUTPUT 6/10 three\n"
                              "STEP 6/10  (quiet)\n"
                              "OUTPUT 6/10 one (quiet)\n"
                              "OUTPUT 6/10 two (quiet)\n"
                              "OUTPUT 6/10 three (quiet)\n"
                              "ERROR 6/10 process \"a b\" did not complete successfully: exit "
                              "code: 4 [4] (quiet)\n");
    sb_release(&out);
    sb_release(&r);
}
END_TEST

/* A one-stage build: no stage name, counts padded; the image ID. */
START_TEST(test_buildkit_one_stage)
{
    strbuf out = STRBUF_INIT, r = STRBUF_INIT;
    void *st = dl_buildkit.open(record, &out);
    strbuf df = STRBUF_INIT;
    sb_adds(&df, "FROM scratch\n");
    for (int i = 0; i < 10; i++)
        sb_addf(&df, "RUN [\"%d\"]\n", i);
    dl_buildkit.plan(st, df.buf);
    pb_vertex(&r, "d9", "[ 9/10] RUN [\"8\"]", 1, 0, 0, NULL);
    pb_vertex(&r, "dx", "[11/10] RUN [\"8\"]", 1, 0, 0, NULL);
    feed_trace(st, &r);
    dk_msg bad = {.json = "{}", .json_len = 2, .id = "moby.buildkit.trace", .aux = "!!"};
    dl_buildkit.message(st, &bad);
    dk_msg img = {.json = "{}", .json_len = 2, .id = "moby.image.id", .aux_id = "sha256:0123"};
    dl_buildkit.message(st, &img);
    dl_buildkit.finish(st);
    dl_buildkit.close(st);
    ck_assert_str_eq(out.buf, "STEP 10/11 RUN [\"8\"]\n"
                              "NOTE 10/11 #2 [11/10] RUN [\"8\"]\n"
                              "NOTE 10/11 (an unreadable BuildKit trace message) (quiet)\n"
                              "IMAGE 10/11 sha256:0123 (quiet)\n");
    sb_release(&out);
    sb_release(&r);
    sb_release(&df);
}
END_TEST

/* Malformed protobuf is refused, never read past its end. */
START_TEST(test_bktrace_malformed)
{
    bkt_handler h = {0};
    ck_assert_int_eq(bkt_parse((const unsigned char *)"\x0a\x05\x0a", 3, &h), -1);
    ck_assert_int_eq(bkt_parse((const unsigned char *)"\x0b", 1, &h), -1); /* a group */
    ck_assert_int_eq(
        bkt_parse((const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, &h),
        -1);
    ck_assert_int_eq(bkt_parse((const unsigned char *)"", 0, &h), 0);
    ck_assert_int_eq(bkt_parse((const unsigned char *)"\x08\x01\x1a\x00", 4, &h), 0);
}
END_TEST

static const char *choose(int podman, const char *api, int containerd, const char *env,
                          int *fallback)
{
    dkb_engine e = {.podman = podman, .api = api, .containerd = containerd, .env = env};
    dkb_builder b;
    const char *why = NULL;
    strbuf err = STRBUF_INIT;
    int rc = dkb_choose(&e, &b, &why, fallback, &err);
    static char res[160];
    snprintf(res, sizeof res, "%s", rc < 0 ? err.buf : b == DKB_BUILDKIT ? "BuildKit" : "classic");
    sb_release(&err);
    return res;
}

START_TEST(test_choose)
{
    int fb;
    ck_assert_str_eq(choose(0, "1.41", 0, NULL, &fb), "BuildKit");
    ck_assert_int_eq(fb, 0);
    ck_assert_str_eq(choose(0, "1.41", 0, "0", &fb), "classic");
    ck_assert_int_eq(fb, 0);
    ck_assert_str_eq(choose(0, "1.41", 0, "false", &fb), "classic");
    ck_assert_str_eq(choose(0, "1.41", 0, "TRUE", &fb), "BuildKit");
    ck_assert_str_eq(choose(0, "1.38", 0, NULL, &fb), "classic");
    ck_assert_int_eq(fb, 0);
    ck_assert_str_eq(choose(0, "1.38", 0, "1", &fb), "classic");
    ck_assert_int_eq(fb, 1);
    ck_assert_str_eq(choose(0, "1.45", 1, NULL, &fb), "classic");
    ck_assert_int_eq(fb, 1);
    ck_assert_str_eq(choose(1, "1.41", 0, "1", &fb), "classic");
    ck_assert_int_eq(fb, 0);
    dkb_engine raw = {.api = "1.41", .raw = 1};
    dkb_builder b;
    const char *why;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(dkb_choose(&raw, &b, &why, &fb, &err), 0);
    ck_assert_int_eq(b, DKB_CLASSIC);
    raw.env = "1";
    ck_assert_int_eq(dkb_choose(&raw, &b, &why, &fb, &err), 0);
    ck_assert_int_eq(b, DKB_BUILDKIT);
    sb_release(&err);
    ck_assert_str_eq(choose(0, "1.41", 0, "yes", &fb),
                     "DOCKER_BUILDKIT must be a boolean (1 or 0), not 'yes'");
}
END_TEST

Suite *buildkit_suite(void)
{
    Suite *s = suite_create("buildkit");
    TCase *tc = tcase_create("buildkit");
    tcase_add_test(tc, test_buildkit_events);
    tcase_add_test(tc, test_buildkit_one_stage);
    tcase_add_test(tc, test_bktrace_malformed);
    tcase_add_test(tc, test_choose);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(buildkit_suite)

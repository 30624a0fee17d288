/* test_secret.c -- secrets in memory and their frames (secret.c), and
 * their sources (secsrc.c). */
#include "secret.h"
#include "secsrc.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct mem_in {
    const char *p;
    size_t left;
} mem_in;

/* Hands out one byte at a time: the reader must not depend on read sizes. */
static long mem_read(void *ud, char *buf, size_t n)
{
    mem_in *in = ud;
    if (!in->left || !n)
        return 0;
    *buf = *in->p++;
    in->left--;
    return 1;
}

static const char *frames_err(const char *text, size_t len)
{
    static strbuf err = STRBUF_INIT;
    mem_in in = {text, len};
    sec_set s = {0};
    sb_reset(&err);
    if (sec_frames_read(mem_read, &in, &s, &err) == 0)
        sb_adds(&err, "ok");
    sec_set_free(&s);
    return err.buf;
}

/* Written frames read back, and the reader stops at the end mark. */
START_TEST(test_frames)
{
    sec_buf v = {0}, out = {0};
    ck_assert_int_eq(sec_buf_add(&v, "a\0b\nc", 5), 0);
    sec_frame(&out, "tok", &v);
    sec_frame_end(&out);
    ck_assert_int_eq(sec_buf_add(&out, "rest", 4), 0);
    mem_in in = {out.p, out.len};
    sec_set s = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(sec_frames_read(mem_read, &in, &s, &err), 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(s.items[0].val.len, 5);
    ck_assert_int_eq(memcmp(s.items[0].val.p, "a\0b\nc", 5), 0);
    ck_assert_uint_eq(in.left, 4);
    sec_set_free(&s);
    sec_buf_free(&v);
    sec_buf_free(&out);
    ck_assert_ptr_null(out.p);
    ck_assert_str_eq(frames_err("tok 3\nab", 8), "secrets: the value of tok is cut short");
    ck_assert_str_eq(frames_err("tok 1\na", 7), "secrets: the input ended before its end mark");
    ck_assert_str_eq(frames_err("../x 1\na.\n", 10), "secrets: a frame header is not NAME LENGTH");
    ck_assert_str_eq(frames_err("t 1\nat 1\nb.\n", 12), "secrets: t comes twice");
    ck_assert_str_eq(frames_err("t 9999999999\n", 13),
                     "secrets: a frame header is not NAME LENGTH");
    ck_assert_str_eq(frames_err(".\n", 2), "ok");
    sb_release(&err);
}
END_TEST

START_TEST(test_names)
{
    ck_assert(sec_name_ok("npm_token"));
    ck_assert(sec_name_ok("a.b-C9"));
    ck_assert(!sec_name_ok(""));
    ck_assert(!sec_name_ok(".hidden"));
    ck_assert(!sec_name_ok("a/b"));
    ck_assert(!sec_name_ok("a b"));
}
END_TEST

static const char *load(const char *json, const char *dir)
{
    static strbuf err = STRBUF_INIT;
    fv *decl = test_json(json);
    sec_set s = {0};
    sb_reset(&err);
    if (ssrc_load(decl, dir, &s, &err) == 0) {
        sb_adds(&err, "ok:");
        for (size_t i = 0; i < s.n; i++)
            sb_addf(&err, " %s=%s", s.items[i].name, s.items[i].val.p);
    }
    sec_set_free(&s);
    fv_free(decl);
    return err.buf;
}

/* Each source, relative paths and ~, and each way a source fails. */
START_TEST(test_sources)
{
    char dir[256], path[300];
    test_tmpdir(dir, sizeof dir, "secsrc");
    snprintf(path, sizeof path, "%s/k", dir);
    test_write(path, "filev", 5);
    snprintf(path, sizeof path, "%s/empty", dir);
    test_write(path, "", 0);
    setenv("FUSE_T_SECRET", "envv", 1);
    setenv("FUSE_T_EMPTY", "", 1);
    unsetenv("FUSE_T_UNSET");
    setenv("HOME", dir, 1);
    ck_assert_str_eq(load("{\"a\":{\"env\":\"FUSE_T_SECRET\"},\"b\":{\"file\":\"k\"},"
                          "\"c\":{\"file\":\"~/k\"},\"d\":{\"command\":\"printf 'cv\\\\n\\\\n'\"}}",
                          dir),
                     "ok: a=envv b=filev c=filev d=cv\n");
    ck_assert_str_eq(load("{\"a\":{\"env\":\"FUSE_T_UNSET\"}}", dir),
                     "secrets.a: environment variable FUSE_T_UNSET is not set");
    ck_assert_str_eq(load("{\"a\":{\"env\":\"FUSE_T_EMPTY\"}}", dir),
                     "secrets.a: environment variable FUSE_T_EMPTY is empty");
    ck_assert_str_eq(load("{\"a\":{\"command\":\"exit 4\"}}", dir),
                     "secrets.a: its command failed (exit status 4)");
    ck_assert_str_eq(load("{\"a\":{\"command\":\"echo\"}}", dir),
                     "secrets.a: its command printed nothing");
    strbuf want = STRBUF_INIT;
    sb_addf(&want, "secrets.a: %s/empty is empty", dir);
    ck_assert_str_eq(load("{\"a\":{\"file\":\"./empty\"}}", dir), want.buf);
    sb_reset(&want);
    sb_addf(&want, "secrets.a: cannot read %s/none: No such file or directory", dir);
    ck_assert_str_eq(load("{\"a\":{\"file\":\"none\"}}", dir), want.buf);
    sb_release(&want);
    test_rmtree(dir);
}
END_TEST

Suite *secret_suite(void)
{
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_frames);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_sources);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(secret_suite)

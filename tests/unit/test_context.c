/* test_context.c -- the tar build context, read back with libarchive. */
#include "context.h"
#include "mem.h"
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static void setup(void)
{
    test_tmpdir(tmpdir, sizeof tmpdir, "ctx-test");
}

static void teardown(void)
{
    ck_assert_int_eq(test_rmtree(tmpdir), 0);
}

/* Reads the whole stream in reads of `chunk` bytes (odd sizes on purpose). */
static int drain(ctx *c, size_t chunk, strbuf *out)
{
    char *buf = xmalloc(chunk);
    size_t n;
    while ((n = ctx_read(c, buf, chunk)) != 0) {
        if (n == (size_t)-1) {
            free(buf);
            return -1;
        }
        ck_assert_uint_le(n, chunk);
        sb_add(out, buf, n);
    }
    free(buf);
    return 0;
}

typedef struct got {
    char name[64];
    strbuf data;
    unsigned mode;
    long long uid, gid, mtime;
    const char *uname;
} got;

/* Reads the tar back; returns the number of entries. */
static size_t untar(const strbuf *tar, got *g, size_t max)
{
    struct archive *a = archive_read_new();
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(archive_read_support_format_tar(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_read_open_memory(a, tar->buf, tar->len), ARCHIVE_OK);
    struct archive_entry *e;
    size_t n = 0;
    int rc;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        ck_assert_uint_lt(n, max);
        got *x = &g[n++];
        snprintf(x->name, sizeof x->name, "%s", archive_entry_pathname(e));
        x->mode = archive_entry_mode(e);
        x->uid = archive_entry_uid(e);
        x->gid = archive_entry_gid(e);
        x->mtime = archive_entry_mtime(e);
        x->uname = archive_entry_uname(e);
        ck_assert(x->uname == NULL || *x->uname == '\0');
        sb_init(&x->data);
        char buf[8192];
        la_ssize_t r;
        while ((r = archive_read_data(a, buf, sizeof buf)) > 0)
            sb_add(&x->data, buf, (size_t)r);
        ck_assert_int_eq(r, 0);
        ck_assert_int_eq(archive_entry_size(e), (la_int64_t)x->data.len);
    }
    ck_assert_int_eq(rc, ARCHIVE_EOF);
    ck_assert_int_eq(archive_read_free(a), ARCHIVE_OK);
    return n;
}

static void got_free(got *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_release(&g[i].data);
}

/* 200 KiB of a pattern, so data crosses several 64 KiB pieces. */
static char *pattern(size_t n)
{
    char *p = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 7 + i / 251);
    return p;
}

START_TEST(test_contents_read_back)
{
    size_t big_n = 200 * 1024 + 3;
    char *big = pattern(big_n);
    char src[128];
    snprintf(src, sizeof src, "%s/source.bin", tmpdir);
    test_write(src, big, big_n);
    /* A source keeps its mtime in the tar; the rest is dated 0. */
    struct timespec when[2] = {{1589000000, 0}, {1589000000, 123456789}};
    ck_assert_int_eq(utimensat(AT_FDCWD, src, when, 0), 0);
    ctx_entry es[] = {
        {"fuse-apply",
         "\x7f"
         "ELF",
         4, NULL, 0755, 0},
        {"Dockerfile", "FROM x\n", 7, NULL, 0644, 0},
        /* A source, with its mode (sticky bit too). */
        {".fuse/blobs/3", NULL, 0, src, 01640, 1},
        {".fuse/blobs/1", "bin\0ary", 7, NULL, 0600, 0},
        {".fuse/blobs/2", "", 0, NULL, 0600, 0},
    };
    strbuf err = STRBUF_INIT, tar = STRBUF_INIT;
    ctx *c = ctx_new(es, 5, &err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(drain(c, 1000, &tar), 0);
    ck_assert_str_eq(ctx_error(c), "");
    ctx_free(c);
    ck_assert_uint_eq(tar.len % 512, 0);

    got g[8];
    size_t n = untar(&tar, g, 8);
    ck_assert_uint_eq(n, 5);
    /* Sorted by name, byte order. */
    const char *names[] = {".fuse/blobs/1", ".fuse/blobs/2", ".fuse/blobs/3", "Dockerfile",
                           "fuse-apply"};
    unsigned modes[] = {0600, 0600, 01640, 0644, 0755};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(g[i].name, names[i]);
        ck_assert_uint_eq(g[i].mode & 07777, modes[i]);
        ck_assert(S_ISREG(g[i].mode));
        ck_assert_int_eq(g[i].uid, 0);
        ck_assert_int_eq(g[i].gid, 0);
        ck_assert_int_eq(g[i].mtime, i == 2 ? 1589000000 : 0);
    }
    ck_assert_uint_eq(g[0].data.len, 7);
    ck_assert(!memcmp(g[0].data.buf, "bin\0ary", 7));
    ck_assert_uint_eq(g[1].data.len, 0);
    ck_assert_uint_eq(g[2].data.len, big_n);
    ck_assert(!memcmp(g[2].data.buf, big, big_n));
    ck_assert_str_eq(g[3].data.buf, "FROM x\n");
    ck_assert(!memcmp(g[4].data.buf,
                      "\x7f"
                      "ELF",
                      4));
    got_free(g, n);
    sb_release(&tar);
    sb_release(&err);
    free(big);
}
END_TEST

/* Same input, any read size: byte-identical output. */
START_TEST(test_deterministic)
{
    size_t big_n = 150 * 1024;
    char *big = pattern(big_n);
    char src[128];
    snprintf(src, sizeof src, "%s/s", tmpdir);
    test_write(src, "on disk", 7);
    ctx_entry es[] = {
        {"Dockerfile", "FROM y\n", 7, NULL, 0644, 0},
        {".fuse/blobs/1", big, big_n, NULL, 0600, 0},
        {".fuse/blobs/2", NULL, 0, src, 0600, 0},
    };
    strbuf a = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT;
    ctx *c = ctx_new(es, 3, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(drain(c, 65536, &a), 0);
    ctx_free(c);
    sleep(1); /* a different clock must not change anything */
    ctx_entry rev[] = {es[2], es[0], es[1]};
    c = ctx_new(rev, 3, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(drain(c, 517, &b), 0);
    ctx_free(c);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert(!memcmp(a.buf, b.buf, a.len));
    sb_release(&a);
    sb_release(&b);
    sb_release(&err);
    free(big);
}
END_TEST

/* Only an entry that asks keeps its source's mtime (a File's source); the
 * files of a Directory's tree are dated 0 like the rest. */
START_TEST(test_mtime_only_when_kept)
{
    char src[128];
    snprintf(src, sizeof src, "%s/tree.txt", tmpdir);
    test_write(src, "t", 1);
    struct timespec when[2] = {{1589000000, 0}, {1589000000, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, src, when, 0), 0);
    ctx_entry es[] = {{"a", NULL, 0, src, 0644, 1}, {"b", NULL, 0, src, 0644, 0}};
    strbuf err = STRBUF_INIT, tar = STRBUF_INIT;
    ctx *c = ctx_new(es, 2, &err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    ck_assert_int_eq(drain(c, 1000, &tar), 0);
    ctx_free(c);
    got g[2];
    ck_assert_uint_eq(untar(&tar, g, 2), 2);
    ck_assert_int_eq(g[0].mtime, 1589000000);
    ck_assert_int_eq(g[1].mtime, 0);
    got_free(g, 2);
    sb_release(&tar);
    sb_release(&err);
}
END_TEST

START_TEST(test_missing_source)
{
    char src[128];
    snprintf(src, sizeof src, "%s/nope.txt", tmpdir);
    ctx_entry es[] = {{".fuse/blobs/1", NULL, 0, src, 0600, 0}};
    strbuf err = STRBUF_INIT, want = STRBUF_INIT;
    ck_assert_ptr_null(ctx_new(es, 1, &err));
    sb_addf(&want, "%s: No such file or directory", src);
    ck_assert_str_eq(err.buf, want.buf);
    sb_release(&err);
    sb_release(&want);
}
END_TEST

START_TEST(test_source_is_directory)
{
    ctx_entry es[] = {{".fuse/blobs/1", NULL, 0, tmpdir, 0600, 0}};
    strbuf err = STRBUF_INIT, want = STRBUF_INIT;
    ck_assert_ptr_null(ctx_new(es, 1, &err));
    sb_addf(&want, "%s: not a regular file", tmpdir);
    ck_assert_str_eq(err.buf, want.buf);
    sb_release(&err);
    sb_release(&want);
}
END_TEST

/* Reads until the stream has produced at least `upto` bytes. */
static void read_some(ctx *c, size_t upto)
{
    char buf[4096];
    size_t total = 0;
    while (total < upto) {
        size_t n = ctx_read(c, buf, sizeof buf);
        ck_assert(n != 0 && n != (size_t)-1);
        total += n;
    }
}

static void check_changed(const char *how, size_t new_len, int remove_it)
{
    char src[128];
    snprintf(src, sizeof src, "%s/changing", tmpdir);
    size_t len = 300 * 1024;
    char *data = pattern(len);
    test_write(src, data, len);
    ctx_entry es[] = {{".fuse/blobs/1", NULL, 0, src, 0600, 0},
                      {"Dockerfile", "F\n", 2, NULL, 0644, 0}};
    strbuf err = STRBUF_INIT, rest = STRBUF_INIT, want = STRBUF_INIT;
    ctx *c = ctx_new(es, 2, &err);
    ck_assert_ptr_nonnull(c);
    if (remove_it) {
        ck_assert_int_eq(unlink(src), 0);
    } else {
        read_some(c, 100 * 1024); /* mid-send, the file is open */
        test_write(src, data, new_len);
    }
    ck_assert_int_eq(drain(c, 4096, &rest), -1);
    if (remove_it)
        sb_addf(&want, "%s: No such file or directory", src);
    else
        sb_addf(&want, "%s: %s while the build context was being sent", src, how);
    ck_assert_str_eq(ctx_error(c), want.buf);
    /* Once failed, it stays failed. */
    char b[16];
    ck_assert_uint_eq(ctx_read(c, b, sizeof b), (size_t)-1);
    ctx_free(c);
    sb_release(&err);
    sb_release(&rest);
    sb_release(&want);
    free(data);
}

START_TEST(test_source_shrinks)
{
    check_changed("shrank", 10, 0);
}
END_TEST

START_TEST(test_source_grows)
{
    /* Rewritten in place: same inode, larger. */
    char src[128];
    snprintf(src, sizeof src, "%s/changing", tmpdir);
    size_t len = 300 * 1024;
    char *data = pattern(len + 10);
    test_write(src, data, len);
    ctx_entry es[] = {{".fuse/blobs/1", NULL, 0, src, 0600, 0}};
    strbuf err = STRBUF_INIT, rest = STRBUF_INIT, want = STRBUF_INIT;
    ctx *c = ctx_new(es, 1, &err);
    ck_assert_ptr_nonnull(c);
    read_some(c, 100 * 1024);
    FILE *f = fopen(src, "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite("more", 1, 4, f), 4);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(drain(c, 4096, &rest), -1);
    sb_addf(&want, "%s: grew while the build context was being sent", src);
    ck_assert_str_eq(ctx_error(c), want.buf);
    ctx_free(c);
    sb_release(&err);
    sb_release(&rest);
    sb_release(&want);
    free(data);
}
END_TEST

START_TEST(test_source_vanishes)
{
    check_changed(NULL, 0, 1);
}
END_TEST

START_TEST(test_empty_context)
{
    strbuf err = STRBUF_INIT, tar = STRBUF_INIT;
    ctx *c = ctx_new(NULL, 0, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(drain(c, 999, &tar), 0);
    ck_assert_uint_gt(tar.len, 0);
    ck_assert_uint_eq(tar.len % 512, 0);
    ctx_free(c);
    sb_release(&err);
    sb_release(&tar);
}
END_TEST

START_TEST(test_duplicate_name)
{
    ctx_entry es[] = {{"Dockerfile", "a", 1, NULL, 0644, 0}, {"Dockerfile", "b", 1, NULL, 0644, 0}};
    strbuf err = STRBUF_INIT;
    ck_assert_ptr_null(ctx_new(es, 2, &err));
    ck_assert_str_eq(err.buf, "build context: Dockerfile appears twice");
    sb_release(&err);
}
END_TEST

Suite *context_suite(void)
{
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_contents_read_back);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_mtime_only_when_kept);
    tcase_add_test(tc, test_missing_source);
    tcase_add_test(tc, test_source_is_directory);
    tcase_add_test(tc, test_source_shrinks);
    tcase_add_test(tc, test_source_grows);
    tcase_add_test(tc, test_source_vanishes);
    tcase_add_test(tc, test_empty_context);
    tcase_add_test(tc, test_duplicate_name);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(context_suite)

/* test_plan.c -- the source hash cache (hashcache.c: stat data, the racy
 * rule, a damaged file) and the fuse.plan label's reader (plan_label.c). */
#include "hashcache.h"
#include "plan.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[256];

static void setup(void)
{
    test_tmpdir(dir, sizeof dir, "plan");
    setenv("XDG_CACHE_HOME", dir, 1);
}

/* Writes path with text, dated an hour ago, and waits for the next second
 * of the clock: setting the date changes the ctime, and a file changed in
 * the second it is hashed in is not remembered (the racy rule). */
static void old_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    struct timespec ts[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    struct timespec nap = {0, 50 * 1000 * 1000};
    while (time(NULL) <= st.st_ctim.tv_sec)
        nanosleep(&nap, NULL);
}

static void hash_of(const char *path, strbuf *hex)
{
    hc_cache *c = hc_open();
    unsigned char d[SHA256_LEN];
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(hc_file(c, path, d, &err), 0);
    hc_close(c);
    sb_reset(hex);
    sha256_hex(d, SHA256_LEN, hex);
    sb_release(&err);
}

static int cache_exists(void)
{
    char p[300];
    snprintf(p, sizeof p, "%s/fuse/hashes", dir);
    return access(p, F_OK) == 0;
}

/* An old file is remembered; its contents changed at the same size and
 * mtime are seen all the same (ctime moved). */
START_TEST(test_remembered)
{
    setup();
    char path[300];
    snprintf(path, sizeof path, "%s/a", dir);
    old_file(path, "hello\n");
    strbuf h1 = STRBUF_INIT, h2 = STRBUF_INIT;
    hash_of(path, &h1);
    ck_assert_str_eq(h1.buf, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    ck_assert(cache_exists());
    hash_of(path, &h2);
    ck_assert_str_eq(h1.buf, h2.buf);
    old_file(path, "jello\n");
    hash_of(path, &h2);
    ck_assert_str_ne(h1.buf, h2.buf);
    sb_release(&h1);
    sb_release(&h2);
    ck_assert_int_eq(test_rmtree(dir), 0);
}
END_TEST

/* A file changed in this second is hashed but not remembered. */
START_TEST(test_racy)
{
    setup();
    char path[300];
    snprintf(path, sizeof path, "%s/r", dir);
    FILE *f = fopen(path, "w");
    fputs("now", f);
    fclose(f);
    strbuf h = STRBUF_INIT;
    hash_of(path, &h);
    ck_assert(!cache_exists());
    sb_release(&h);
    ck_assert_int_eq(test_rmtree(dir), 0);
}
END_TEST

/* A damaged cache is no cache; a record naming a wrong hash with the right
 * stat data but a bad sum is refused too. */
START_TEST(test_damaged)
{
    setup();
    char path[300], cpath[300];
    snprintf(path, sizeof path, "%s/d", dir);
    snprintf(cpath, sizeof cpath, "%s/fuse/hashes", dir);
    old_file(path, "data");
    strbuf h1 = STRBUF_INIT, h2 = STRBUF_INIT, text = STRBUF_INIT;
    hash_of(path, &h1);
    ck_assert_int_eq(sb_read_file(&text, cpath), 0);
    hc_cache *c = hc_new();
    ck_assert_uint_eq(hc_parse(c, text.buf, text.len), 1);
    hc_free(c);
    /* the recorded hash changed: the sum no longer matches */
    char *rec = strchr(text.buf, '\n') + 1;
    rec[0] = rec[0] == '0' ? '1' : '0';
    c = hc_new();
    ck_assert_uint_eq(hc_parse(c, text.buf, text.len), 0);
    hc_free(c);
    FILE *f = fopen(cpath, "w");
    fwrite(text.buf, 1, text.len, f);
    fclose(f);
    hash_of(path, &h2);
    ck_assert_str_eq(h1.buf, h2.buf);
    c = hc_new();
    ck_assert_uint_eq(hc_parse(c, "fuse-hashes 1\n", 14), 0);
    ck_assert_uint_eq(hc_parse(c, "", 0), 0);
    hc_free(c);
    sb_release(&h1);
    sb_release(&h2);
    sb_release(&text);
    ck_assert_int_eq(test_rmtree(dir), 0);
}
END_TEST

#define W64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A label reads back as written; another version, or any damage, is none. */
START_TEST(test_label)
{
    const char *good = "1 W=" W64 " B=" W64 " T=01234567 P=89abcdef O=00000000 M=ffffffff "
                       "S=0123456789abcdef,5000,-,0:320d2c.1:6b73f6;"
                       "fedcba9876543210,e3a6,ecb65bb9,-";
    plan p;
    ck_assert_int_eq(plan_parse(&p, good), 0);
    ck_assert_uint_eq(p.n, 2);
    ck_assert_str_eq(p.steps[1].src, "ecb65bb9");
    strbuf back = STRBUF_INIT;
    plan_label(&p, &back);
    ck_assert_str_eq(back.buf, good);
    plan_free(&p);
    const char *bad[] = {
        "2 W=" W64 " B=" W64 " T=01234567 P=89abcdef O=00000000 M=ffffffff S=",
        "1 W=" W64 " B=" W64 " T=0123456 P=89abcdef O=00000000 M=ffffffff S=",
        "1 W=" W64 " B=" W64 " T=01234567 P=89abcdef O=00000000 M=ffffffff S=01234,5000,-,-",
        "1 W=" W64 " B=" W64 " T=01234567 P=89abcdef O=00000000 M=ffffffff S=0123456789abcdef,"
        "5000,-,0:320d2c;",
        "1 W=" W64 " B=" W64 " T=01234567 P=89abcdef O=00000000 M=ffffffff S=0123456789abcdef,"
        "5000,-,0:320d2",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(plan_parse(&p, bad[i]) < 0, "%s", bad[i]);
    ck_assert_int_eq(plan_parse(&p, NULL), -1);
    sb_release(&back);
}
END_TEST

Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_remembered);
    tcase_add_test(tc, test_racy);
    tcase_add_test(tc, test_damaged);
    tcase_add_test(tc, test_label);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(plan_suite)

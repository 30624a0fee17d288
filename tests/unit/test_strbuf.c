/* test_strbuf.c -- the string buffer's invariants, the array grow macro and
 * the string vector. */
#include "mem.h"
#include "strbuf.h"
#include "strvec.h"
#include "testutil.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>

/* A strbuf that owns nothing still reads as "" and is never NULL. */
START_TEST(test_never_null)
{
    strbuf a = STRBUF_INIT, b;
    sb_init(&b);
    ck_assert_ptr_nonnull(a.buf);
    ck_assert_str_eq(a.buf, "");
    ck_assert_str_eq(b.buf, "");
    ck_assert_uint_eq(a.alloc, 0);
    sb_reset(&a);
    ck_assert_str_eq(a.buf, "");
    sb_adds(&a, "x");
    ck_assert_str_eq(a.buf, "x");
    ck_assert_ptr_ne(a.buf, strbuf_slopbuf);
    sb_release(&a);
    ck_assert_ptr_eq(a.buf, strbuf_slopbuf);
    ck_assert_uint_eq(a.len, 0);
    sb_release(&b); /* releasing an empty one frees nothing */
    ck_assert_str_eq(strbuf_slopbuf, "");
}
END_TEST

/* A zero-filled strbuf (a calloc'd struct) is written to without trouble. */
START_TEST(test_zero_filled)
{
    strbuf z;
    memset(&z, 0, sizeof z);
    sb_addf(&z, "%d", 42);
    ck_assert_str_eq(z.buf, "42");
    sb_release(&z);
    memset(&z, 0, sizeof z);
    sb_reset(&z);
    ck_assert_str_eq(z.buf, "");
}
END_TEST

START_TEST(test_detach_empty)
{
    strbuf sb = STRBUF_INIT;
    size_t n = 9;
    char *p = sb_detach(&sb, &n);
    ck_assert_ptr_ne(p, strbuf_slopbuf);
    ck_assert_str_eq(p, "");
    ck_assert_uint_eq(n, 0);
    free(p); /* the caller can always free it */
    ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
}
END_TEST

START_TEST(test_addbuf)
{
    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    sb_addbuf(&a, &b);
    ck_assert_str_eq(a.buf, "");
    sb_add(&b, "x\0y", 3);
    sb_addbuf(&a, &b);
    ck_assert_uint_eq(a.len, 3);
    ck_assert_mem_eq(a.buf, "x\0y", 4);
    /* onto itself, across a reallocation */
    sb_reset(&a);
    for (int i = 0; i < 64; i++)
        sb_addc(&a, 'a' + i % 26);
    sb_addbuf(&a, &a);
    ck_assert_uint_eq(a.len, 128);
    ck_assert_mem_eq(a.buf, a.buf + 64, 64);
    ck_assert_int_eq(a.buf[128], '\0');
    sb_release(&a);
    sb_release(&b);
}
END_TEST

START_TEST(test_setlen)
{
    strbuf sb = STRBUF_INIT;
    sb_setlen(&sb, 0); /* on the shared empty buffer: nothing written */
    ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
    sb_adds(&sb, "hello world");
    sb_setlen(&sb, 5);
    ck_assert_uint_eq(sb.len, 5);
    ck_assert_str_eq(sb.buf, "hello");
    sb_setlen(&sb, 0);
    ck_assert_str_eq(sb.buf, "");
    sb_release(&sb);
}
END_TEST

START_TEST(test_rtrim)
{
    strbuf sb = STRBUF_INIT;
    sb_rtrim(&sb);
    ck_assert_str_eq(sb.buf, "");
    sb_adds(&sb, "  a b \t\r\n ");
    sb_rtrim(&sb);
    ck_assert_str_eq(sb.buf, "  a b");
    ck_assert_uint_eq(sb.len, 5);
    sb_reset(&sb);
    sb_adds(&sb, " \n\t");
    sb_rtrim(&sb);
    ck_assert_uint_eq(sb.len, 0);
    ck_assert_str_eq(sb.buf, "");
    sb_release(&sb);
}
END_TEST

START_TEST(test_addf_empty_and_consume)
{
    strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s", "");
    ck_assert_str_eq(sb.buf, "");
    sb_addf(&sb, "%s-%d", "ab", 7);
    ck_assert_str_eq(sb.buf, "ab-7");
    sb_consume(&sb, 3);
    ck_assert_str_eq(sb.buf, "7");
    sb_consume(&sb, 5);
    ck_assert_str_eq(sb.buf, "");
    sb_release(&sb);
}
END_TEST

START_TEST(test_alloc_grow)
{
    int *a = NULL;
    size_t nr = 0, alloc = 0;
    for (int i = 0; i < 1000; i++) {
        ALLOC_GROW(a, nr + 1, alloc);
        ck_assert_uint_ge(alloc, nr + 1);
        a[nr++] = i;
    }
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(a[i], i);
    /* asking for no more than there is leaves the array alone */
    size_t before = alloc;
    ALLOC_GROW(a, 10, alloc);
    ck_assert_uint_eq(alloc, before);
    /* a jump past the growth step gets exactly what was asked */
    size_t big = alloc * 4;
    ALLOC_GROW(a, big, alloc);
    ck_assert_uint_eq(alloc, big);
    free(a);
}
END_TEST

/* An element count whose size overflows stops the program, as out of memory does. */
START_TEST(test_reallocarray_overflow)
{
    void *p = xreallocarray(NULL, SIZE_MAX / 2 + 2, 2);
    free(p);
}
END_TEST

START_TEST(test_strvec)
{
    strvec sv = STRVEC_INIT;
    ck_assert_ptr_nonnull(sv.v);
    ck_assert_ptr_null(sv.v[0]);
    ck_assert_str_eq(strvec_push(&sv, "git"), "git");
    ck_assert_str_eq(strvec_pushf(&sv, "--depth=%d", 1), "--depth=1");
    const char *more[] = {"a", "b", NULL};
    strvec_pushv(&sv, more);
    ck_assert_uint_eq(sv.nr, 4);
    ck_assert_str_eq(sv.v[0], "git");
    ck_assert_str_eq(sv.v[1], "--depth=1");
    ck_assert_str_eq(sv.v[3], "b");
    ck_assert_ptr_null(sv.v[4]);
    for (int i = 0; i < 100; i++)
        strvec_push(&sv, "x");
    ck_assert_uint_eq(sv.nr, 104);
    ck_assert_ptr_null(sv.v[104]);
    strvec_clear(&sv);
    ck_assert_uint_eq(sv.nr, 0);
    ck_assert_ptr_null(sv.v[0]);
    strvec_clear(&sv); /* clearing an empty one frees nothing */
    strvec z;
    memset(&z, 0, sizeof z);
    strvec_push(&z, "zero-filled");
    ck_assert_str_eq(z.v[0], "zero-filled");
    strvec_clear(&z);
}
END_TEST

Suite *strbuf_suite(void)
{
    Suite *s = suite_create("strbuf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_never_null);
    tcase_add_test(tc, test_zero_filled);
    tcase_add_test(tc, test_detach_empty);
    tcase_add_test(tc, test_addbuf);
    tcase_add_test(tc, test_setlen);
    tcase_add_test(tc, test_rtrim);
    tcase_add_test(tc, test_addf_empty_and_consume);
    tcase_add_test(tc, test_alloc_grow);
    tcase_add_test(tc, test_strvec);
    /* Without a fork per test (CK_FORK=no, as under valgrind) the abort
     * would end the whole run. */
    const char *fork = getenv("CK_FORK");
    if (!fork || strcmp(fork, "no") != 0)
        tcase_add_test_raise_signal(tc, test_reallocarray_overflow, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(strbuf_suite)

/* test_lazy.c -- libcurl and libarchive loaded on demand (src/engine/lazy.c). */
#include "lazy.h"
#include "testutil.h"

#include <string.h>

/* The loaded pointers are the very functions the headers declare: the test
 * executable links both libraries, and dlopen() of an already loaded soname
 * hands back the same object. */
START_TEST(test_curl_table_is_libcurl)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(lz_curl_load(&err), 0);
    ck_assert_uint_eq(err.len, 0);
    ck_assert_ptr_eq((void *)lz_curl.easy_init, (void *)curl_easy_init);
    ck_assert_ptr_eq((void *)lz_curl.version_info, (void *)curl_version_info);
    ck_assert_str_eq(lz_curl.version_info(CURLVERSION_NOW)->version, LIBCURL_VERSION);
    /* Variadic calls pass through: a long, a string, a pointer. */
    CURL *h = lz_curl.easy_init();
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(lz_curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L), CURLE_OK);
    ck_assert_int_eq(lz_curl.easy_setopt(h, CURLOPT_URL, "http://localhost/"), CURLE_OK);
    char *url = NULL;
    ck_assert_int_eq(lz_curl.easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
    ck_assert_str_eq(url, "http://localhost/");
    lz_curl.easy_cleanup(h);
    ck_assert_int_eq(lz_curl_load(&err), 0); /* a second call is a no-op */
    sb_release(&err);
}
END_TEST

START_TEST(test_archive_table_is_libarchive)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(lz_archive_load(&err), 0);
    ck_assert_ptr_eq((void *)lz_archive.write_new, (void *)archive_write_new);
    ck_assert_ptr_eq((void *)lz_archive.entry_set_gid, (void *)archive_entry_set_gid);
    /* Called once only: libarchive 3.6's archive_version_details() re-inits
     * its static buffer on every call, leaking the previous one. */
    ck_assert_ptr_eq((void *)lz_archive.version_details, (void *)archive_version_details);
    const char *v = lz_archive.version_details();
    ck_assert_msg(!strncmp(v, "libarchive 3.", 13), "%s", v);
    sb_release(&err);
}
END_TEST

START_TEST(test_missing_library)
{
    strbuf err = STRBUF_INIT;
    const char *names[] = {"curl_easy_init"};
    void *table[1] = {NULL};
    ck_assert_int_eq(lz_load("libfuse-no-such.so.7", "libnosuch7", names, 1, table, &err), -1);
    ck_assert_ptr_null(table[0]);
    ck_assert_msg(!strncmp(err.buf, "cannot load libfuse-no-such.so.7: ", 34), "%s", err.buf);
    ck_assert_msg(strstr(err.buf, "; install libnosuch7") != NULL, "%s", err.buf);
    ck_assert_ptr_null(strchr(err.buf, '\n'));
    sb_release(&err);
}
END_TEST

START_TEST(test_missing_function)
{
    strbuf err = STRBUF_INIT;
    const char *names[] = {"curl_easy_init", "curl_no_such_function"};
    void *table[2] = {NULL, NULL};
    ck_assert_int_eq(lz_load(LZ_CURL_SONAME, "libcurl4", names, 2, table, &err), -1);
    ck_assert_msg(strstr(err.buf, "cannot load libcurl.so.4: ") == err.buf, "%s", err.buf);
    ck_assert_msg(strstr(err.buf, "curl_no_such_function") != NULL, "%s", err.buf);
    ck_assert_msg(strstr(err.buf, "; install libcurl4") != NULL, "%s", err.buf);
    sb_release(&err);
}
END_TEST

static Suite *lazy_suite(void)
{
    Suite *s = suite_create("lazy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_curl_table_is_libcurl);
    tcase_add_test(tc, test_archive_table_is_libarchive);
    tcase_add_test(tc, test_missing_library);
    tcase_add_test(tc, test_missing_function);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(lazy_suite)

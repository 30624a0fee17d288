/* testutil.h -- what every Check unit test file shares.
 *
 * Each tests/unit/test_NAME.c defines `Suite *NAME_suite(void)` and ends with
 * TEST_MAIN(NAME_suite): one executable per file, run by tests/run.sh, which
 * adds up Check's counts into the closing "N passed, N failed" line. */
#ifndef FUSE_TESTUTIL_H
#define FUSE_TESTUTIL_H

#include "fv.h"
#include "fvjson.h"
#include "strbuf.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Makes a fresh directory /tmp/fuse-NAME.XXXXXX into dir (size bytes). */
static inline void test_tmpdir(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/fuse-%s.XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes dir and everything below it; 0 on success. */
static inline int test_rmtree(const char *dir)
{
    strbuf cmd = STRBUF_INIT;
    sb_addf(&cmd, "rm -rf '%s'", dir);
    int rc = system(cmd.buf);
    sb_release(&cmd);
    return rc;
}

/* Creates the missing directories above path (relative or absolute). */
static inline void test_mkparents(const char *path)
{
    strbuf dir = STRBUF_INIT;
    sb_adds(&dir, path);
    /* From the second byte: an absolute path's leading "/" names no directory. */
    for (char *p = *dir.buf ? strchr(dir.buf + 1, '/') : NULL; p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(dir.buf, 0755) != 0)
            ck_assert_int_eq(errno, EEXIST);
        *p = '/';
    }
    sb_release(&dir);
}

/* Writes len bytes of data to path, replacing it. */
static inline void test_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* A value from JSON text: the tests stay short and readable. */
static inline fv *test_json(const char *json)
{
    strbuf err = STRBUF_INIT;
    fv *v = fvj_parse(json, strlen(json), &err);
    ck_assert_msg(v != NULL, "bad test JSON %s: %s", json, err.buf);
    sb_release(&err);
    return v;
}

/* The whole file at path as a C string (the caller frees it), or NULL. */
static inline char *test_slurp(const char *path)
{
    strbuf sb = STRBUF_INIT;
    if (sb_read_file(&sb, path) < 0) {
        sb_release(&sb);
        return NULL;
    }
    return sb_detach(&sb, NULL);
}

#define TEST_MAIN(suite_fn)                                                                        \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

#endif

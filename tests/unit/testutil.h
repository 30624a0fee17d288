/* testutil.h -- what every Check unit test file shares.
 *
 * Each tests/unit/test_NAME.c defines `Suite *NAME_suite(void)` and ends with
 * TEST_MAIN(NAME_suite): one executable per file, run by tests/run.sh, which
 * adds up Check's counts into the closing "N passed, N failed" line. */
#ifndef FUSE_TESTUTIL_H
#define FUSE_TESTUTIL_H

#include "strbuf.h"

#include <check.h>
#include <stdlib.h>

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

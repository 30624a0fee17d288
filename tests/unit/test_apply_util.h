/* test_apply_util.h -- what the fuse-apply provider tests share.
 *
 * Each test gets a fresh --root directory with fixture /etc/passwd and
 * /etc/group, applies bundles given as JSON through ap_apply() (the same path
 * the binary takes) and inspects the tree afterwards. Check forks every test,
 * so nothing leaks between them. */
#ifndef FUSE_TEST_APPLY_UTIL_H
#define FUSE_TEST_APPLY_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/ap.h"
#include "bundle.h"
#include "strbuf.h"
#include "testutil.h"

static char ta_root[64];
static char ta_out[65536], ta_err[65536];

/* The absolute host path of rel under the test root. */
static inline const char *ta_path(const char *rel)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s%s", ta_root, rel);
    return buf[k];
}

static inline void ta_write(const char *rel, const char *data)
{
    test_write(ta_path(rel), data, strlen(data));
}

/* Fixture accounts: app (1000/1000), www (1001 in group www 1001, also in app). */
static inline void ta_setup(void)
{
    test_tmpdir(ta_root, sizeof ta_root, "ta");
    char p[256];
    snprintf(p, sizeof p, "%s/etc", ta_root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ta_write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                            "app:x:1000:1000:App User:/home/app:/bin/sh\n"
                            "www:x:1001:1001::/var/www:/usr/sbin/nologin\n");
    ta_write("/etc/group", "root:x:0:\napp:x:1000:www\nwww:x:1001:\nstaff:x:50:app,www\n");
}

static inline void ta_teardown(void)
{
    strbuf err = STRBUF_INIT;
    ap_rmtree(ta_root, &err);
    sb_release(&err);
}

/* The contents of rel (a static buffer), or NULL when it cannot be read. */
static inline const char *ta_read(const char *rel)
{
    static char buf[65536];
    FILE *f = fopen(ta_path(rel), "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The log the fake tools of ta_tool append to ("" before the first line). */
static inline const char *ta_log(void)
{
    const char *s = ta_read("/log");
    return s ? s : "";
}

static inline int ta_exists(const char *rel)
{
    struct stat st;
    return lstat(ta_path(rel), &st) == 0;
}

static inline mode_t ta_mode(const char *rel)
{
    struct stat st;
    ck_assert_int_eq(lstat(ta_path(rel), &st), 0);
    return st.st_mode & 07777;
}

/* Applies a bundle under the test root; change lines land in ta_out, errors
 * in ta_err. state: the state dir (NULL: the default under the root).
 * Returns the exit status fuse-apply would give. */
static inline int ta_apply_opts(const char *json, int simulate, const char *state)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    /* as fuse-apply: with --state a watch may name an earlier invocation's resource */
    int rc = bundle_load_ext(&b, json, strlen(json), state ? BUNDLE_WATCH_ELSEWHERE : 0, &err);
    ck_assert_msg(rc == 0, "bundle_load: %s", err.buf);
    sb_release(&err);
    ap_ctx c;
    ap_ctx_init(&c);
    c.root = ta_root;
    c.simulate = simulate;
    strbuf st = STRBUF_INIT;
    if (state) {
        sb_adds(&st, state);
        c.state_write = 1;
    } else {
        sb_addf(&st, "%s/var/lib/fuse-apply", ta_root);
    }
    c.state = sb_detach(&st, NULL);
    memset(ta_out, 0, sizeof ta_out);
    memset(ta_err, 0, sizeof ta_err);
    c.out = fmemopen(ta_out, sizeof ta_out - 1, "w");
    c.err = fmemopen(ta_err, sizeof ta_err - 1, "w");
    ck_assert_ptr_nonnull(c.out);
    ck_assert_ptr_nonnull(c.err);
    rc = ap_apply(&c, &b, 0);
    fclose(c.out);
    fclose(c.err);
    ap_ctx_free(&c);
    bundle_free(&b);
    return rc;
}

static inline int ta_apply(const char *json)
{
    return ta_apply_opts(json, 0, NULL);
}

/* Applies json and expects a change, then again and expects none (254, silent). */
static inline void ta_apply_twice(const char *json)
{
    int rc = ta_apply(json);
    ck_assert_msg(rc == AP_EXIT_CHANGED, "first run: exit %d\nout: %s\nerr: %s", rc, ta_out,
                  ta_err);
    rc = ta_apply(json);
    ck_assert_msg(rc == AP_EXIT_UNCHANGED, "second run: exit %d\nout: %s\nerr: %s", rc, ta_out,
                  ta_err);
    ck_assert_str_eq(ta_out, "");
    ck_assert_str_eq(ta_err, "");
}

/* 1 when a directory holds a leftover temporary file of fuse-apply. */
static inline int ta_leftovers(const char *rel)
{
    DIR *d = opendir(ta_path(rel));
    ck_assert_ptr_nonnull(d);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, "fuse-apply"))
            found = 1;
    closedir(d);
    return found;
}

/* Puts an executable shell script at rel under the root (a fake system tool). */
static inline void ta_tool(const char *rel, const char *script)
{
    test_mkparents(ta_path(rel));
    FILE *f = fopen(ta_path(rel), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\nR='%s'\n%s", ta_root, script);
    fclose(f);
    ck_assert_int_eq(chmod(ta_path(rel), 0755), 0);
}

#endif

/* test_tree.c -- trees (Directory with a source): the walk (tree.c) in byte
 * order, links kept, excludes with "!" and .fuseignore, its errors; the
 * context entries; the COPY step (dockerfile_tree.c), batches keeping trees
 * out of bundles; the -n summary; the checks made at the yield. */
#include "build.h"
#include "dockerfile.h"
#include "testutil.h"
#include "tree.h"

#include <unistd.h>

static char root[64];

static void mk(const char *rel, const char *data, unsigned mode)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/%s", root, rel);
    test_mkparents(p.buf);
    test_write(p.buf, data, strlen(data));
    ck_assert_int_eq(chmod(p.buf, mode), 0);
    sb_release(&p);
}

static void mkln(const char *rel, const char *to)
{
    strbuf p = STRBUF_INIT;
    sb_addf(&p, "%s/%s", root, rel);
    ck_assert_int_eq(symlink(to, p.buf), 0);
    sb_release(&p);
}

static void setup(void)
{
    test_tmpdir(root, sizeof root, "tree");
    mk("b.txt", "bb", 0644);
    mk("a.sh", "#!/bin/sh\n", 0755);
    mk("a.txt", "a", 0600);
    mk("sub/x.pyc", "x", 0644);
    mk("sub/deep/y.txt", "y", 0644);
    mk(".git/HEAD", "ref", 0644);
    mk("node_modules/m/i.js", "js", 0644);
    mk("node_modules/keep/k.js", "k", 0644);
    mkln("in", "a.txt");
    mkln("out", "../../etc/passwd");
    mk(".fuseignore", "# tmp files\n\n**/*.tmp\n", 0644);
    mk("z/t.tmp", "t", 0644);
}

static void teardown(void)
{
    ck_assert_int_eq(test_rmtree(root), 0);
}

/* Each entry as "rel" + "/" for directories + "->target" for links. */
static int collect(const tree_item *it, void *ud, strbuf *err)
{
    (void)err;
    strbuf *out = ud;
    sb_addf(out, "%s%s", out->len ? "|" : "", it->rel);
    if (S_ISDIR(it->st->st_mode))
        sb_addc(out, '/');
    if (it->link)
        sb_addf(out, "->%s", it->link);
    return 0;
}

static void walk(fv *exclude, const char *want)
{
    strbuf got = STRBUF_INIT, err = STRBUF_INIT;
    ck_assert_msg(tree_walk(root, exclude, collect, &got, &err) == 0, "%s", err.buf);
    ck_assert_str_eq(got.buf, want);
    sb_release(&got);
    sb_release(&err);
    fv_free(exclude);
}

static fv *list(const char *const *items)
{
    fv *l = fv_list();
    for (; *items; items++)
        fv_push(l, fv_strz(*items));
    return l;
}

START_TEST(test_walk_order_and_links)
{
    walk(NULL, "/|.git/|.git/HEAD|a.sh|a.txt|b.txt|in->a.txt|node_modules/|node_modules/keep/|"
               "node_modules/keep/k.js|node_modules/m/|node_modules/m/i.js|out->../../etc/"
               "passwd|sub/|sub/deep/|sub/deep/y.txt|sub/x.pyc|z/");
}
END_TEST

START_TEST(test_walk_excludes)
{
    static const char *const ex[] = {"**/*.pyc",           ".git/", "node_modules/",
                                     "!node_modules/keep", "b.txt", NULL};
    walk(list(ex), "/|a.sh|a.txt|in->a.txt|node_modules/|node_modules/keep/|"
                   "node_modules/keep/k.js|out->../../etc/passwd|sub/|sub/deep/|sub/deep/y.txt|z/");
    static const char *const only_dirs[] = {"sub/", "a.txt/", NULL};
    walk(list(only_dirs), "/|.git/|.git/HEAD|a.sh|a.txt|b.txt|in->a.txt|node_modules/|"
                          "node_modules/keep/|node_modules/keep/k.js|node_modules/m/|"
                          "node_modules/m/i.js|out->../../etc/passwd|z/");
}
END_TEST

START_TEST(test_walk_errors)
{
    strbuf got = STRBUF_INIT, err = STRBUF_INIT, p = STRBUF_INIT;
    sb_addf(&p, "%s/fifo", root);
    ck_assert_int_eq(mkfifo(p.buf, 0644), 0);
    ck_assert_int_eq(tree_walk(root, NULL, collect, &got, &err), -1);
    strbuf want = STRBUF_INIT;
    sb_addf(&want, "%s: not a regular file, directory or symbolic link", p.buf);
    ck_assert_str_eq(err.buf, want.buf);
    /* Excluded, it is no error. */
    sb_reset(&err);
    sb_reset(&got);
    static const char *const ex[] = {"fifo", NULL};
    fv *l = list(ex);
    ck_assert_int_eq(tree_walk(root, l, collect, &got, &err), 0);
    fv_free(l);

    sb_reset(&err);
    ck_assert_int_eq(tree_check(p.buf, &err), -1);
    sb_reset(&want);
    sb_addf(&want, "source %s is not a directory", p.buf);
    ck_assert_str_eq(err.buf, want.buf);
    sb_reset(&err);
    ck_assert_int_eq(tree_check("/nonexistent/fuse-tree", &err), -1);
    ck_assert_str_eq(err.buf,
                     "cannot read source /nonexistent/fuse-tree: No such file or directory");
    mk(".fuseignore", "ok\n[bad\n", 0644);
    sb_reset(&err);
    ck_assert_int_eq(tree_check(root, &err), -1);
    sb_reset(&want);
    sb_addf(&want,
            "%s/.fuseignore:2: bad pattern \"[bad\": has an unclosed or malformed [...] class",
            root);
    ck_assert_str_eq(err.buf, want.buf);
    sb_release(&got);
    sb_release(&err);
    sb_release(&p);
    sb_release(&want);
}
END_TEST

static void add_tree(bundle *b, const char *name, fv *extra)
{
    fv *f = extra ? extra : fv_map();
    fv_set(f, "name", fv_strz(name));
    fv_set(f, "source", fv_strz(root));
    strbuf err = STRBUF_INIT;
    ck_assert_msg(bundle_add(b, rt_find("Directory"), f, NULL, &err) == 0, "%s", err.buf);
    sb_release(&err);
}

START_TEST(test_step_and_context)
{
    bundle b;
    bundle_init(&b);
    fv *f = fv_map();
    fv_set(f, "group", fv_strz("staff"));
    fv_set(f, "mode", fv_strz("0750"));
    static const char *const ex[] = {"**/*.pyc", ".git/", "node_modules/", "sub/deep/", NULL};
    fv_set(f, "exclude", list(ex));
    add_tree(&b, "/srv/my $app/", f);
    fv *opts = fv_map();
    dockerfile d;
    strbuf err = STRBUF_INIT;
    ck_assert_msg(df_generate(opts, &b, &d, &err) == 0, "%s", err.buf);
    ck_assert_ptr_nonnull(
        strstr(d.text.buf, "\nCOPY --chown=0:staff [\".fuse/trees/1/\",\"/srv/\"]\n"));
    ck_assert_uint_eq(d.ntrees, 1);
    ck_assert_str_eq(d.trees[0].base, "my $app");
    ck_assert_uint_eq(d.trees[0].mode, 0750);

    ctx_entry *es = NULL;
    size_t n = 0, alloc = 0;
    strvec own = STRVEC_INIT;
    ck_assert_msg(tree_context(&d.trees[0], &es, &n, &alloc, &own, &err) == 0, "%s", err.buf);
    strbuf got = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        sb_addf(&got, "%s %o%s%.*s\n", es[i].name, es[i].mode, es[i].path ? " file" : "",
                (int)es[i].len, es[i].data ? (const char *)es[i].data : "");
    ck_assert_str_eq(got.buf, ".fuse/trees/1/my $app 40750\n"
                              ".fuse/trees/1/my $app/a.sh 755 file\n"
                              ".fuse/trees/1/my $app/a.txt 600 file\n"
                              ".fuse/trees/1/my $app/b.txt 644 file\n"
                              ".fuse/trees/1/my $app/in 120777a.txt\n"
                              ".fuse/trees/1/my $app/out 120777../../etc/passwd\n"
                              ".fuse/trees/1/my $app/sub 40755\n"
                              ".fuse/trees/1/my $app/z 40755\n");
    /* The context takes them: a tar with directories and links. */
    ctx *c = ctx_new(es, n, &err);
    ck_assert_msg(c != NULL, "%s", err.buf);
    char buf[4096];
    size_t total = 0, r;
    while ((r = ctx_read(c, buf, sizeof buf)) > 0 && r != (size_t)-1)
        total += r;
    ck_assert_msg(r == 0, "%s", ctx_error(c));
    ck_assert_uint_gt(total, 0);
    ctx_free(c);

    FILE *out = tmpfile();
    ck_assert_int_eq(build_dry_run(opts, &b, 1, out, &err), BUILD_OK);
    rewind(out);
    strbuf text = STRBUF_INIT;
    ck_assert_int_eq(sb_read_fd(&text, fileno(out)), 0);
    fclose(out);
    strbuf want = STRBUF_INIT;
    sb_addf(&want,
            "Directory[/srv/my $app/]: 3 files, 2 directories, 2 links, 13 bytes from %s/\n"
            "  file 0755 a.sh (10 bytes)\n",
            root);
    ck_assert_msg(strstr(text.buf, want.buf), "%s", text.buf);
    ck_assert_ptr_nonnull(strstr(text.buf, "\n  link      out -> ../../etc/passwd\n"));
    sb_release(&text);
    sb_release(&want);
    sb_release(&got);
    strvec_clear(&own);
    free(es);
    df_free(&d);
    fv_free(opts);
    bundle_free(&b);
    sb_release(&err);
}
END_TEST

/* A watched tree: the change marker would never be written. */
/* A watch names the tree by identity or by bare name, as fuse-apply
 * resolves watches (bundle_find). */
START_TEST(test_step_errors)
{
    static const char *const forms[][2] = {{"Directory[/srv/w]", NULL}, {"/srv/w", NULL}};
    bundle b;
    bundle_init(&b);
    add_tree(&b, "/srv/w", NULL);
    fv *e = fv_map();
    fv_set(e, "name", fv_strz("x"));
    fv_set(e, "command", fv_strz("true"));
    fv_set(e, "watches", list(forms[_i]));
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(bundle_add(&b, rt_find("Execute"), e, NULL, &err), 0);
    fv *opts = fv_map();
    dockerfile d;
    ck_assert_int_eq(df_generate(opts, &b, &d, &err), -1);
    ck_assert_str_eq(err.buf, "Directory[/srv/w]: a tree (source) cannot be watched");
    fv_free(opts);
    bundle_free(&b);
    sb_release(&err);
}
END_TEST

/* Past 60 steps the early resources are batched, but a tree keeps its COPY. */
START_TEST(test_batched)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT, name = STRBUF_INIT;
    for (int i = 0; i < 80; i++) {
        if (i == 5) {
            add_tree(&b, "/srv/t", NULL);
            continue;
        }
        fv *f = fv_map();
        sb_reset(&name);
        sb_addf(&name, "/f%d", i);
        fv_set(f, "name", fv_strz(name.buf));
        fv_set(f, "contents", fv_strz("x"));
        ck_assert_int_eq(bundle_add(&b, rt_find("File"), f, NULL, &err), 0);
    }
    fv *opts = fv_map();
    dockerfile d;
    ck_assert_msg(df_generate(opts, &b, &d, &err) == 0, "%s", err.buf);
    ck_assert_ptr_nonnull(strstr(d.text.buf, "\nCOPY [\".fuse/trees/6/\",\"/srv/\"]\n"));
    ck_assert_ptr_null(strstr(d.text.buf, "\\\"source\\\":"));
    for (size_t i = 0; i < d.nblobs; i++)
        if (strstr(d.blobs[i].name, "bundle.json"))
            ck_assert_ptr_null(strstr(d.blobs[i].data, "Directory"));
    df_free(&d);
    fv_free(opts);
    bundle_free(&b);
    sb_release(&err);
    sb_release(&name);
}
END_TEST

START_TEST(test_restype_rules)
{
    static const struct {
        const char *json, *err;
    } cases[] = {
        {"{\"name\":\"/x\",\"exclude\":[\"a\"]}",
         "Directory: exclude needs source (a tree to copy)"},
        {"{\"name\":\"/x\",\"source\":\"/s\",\"policy\":\"remove\"}",
         "Directory: policy remove takes no source (it would be ignored)"},
        {"{\"name\":\"/x\",\"source\":\"/s\",\"exclude\":[\"ok\",\"[a\"]}",
         "Directory: exclude[2] is a bad pattern \"[a\": has an unclosed or malformed [...] class"},
        {"{\"name\":\"/x\",\"source\":\"/s\",\"exclude\":\"a\"}",
         "Directory: exclude must be a list of strings, not a string"},
        {"{\"name\":\"/x\",\"source\":\"/s\",\"owner\":\"app\"}",
         "Directory: a tree (source) with an owner needs a group too"},
        {"{\"name\":\"//\",\"source\":\"/s\"}",
         "Directory: a tree (source) needs a name below /, not \"//\""},
        {"{\"name\":\"/srv/..\",\"source\":\"/s\"}",
         "Directory: a tree (source) needs a name below /, not \"/srv/..\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fv *f = test_json(cases[i].json);
        strbuf err = STRBUF_INIT;
        ck_assert_int_eq(rt_validate(rt_find("Directory"), f, &err), -1);
        ck_assert_str_eq(err.buf, cases[i].err);
        sb_release(&err);
        fv_free(f);
    }
}
END_TEST

Suite *tree_suite(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_walk_order_and_links);
    tcase_add_test(tc, test_walk_excludes);
    tcase_add_test(tc, test_walk_errors);
    tcase_add_test(tc, test_step_and_context);
    tcase_add_loop_test(tc, test_step_errors, 0, 2);
    tcase_add_test(tc, test_batched);
    tcase_add_test(tc, test_restype_rules);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tree_suite)

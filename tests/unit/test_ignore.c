/* test_ignore.c -- the exclude pattern matcher (ignore.c): a table of
 * patterns, paths and verdicts; "!" order; trailing "/"; "**"; bad
 * patterns; ignore-file text; and a pathological pattern in bounded time. */
#include "ignore.h"
#include "testutil.h"

#include <time.h>

typedef struct ign_case {
    const char *patterns; /* '|'-separated, in order */
    const char *path;
    int is_dir;
    int excluded;
} ign_case;

static const ign_case cases[] = {
    /* Plain names and "*" stay in one component and are rooted. */
    {"*.pyc", "a.pyc", 0, 1},
    {"*.pyc", "sub/a.pyc", 0, 0},
    {"*.pyc", "a.py", 0, 0},
    {"**/*.pyc", "a.pyc", 0, 1},
    {"**/*.pyc", "x/y/z/a.pyc", 0, 1},
    {"**/*.pyc", "x/y/z/a.pyc.txt", 0, 0},
    {"/build", "build", 1, 1},
    {"./build", "build/out.o", 0, 1},
    {"a/../b", "b", 0, 1},
    {"a//b/", "a/b", 1, 1},
    /* A parent's match excludes what is below it. */
    {"node_modules", "node_modules/x/y.js", 0, 1},
    {"docs", "docsy", 0, 0},
    {"a/*/c", "a/b/c/d", 0, 1},
    {"a/*/c", "a/c", 0, 0},
    /* "**" as a component: zero or more components. */
    {"**/node_modules", "node_modules", 1, 1},
    {"**/node_modules", "a/b/node_modules/c", 0, 1},
    {"a/**/z", "a/z", 0, 1},
    {"a/**/z", "a/b/c/z", 0, 1},
    {"a/**/z", "b/a/z", 0, 0},
    {"a/**", "a/x", 0, 1},
    {"**", "anything/at/all", 0, 1},
    {"**/b/**/d", "x/b/c/c/d/e", 0, 1},
    {"**/b/**/d", "x/b/c/c/e", 0, 0},
    /* "?" and classes never cross "/". */
    {"?.txt", "a.txt", 0, 1},
    {"?.txt", "ab.txt", 0, 0},
    {"a?b", "a/b", 0, 0},
    {"[abc].c", "b.c", 0, 1},
    {"[abc].c", "d.c", 0, 0},
    {"[^abc].c", "d.c", 0, 1},
    {"[!abc].c", "a.c", 0, 0},
    {"file[0-9]", "file7", 0, 1},
    {"file[0-9]", "filex", 0, 0},
    {"[]]x", "]x", 0, 1},
    {"\\*.c", "*.c", 0, 1},
    {"\\*.c", "a.c", 0, 0},
    {"*", ".hidden", 0, 1},
    /* Trailing "/": directories only (and what is below them). */
    {".git/", ".git", 1, 1},
    {".git/", ".git", 0, 0},
    {".git/", ".git/config", 0, 1},
    {"logs/", "logs/today", 1, 1},
    /* "!" re-includes; the last matching pattern decides. */
    {"*.md|!README.md", "README.md", 0, 0},
    {"*.md|!README.md", "CHANGES.md", 0, 1},
    {"!README.md|*.md", "README.md", 0, 1},
    {"docs|!docs/keep", "docs/keep", 0, 0},
    {"docs|!docs/keep", "docs/drop", 0, 1},
    {"docs|!docs/keep|docs/keep", "docs/keep", 0, 1},
    {"**/*.log|!important.log", "important.log", 0, 0},
    {"**/*.log|!important.log", "x/important.log", 0, 1},
    /* Empty patterns match nothing. */
    {"", "a", 0, 0},
    {"/", "a", 1, 0},
    {".", "a", 0, 0},
    {"!", "a", 0, 0},
    {"..", "a", 0, 0},
};

static ign_list *compile(const char *patterns)
{
    ign_list *l = ign_new();
    strbuf err = STRBUF_INIT;
    char *copy = strdup(patterns), *save = NULL;
    if (*copy == '\0') {
        ck_assert_int_eq(ign_add(l, "", &err), 0);
    } else {
        for (char *p = strtok_r(copy, "|", &save); p; p = strtok_r(NULL, "|", &save))
            ck_assert_msg(ign_add(l, p, &err) == 0, "%s: %s", p, err.buf);
    }
    free(copy);
    sb_release(&err);
    return l;
}

START_TEST(test_table)
{
    const ign_case *c = &cases[_i];
    ign_list *l = compile(c->patterns);
    ck_assert_msg(ign_match(l, c->path, c->is_dir) == c->excluded, "patterns %s, %s%s: want %s",
                  c->patterns, c->path, c->is_dir ? "/" : "", c->excluded ? "excluded" : "kept");
    ign_free(l);
}
END_TEST

START_TEST(test_bad_patterns)
{
    static const char *const bad[] = {"[abc", "a/[b/c]", "x\\", "[z-a]", "[", "[^"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ign_list *l = ign_new();
        strbuf err = STRBUF_INIT;
        ck_assert_msg(ign_add(l, bad[i], &err) == -1, "%s accepted", bad[i]);
        ck_assert_uint_gt(err.len, 0);
        ck_assert_uint_eq(ign_count(l), 0);
        sb_release(&err);
        ign_free(l);
    }
}
END_TEST

START_TEST(test_text)
{
    const char text[] = "# comment\n\n  *.tmp  \r\n!keep.tmp\n\t# indented comment\nbuild/\n";
    ign_list *l = ign_new();
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(ign_add_text(l, text, sizeof text - 1, ".fuseignore", &err), 0);
    ck_assert_uint_eq(ign_count(l), 3);
    ck_assert(ign_has_negation(l));
    ck_assert(ign_match(l, "a.tmp", 0));
    ck_assert(!ign_match(l, "keep.tmp", 0));
    ck_assert(ign_match(l, "build", 1));
    ck_assert(!ign_match(l, "build", 0));
    ck_assert(!ign_match(l, "# comment", 0));
    ign_free(l);

    l = ign_new();
    const char bad[] = "ok\n\n[oops\n";
    ck_assert_int_eq(ign_add_text(l, bad, sizeof bad - 1, "app/.fuseignore", &err), -1);
    ck_assert_str_eq(err.buf,
                     "app/.fuseignore:3: bad pattern \"[oops\": has an unclosed or malformed [...] "
                     "class");
    ign_free(l);

    /* A control byte in a bad line does not break the message's line. */
    l = ign_new();
    sb_reset(&err);
    const char ctl[] = "a\rb[\n";
    ck_assert_int_eq(ign_add_text(l, ctl, sizeof ctl - 1, "f", &err), -1);
    ck_assert_str_eq(err.buf,
                     "f:1: bad pattern \"a\\x0db[\": has an unclosed or malformed [...] class");
    ign_free(l);
    sb_release(&err);
}
END_TEST

/* A deep path (beyond the matcher's stack of components) still matches. */
START_TEST(test_deep_path)
{
    strbuf p = STRBUF_INIT;
    for (int i = 0; i < 200; i++)
        sb_addf(&p, "d%d/", i);
    sb_adds(&p, "x.pyc");
    ign_list *l = compile("**/d150/**/*.pyc");
    ck_assert(ign_match(l, p.buf, 0));
    ign_free(l);
    l = compile("**/d150/**/*.py");
    ck_assert(!ign_match(l, p.buf, 0));
    ign_free(l);
    sb_release(&p);
}
END_TEST

/* Patterns that make a backtracking matcher exponential finish at once. */
START_TEST(test_bounded_time)
{
    strbuf pat = STRBUF_INIT, path = STRBUF_INIT, seg = STRBUF_INIT;
    for (int i = 0; i < 30; i++)
        sb_adds(&pat, "**/a*a*a*a*/");
    sb_adds(&pat, "b");
    for (int i = 0; i < 60; i++)
        sb_adds(&path, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/");
    sb_adds(&path, "c");
    ign_list *l = compile(pat.buf);
    clock_t t0 = clock();
    ck_assert(!ign_match(l, path.buf, 0));
    ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "too slow");
    ign_free(l);
    sb_release(&pat);
    sb_release(&path);
    sb_release(&seg);
}
END_TEST

Suite *ignore_suite(void)
{
    Suite *s = suite_create("ignore");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, test_bad_patterns);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_deep_path);
    tcase_add_test(tc, test_bounded_time);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(ignore_suite)

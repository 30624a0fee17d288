/* test_cli.c -- the command line: getopt options and the fabric task grammar. */
#include "cli.h"

#include "testutil.h"

#include <string.h>

/* Parses a NULL-terminated argument list (argv[0] = "fuse" is added). */
static int parse(cli_opts *o, strbuf *err, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "fuse";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return cli_parse(argc, argv, o, err);
}

#define PARSE(o, err, ...) parse(o, err, (const char *const[]){__VA_ARGS__, NULL})

/* Asserts that word fails with exactly the line want. */
static void task_err(const char *word, const char *want)
{
    cli_task t;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task(word, &t, &err), 2);
    ck_assert_str_eq(err.buf, want);
    ck_assert_ptr_null(t.name);
    ck_assert_uint_eq(t.nargs, 0);
    sb_release(&err);
}

/* Asserts that the options fail with exactly the line want. */
static void opts_err(const char *want, const char *const *args)
{
    cli_opts o;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(parse(&o, &err, args), 2);
    ck_assert_str_eq(err.buf, want);
    cli_opts_free(&o);
    sb_release(&err);
}

#define OPTS_ERR(want, ...) opts_err(want, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(task_plain)
{
    cli_task t;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task("app_server", &t, &err), 0);
    ck_assert_str_eq(t.name, "app_server");
    ck_assert_uint_eq(t.nargs, 0);
    cli_task_free(&t);
    ck_assert_int_eq(cli_parse_task("web.api:", &t, &err), 0);
    ck_assert_str_eq(t.name, "web.api");
    ck_assert_uint_eq(t.nargs, 0);
    cli_task_free(&t);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(task_args)
{
    cli_task t;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task("app_server:tag=mytag,ports=8000;8001,env=A=1;B=x=y", &t, &err),
                     0);
    ck_assert_str_eq(t.name, "app_server");
    ck_assert_uint_eq(t.nargs, 3);
    ck_assert_str_eq(t.args[0].key, "tag");
    ck_assert_str_eq(t.args[0].value, "mytag");
    ck_assert_str_eq(t.args[1].key, "ports");
    ck_assert_str_eq(t.args[1].value, "8000;8001");
    /* only the first '=' splits */
    ck_assert_str_eq(t.args[2].key, "env");
    ck_assert_str_eq(t.args[2].value, "A=1;B=x=y");
    cli_task_free(&t);
    /* an empty value is a value */
    ck_assert_int_eq(cli_parse_task("t:cmd=", &t, &err), 0);
    ck_assert_uint_eq(t.nargs, 1);
    ck_assert_str_eq(t.args[0].value, "");
    cli_task_free(&t);
}
END_TEST

START_TEST(task_escapes)
{
    cli_task t;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task("t:msg=a\\,b\\=c,k\\=x=1", &t, &err), 0);
    ck_assert_uint_eq(t.nargs, 2);
    ck_assert_str_eq(t.args[0].key, "msg");
    ck_assert_str_eq(t.args[0].value, "a,b=c");
    ck_assert_str_eq(t.args[1].key, "k=x");
    ck_assert_str_eq(t.args[1].value, "1");
    cli_task_free(&t);
    /* "\;" and "\\" stay escaped in the value, for the list splitter */
    ck_assert_int_eq(cli_parse_task("t:v=a\\;b;c\\\\d", &t, &err), 0);
    ck_assert_str_eq(t.args[0].value, "a\\;b;c\\\\d");
    char *plain = cli_unescape(t.args[0].value);
    ck_assert_str_eq(plain, "a;b;c\\d");
    free(plain);
    cli_task_free(&t);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(task_errors)
{
    task_err("app_server:tag=a\\x", "bad escape \"\\x\" in argument \"app_server:tag=a\\x\"");
    task_err("app_server:tag=a\\", "trailing backslash in argument \"app_server:tag=a\\\"");
    task_err("app_server:foo",
             "app_server: positional argument \"foo\" is not supported; use KEY=VALUE");
    task_err("app_server:tag=x,foo\\,bar",
             "app_server: positional argument \"foo\\,bar\" is not supported; use KEY=VALUE");
    task_err("app_server:=x", "app_server: argument \"=x\" has no key");
    task_err("app_server:a=1,,b=2", "app_server: empty argument in \"app_server:a=1,,b=2\"");
    task_err("app_server:a=1,", "app_server: empty argument in \"app_server:a=1,\"");
    task_err("app_server:tag=a,tag=b", "app_server: argument \"tag\" given twice");
    task_err(":tag=x", "missing task name in argument \":tag=x\"");
    task_err("", "missing task name in argument \"\"");
}
END_TEST

static void collect(const char *item, void *ud)
{
    strbuf *sb = ud;
    sb_addf(sb, "[%s]", item);
}

static const char *split(strbuf *sb, const char *value)
{
    sb_reset(sb);
    cli_split_list(value, collect, sb);
    return sb->buf;
}

START_TEST(split_list)
{
    strbuf sb = STRBUF_INIT;
    ck_assert_str_eq(split(&sb, ""), "");
    ck_assert_str_eq(split(&sb, "a"), "[a]");
    ck_assert_str_eq(split(&sb, "a;b;c"), "[a][b][c]");
    ck_assert_str_eq(split(&sb, "a;"), "[a][]");
    ck_assert_str_eq(split(&sb, "a\\;b;c"), "[a;b][c]");
    /* an escaped backslash before ';' does not escape the ';' */
    ck_assert_str_eq(split(&sb, "a\\\\;b"), "[a\\][b]");
    sb_release(&sb);
}
END_TEST

START_TEST(split_through_parse)
{
    cli_task t;
    strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task("t:volumes=/a\\;b;/c\\\\;/d\\,e", &t, &err), 0);
    ck_assert_str_eq(split(&sb, t.args[0].value), "[/a;b][/c\\][/d,e]");
    cli_task_free(&t);
    sb_release(&sb);
}
END_TEST

START_TEST(opts_flags)
{
    cli_opts o;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(
        PARSE(&o, &err, "-n", "--no-cache", "-v", "-f", "x.lua", "app_server:tag=t", "other"), 0);
    ck_assert(o.dry_run && o.no_cache && o.verbose && !o.quiet && !o.list && !o.pull && !o.push);
    ck_assert_str_eq(o.fusefile, "x.lua");
    ck_assert_uint_eq(o.ntasks, 2);
    ck_assert_str_eq(o.tasks[0].name, "app_server");
    ck_assert_str_eq(o.tasks[0].args[0].value, "t");
    ck_assert_str_eq(o.tasks[1].name, "other");
    cli_opts_free(&o);

    ck_assert_int_eq(PARSE(&o, &err, "--dry-run", "--quiet", "--pull", "--push", "--fusefile=y.lua",
                           "-dweb.api"),
                     0);
    ck_assert(o.dry_run && o.quiet && o.pull && o.push);
    ck_assert_str_eq(o.fusefile, "y.lua");
    ck_assert_str_eq(o.display, "web.api");
    ck_assert_uint_eq(o.ntasks, 0);
    cli_opts_free(&o);

    ck_assert_int_eq(PARSE(&o, &err, "-l"), 0);
    ck_assert(o.list);
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "--shortlist"), 0);
    ck_assert(o.shortlist);
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "--version"), 0);
    ck_assert(o.version);
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "-h"), 0);
    ck_assert(o.help);
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "--iidfile", "id.txt", "t"), 0);
    ck_assert_str_eq(o.iidfile, "id.txt");
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "-j", "4", "--engine", "unix:///a", "--engine=b", "t"), 0);
    ck_assert_uint_eq(o.jobs, 4);
    ck_assert_uint_eq(o.engines.nr, 2);
    ck_assert_str_eq(o.engines.v[0], "unix:///a");
    ck_assert_str_eq(o.engines.v[1], "b");
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "--jobs=64", "t"), 0);
    ck_assert_uint_eq(o.jobs, 64);
    cli_opts_free(&o);
    /* unique abbreviations, as getopt_long allows */
    ck_assert_int_eq(PARSE(&o, &err, "--dry", "t"), 0);
    ck_assert(o.dry_run);
    cli_opts_free(&o);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

/* Option parsing stops at the first task word, so a later "-n" is a task
 * word, as in `fuse t -- ...` style commands. */
START_TEST(opts_stop_at_task)
{
    cli_opts o;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(PARSE(&o, &err, "app_server", "-n"), 0);
    ck_assert(!o.dry_run);
    ck_assert_uint_eq(o.ntasks, 2);
    ck_assert_str_eq(o.tasks[1].name, "-n");
    cli_opts_free(&o);
    ck_assert_int_eq(PARSE(&o, &err, "-q", "--", "t"), 0);
    ck_assert(o.quiet);
    ck_assert_uint_eq(o.ntasks, 1);
    cli_opts_free(&o);
}
END_TEST

START_TEST(opts_errors)
{
    OPTS_ERR("unknown option --frob", "--frob", "t");
    OPTS_ERR("unknown option --frob", "--frob=1", "t");
    OPTS_ERR("unknown option -x", "-x", "t");
    OPTS_ERR("unknown option -x", "-nx", "t");
    OPTS_ERR("unknown option -x", "--list", "-xl");
    OPTS_ERR("ambiguous option --ver (could be --verbose, --version)", "--ver");
    OPTS_ERR("option --list takes no value", "--list=yes");
    OPTS_ERR("option -d needs an argument", "-d");
    OPTS_ERR("option --display needs an argument", "--display");
    OPTS_ERR("option -f needs an argument", "-nf");
    OPTS_ERR("options -v and -q cannot be used together", "-v", "-q", "t");
    OPTS_ERR("option --iidfile: expected a file name", "--iidfile=", "t");
    OPTS_ERR("option --iidfile needs an argument", "--iidfile");
    OPTS_ERR("option -j/--jobs: expected a number of jobs from 1 to 64, got \"0\"", "-j", "0", "t");
    OPTS_ERR("option -j/--jobs: expected a number of jobs from 1 to 64, got \"4x\"", "-j4x", "t");
    OPTS_ERR("option -j/--jobs: expected a number of jobs from 1 to 64, got \"65\"", "--jobs=65",
             "t");
    OPTS_ERR("option -j needs an argument", "-j");
    OPTS_ERR("option --engine: expected an engine URL or context name", "--engine=", "t");
    OPTS_ERR("option --iidfile names one image; it cannot be used with -j", "-j2", "--iidfile=x",
             "t");
    OPTS_ERR("bad escape \"\\x\" in argument \"t:a=\\x\"", "t:a=\\x");
    OPTS_ERR("t2: positional argument \"p\" is not supported; use KEY=VALUE", "t1", "t2:p");
}
END_TEST

START_TEST(opts_no_task)
{
    cli_opts o;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(parse(&o, &err, (const char *const[]){NULL}), 2);
    ck_assert_str_eq(err.buf, "no task given");
    cli_opts_free(&o);
    sb_reset(&err);
    ck_assert_int_eq(PARSE(&o, &err, "-n", "-v"), 2);
    ck_assert_str_eq(err.buf, "no task given");
    cli_opts_free(&o);
    sb_release(&err);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_add_test(tc, task_plain);
    tcase_add_test(tc, task_args);
    tcase_add_test(tc, task_escapes);
    tcase_add_test(tc, task_errors);
    tcase_add_test(tc, split_list);
    tcase_add_test(tc, split_through_parse);
    tcase_add_test(tc, opts_flags);
    tcase_add_test(tc, opts_stop_at_task);
    tcase_add_test(tc, opts_errors);
    tcase_add_test(tc, opts_no_task);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cli_suite)

/* test_remote.c -- the text formats of blueprints (rm_host.c): host words
 * and fuse-apply's summary line. The hosts themselves are in
 * tests/integration/test_blueprint.sh. */
#include "rm.h"

#include "testutil.h"

#include <string.h>

static void host_ok(const char *word, const char *user, const char *name, const char *port)
{
    rm_host h;
    strbuf err = STRBUF_INIT;
    ck_assert_msg(rm_host_parse(word, &h, &err) == 0, "%s: %s", word, err.buf);
    if (user)
        ck_assert_str_eq(h.user, user);
    else
        ck_assert_ptr_null(h.user);
    ck_assert_str_eq(h.name, name);
    if (port)
        ck_assert_str_eq(h.port, port);
    else
        ck_assert_ptr_null(h.port);
    rm_host_free(&h);
    sb_release(&err);
}

static void host_bad(const char *word, const char *why)
{
    rm_host h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(rm_host_parse(word, &h, &err), -1);
    ck_assert_msg(strstr(err.buf, why) != NULL, "%s: %s", word, err.buf);
    ck_assert_ptr_null(h.name);
    sb_release(&err);
}

START_TEST(host_words)
{
    host_ok("web1", NULL, "web1", NULL);
    host_ok("deploy@10.0.0.7:2222", "deploy", "10.0.0.7", "2222");
    host_ok("[fe80::1]:22", NULL, "fe80::1", "22");
    host_ok("root@[::1]", "root", "::1", NULL);
    host_bad("-oProxyCommand=x", "start with '-'");
    host_bad("-l@x", "the user before @");
    host_bad("@x", "the user before @");
    host_bad("web1:0", "1 to 65535");
    host_bad("web1:99999", "1 to 65535");
    host_bad("web1:22x", "1 to 65535");
    host_bad("web 1", "space");
    host_bad("a;rm", "shell character");
    host_bad("", "must not be empty");
    host_bad("[::1", "closing ]");
    host_bad("fe80::1", "from 1 to 65535"); /* a bare v6 address needs brackets */
}
END_TEST

START_TEST(host_lists)
{
    strbuf err = STRBUF_INIT;
    fv *empty = fv_list();
    ck_assert_int_eq(rm_hosts_check(empty, &err), -1);
    ck_assert_str_eq(err.buf,
                     "blueprint: no hosts: give hosts = { \"web1\", ... } or hosts=web1;web2");
    sb_reset(&err);
    ck_assert_int_eq(rm_hosts_check(NULL, &err), -1);
    sb_reset(&err);
    fv_push(empty, fv_strz("web1"));
    ck_assert_int_eq(rm_hosts_check(empty, &err), 0);
    fv_push(empty, fv_num(3));
    ck_assert_int_eq(rm_hosts_check(empty, &err), -1);
    ck_assert_str_eq(err.buf, "blueprint: hosts: must be strings");
    sb_reset(&err);
    ck_assert_int_eq(rm_user_check("deploy", &err), 0);
    ck_assert_int_eq(rm_user_check(NULL, &err), 0);
    ck_assert_int_eq(rm_user_check("-oX", &err), -1);
    ck_assert_str_eq(err.buf, "blueprint: user \"-oX\" is not a login name");
    fv_free(empty);
    sb_release(&err);
}
END_TEST

static int summary(const char *line, rm_summary *s)
{
    return rm_summary_parse(line, strlen(line), s);
}

START_TEST(summary_lines)
{
    rm_summary s = {0, 0, 0, STRBUF_INIT, STRBUF_INIT};
    ck_assert_int_eq(summary("fuse-apply-summary 2 5 7", &s), 1);
    ck_assert_uint_eq(s.changed, 2);
    ck_assert_uint_eq(s.same, 5);
    ck_assert_uint_eq(s.total, 7);
    ck_assert_uint_eq(s.failed.len, 0);
    ck_assert_int_eq(summary("fuse-apply-summary 1 0 3 failed Execute[migrate]\texit 2", &s), 1);
    ck_assert_str_eq(s.failed.buf, "Execute[migrate]");
    ck_assert_str_eq(s.why.buf, "exit 2");
    ck_assert_int_eq(summary("fuse-apply-summary 0 0 1", &s), 1);
    ck_assert_uint_eq(s.failed.len, 0);
    /* Anything else is a line of output, shown to the user. */
    ck_assert_int_eq(summary("fuse-apply-summary", &s), 0);
    ck_assert_int_eq(summary("fuse-apply-summary 1 2", &s), 0);
    ck_assert_int_eq(summary("fuse-apply-summary 1 2 x", &s), 0);
    ck_assert_int_eq(summary("fuse-apply-summary 1 2 3 later", &s), 0);
    ck_assert_int_eq(summary("File[/x] created", &s), 0);
    sb_release(&s.failed);
    sb_release(&s.why);
}
END_TEST

Suite *remote_suite(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("remote");
    tcase_add_test(tc, host_words);
    tcase_add_test(tc, host_lists);
    tcase_add_test(tc, summary_lines);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(remote_suite)

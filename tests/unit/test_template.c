/* test_template.c -- the {{ name }} parser (template.h) on its own: what
 * renders, what fails with which line and message, and the escape. */
#include "template.h"

#include "testutil.h"

#include <string.h>

/* Names of the form v<digits> or a.b have values; "bad" cannot be written;
 * everything else is missing. */
static int lookup(const char *name, size_t len, strbuf *out, strbuf *why, void *ud)
{
    (void)ud;
    if (len == 3 && memcmp(name, "bad", 3) == 0) {
        sb_adds(why, "the value is a table, not a string, number or boolean");
        return -1;
    }
    if ((len >= 2 && name[0] == 'v') || (len == 3 && memcmp(name, "a.b", 3) == 0)) {
        sb_addc(out, '<');
        sb_add(out, name, len);
        sb_addc(out, '>');
        return 0;
    }
    return 1;
}

/* Renders src: "OK:<output>" or "ERR <line>: <message>". */
static const char *render(strbuf *res, const char *src)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    size_t line = 0;
    sb_reset(res);
    if (tpl_render(src, strlen(src), lookup, NULL, &out, &line, &err) == 0)
        sb_addf(res, "OK:%s", out.buf);
    else
        sb_addf(res, "ERR %zu: %s", line, err.buf);
    sb_release(&out);
    sb_release(&err);
    return res->buf;
}

START_TEST(test_renders)
{
    strbuf r = STRBUF_INIT;
    ck_assert_str_eq(render(&r, ""), "OK:");
    ck_assert_str_eq(render(&r, "plain { text } }} {x}"), "OK:plain { text } }} {x}");
    ck_assert_str_eq(render(&r, "{{ v1 }}"), "OK:<v1>");
    ck_assert_str_eq(render(&r, "a{{v1}}b{{\tv_2 }}c"), "OK:a<v1>b<v_2>c");
    ck_assert_str_eq(render(&r, "{{ a.b }}"), "OK:<a.b>");
    ck_assert_str_eq(render(&r, "{{{{ v1 }}"), "OK:{{ v1 }}");
    ck_assert_str_eq(render(&r, "{{{{{{{{"), "OK:{{{{");
    ck_assert_str_eq(render(&r, "x {"), "OK:x {");
    /* a value is never read as a template again */
    ck_assert_str_eq(render(&r, "{{v1}}{{v2}}"), "OK:<v1><v2>");
    sb_release(&r);
}
END_TEST

START_TEST(test_errors)
{
    strbuf r = STRBUF_INIT;
    ck_assert_str_eq(render(&r, "a\nb {{ nope }}"), "ERR 2: no value for {{ nope }}");
    ck_assert_str_eq(render(&r, "{{ bad }}"),
                     "ERR 1: {{ bad }}: the value is a table, not a string, number or boolean");
    ck_assert_str_eq(render(&r, "\n\n{{ v1"), "ERR 3: unclosed {{ (a literal {{ is written {{{{)");
    /* a placeholder stays on one line */
    ck_assert_str_eq(render(&r, "{{ v1\n}}"), "ERR 1: unclosed {{ (a literal {{ is written {{{{)");
    ck_assert_str_eq(render(&r, "{{"), "ERR 1: unclosed {{ (a literal {{ is written {{{{)");
    ck_assert_str_eq(render(&r, "{{{ v1 }}}"),
                     "ERR 1: bad placeholder {{{ v1 }}: a name is letters, digits and _, parts "
                     "joined by '.' (a literal {{ is written {{{{)");
    static const char *const bad[] = {"{{}}",       "{{ }}",    "{{ a b }}", "{{ .a }}", "{{ a. }}",
                                      "{{ a..b }}", "{{ 1a }}", "{{ a-b }}", "{{ a.1 }}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(strncmp(render(&r, bad[i]), "ERR 1: bad placeholder ", 23) == 0, "%s: %s",
                      bad[i], r.buf);
    /* a long placeholder is quoted short */
    char longname[200];
    memset(longname, 'x', sizeof longname);
    memcpy(longname, "{{ -", 4);
    memcpy(longname + sizeof longname - 3, "}}", 3);
    ck_assert_ptr_nonnull(strstr(render(&r, longname), "{{ -xxxxx"));
    ck_assert_ptr_nonnull(strstr(r.buf, "...: a name is"));
    sb_release(&r);
}
END_TEST

START_TEST(test_escape_round_trip)
{
    static const char *const texts[] = {"",     "{",           "{{",   "{{{",
                                        "{{{{", "a {{ b }} c", "}}{{", "{{{{{ x"};
    strbuf esc = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        sb_reset(&esc);
        sb_reset(&out);
        size_t line = 0;
        tpl_escape(texts[i], strlen(texts[i]), &esc);
        ck_assert_int_eq(tpl_render(esc.buf, esc.len, lookup, NULL, &out, &line, &err), 0);
        ck_assert_str_eq(out.buf, texts[i]);
    }
    sb_release(&esc);
    sb_release(&out);
    sb_release(&err);
}
END_TEST

Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("template");
    tcase_add_test(tc, test_renders);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_escape_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(template_suite)

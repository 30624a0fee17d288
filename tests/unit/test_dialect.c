/* test_dialect.c -- the classic builder's dialect: Docker's messages in,
 * typed events out, whatever the split of the text. */
#include "dialect.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* The events, one per line: "KIND step/nsteps text [code]". */
static void record(const dk_event *e, void *ud)
{
    static const char *const kind[] = {"STEP", "OUTPUT", "NOTE", "IMAGE", "ERROR"};
    strbuf *out = ud;
    sb_addf(out, "%s %ld/%ld %s", kind[e->kind], e->step, e->nsteps, e->text);
    if (e->kind == DK_EV_ERROR)
        sb_addf(out, " [%d]", e->code);
    if (e->raw && strcmp(e->raw, e->line) != 0)
        sb_adds(out, " (raw differs)");
    sb_addc(out, '\n');
}

static void feed_stream(void *st, const char *text)
{
    dk_msg m = {.json = "{}", .json_len = 2, .stream = text};
    dl_classic.message(st, &m);
}

static void feed_error(void *st, const char *msg)
{
    dk_msg m = {.json = "{}", .json_len = 2, .error = msg};
    dl_classic.message(st, &m);
}

static void end(void *st)
{
    dl_classic.finish(st);
    dl_classic.close(st);
}

START_TEST(test_classic_events)
{
    strbuf out = STRBUF_INIT;
    void *st = dl_classic.open(record, &out);
    feed_stream(st, "Step 1/3 : FROM busybox\n ---> fc4a\nStep 2/3 : RUN [\"x\"]\r\n");
    feed_stream(st, " ---> Running in 0123\n\033[91mboom");
    feed_stream(st, "\033[0m\nRemoving intermediate container 0123\n");
    dk_msg status = {.json = "{}", .json_len = 2, .status = "Pulling fs layer"};
    dl_classic.message(st, &status);
    feed_error(st, "The command '/bin/sh -c x' returned a non-zero code: 3\n");
    feed_error(st, "again"); /* a second error is not reported */
    feed_stream(st, "Successfully built 0123456789ab\nlast words");
    dk_msg aux = {.json = "{}", .json_len = 2, .aux_id = "sha256:0123"};
    dl_classic.message(st, &aux);
    end(st);
    ck_assert_str_eq(out.buf, "STEP 1/3 FROM busybox\n"
                              "NOTE 1/3  ---> fc4a\n"
                              "STEP 2/3 RUN [\"x\"] (raw differs)\n"
                              "NOTE 2/3  ---> Running in 0123\n"
                              "OUTPUT 2/3 boom (raw differs)\n"
                              "NOTE 2/3 Removing intermediate container 0123\n"
                              "NOTE 2/3 Pulling fs layer\n"
                              "ERROR 2/3 The command '/bin/sh -c x' returned a non-zero "
                              "code: 3 [3]\n"
                              "IMAGE 2/3 0123456789ab\n"
                              "IMAGE 2/3 sha256:0123\n"
                              "OUTPUT 2/3 last words\n");
    sb_release(&out);
}
END_TEST

START_TEST(test_classic_not_a_step)
{
    strbuf out = STRBUF_INIT;
    void *st = dl_classic.open(record, &out);
    feed_stream(st, "Step 3/2 : RUN x\nStep x/2 : RUN y\nStep 0/2 : RUN z\n");
    feed_error(st, "pull access denied\nmore");
    end(st);
    ck_assert_str_eq(out.buf, "OUTPUT 0/0 Step 3/2 : RUN x\n"
                              "OUTPUT 0/0 Step x/2 : RUN y\n"
                              "OUTPUT 0/0 Step 0/2 : RUN z\n"
                              "ERROR 0/0 pull access denied [-1]\n");
    sb_release(&out);
}
END_TEST

START_TEST(test_strip_escapes)
{
    static const char *const cases[][2] = {
        {"\033[91mred\033[0m", "red"},
        {"a\033[1;31mb", "ab"},
        {"\033]0;title\007text", "text"},
        {"\033]0;title\033\\text", "text"},
        {"\033(Bx", "x"},
        {"cut\033[12", "cut"},
        {"cut\033", "cut"},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", cases[i][0]);
        dl_strip_escapes(buf);
        ck_assert_str_eq(buf, cases[i][1]);
    }
}
END_TEST

Suite *dialect_suite(void)
{
    Suite *s = suite_create("dialect");
    TCase *tc = tcase_create("classic");
    tcase_add_test(tc, test_classic_events);
    tcase_add_test(tc, test_classic_not_a_step);
    tcase_add_test(tc, test_strip_escapes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dialect_suite)

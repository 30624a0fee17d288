/* test_dialect.c -- the classic builder's and Podman's dialects: the
 * engine's messages in, typed events out, whatever the split of the text. */
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

/* Each message of a stream Podman 4.3.1's service sent, fed to dl_podman. */
static void feed_podman(strbuf *out, const char *const *stream, const char *error, const char *aux)
{
    void *st = dl_podman.open(record, out);
    for (; *stream; stream++) {
        dk_msg m = {.json = "{}", .json_len = 2, .stream = *stream};
        dl_podman.message(st, &m);
    }
    if (aux) {
        dk_msg m = {.json = "{}", .json_len = 2, .aux_id = aux};
        dl_podman.message(st, &m);
    }
    if (error) {
        dk_msg m = {.json = "{}", .json_len = 2, .error = error};
        dl_podman.message(st, &m);
    }
    dl_podman.finish(st);
    dl_podman.close(st);
}

#define PM_ID "d88f3896899db08fa96c94a236b3b5b036a50296f9e24b5482869bcbf7a86db7"

/* A warm rebuild of the hello example, as captured (steps 3-6 cut). */
START_TEST(test_podman_build)
{
    static const char *const stream[] = {
        "STEP 1/7: FROM debian:bookworm\n",
        "STEP 2/7: COPY fuse /.fuse/\n",
        "--> Using cache bed37952763456174a8faf8b2081c7736b6af62c39d6a7f8eeb31327df427cf1\n",
        "--> bed37952763\n",
        "STEP 7/7: CMD [\"python3\",\"-m\",\"http.server\",\"8000\"]\n",
        "Package[python3] installed\n",
        "COMMIT docker.io/library/myproject:appserver\n",
        "--> d88f3896899\n",
        "Successfully tagged docker.io/library/myproject:appserver\n",
        PM_ID "\n",
        NULL};
    strbuf out = STRBUF_INIT;
    feed_podman(&out, stream, NULL, "sha256:" PM_ID);
    ck_assert_str_eq(out.buf, "STEP 1/7 FROM debian:bookworm\n"
                              "STEP 2/7 COPY fuse /.fuse/\n"
                              "NOTE 2/7 --> Using cache "
                              "bed37952763456174a8faf8b2081c7736b6af62c39d6a7f8eeb31327df427cf1\n"
                              "NOTE 2/7 --> bed37952763\n"
                              "STEP 7/7 CMD [\"python3\",\"-m\",\"http.server\",\"8000\"]\n"
                              "OUTPUT 7/7 Package[python3] installed\n"
                              "NOTE 7/7 COMMIT docker.io/library/myproject:appserver\n"
                              "NOTE 7/7 --> d88f3896899\n"
                              "NOTE 7/7 Successfully tagged docker.io/library/myproject:appserver\n"
                              "IMAGE 7/7 sha256:" PM_ID "\n"
                              "IMAGE 7/7 sha256:" PM_ID "\n");
    sb_release(&out);
}
END_TEST

/* A failed fuse-apply: its output split over messages, then buildah's
 * error with the exit status. */
START_TEST(test_podman_failure)
{
    static const char *const stream[] = {
        "STEP 4/5: RUN [\"/.fuse/fuse-apply\",\"--json\",\"{}\"]\n",
        "fuse-apply: Execute[check ok]: command exited with status 1\n  command: echo checking; "
        "test no = yes\n  checking",
        "\n", NULL};
    strbuf out = STRBUF_INIT;
    feed_podman(&out, stream,
                "building at STEP \"RUN /.fuse/fuse-apply --json {}\": while running runtime: "
                "exit status 1\n",
                NULL);
    ck_assert_str_eq(out.buf,
                     "STEP 4/5 RUN [\"/.fuse/fuse-apply\",\"--json\",\"{}\"]\n"
                     "OUTPUT 4/5 fuse-apply: Execute[check ok]: command exited with status 1\n"
                     "OUTPUT 4/5   command: echo checking; test no = yes\n"
                     "OUTPUT 4/5   checking\n"
                     "ERROR 4/5 building at STEP \"RUN /.fuse/fuse-apply --json {}\": while "
                     "running runtime: exit status 1 [1]\n");
    sb_release(&out);
    /* Not a step's failure: no exit status. */
    static const char *const none[] = {NULL};
    feed_podman(&out, none, "exit status 3", NULL);
    ck_assert_str_eq(out.buf, "ERROR 0/0 exit status 3 [-1]\n");
    sb_release(&out);
}
END_TEST

/* buildah numbers each stage's steps from 1: the events number them across
 * stages, as Docker does; the total is known in the last stage. A bare ID
 * before COMMIT is a step's output. */
START_TEST(test_podman_stages)
{
    static const char *const stream[] = {"[1/2] STEP 1/3: FROM fuse-test/busybox AS one\n",
                                         "[1/2] STEP 3/3: RUN echo a\n",
                                         PM_ID "\n",
                                         "[2/2] STEP 1/4: FROM fuse-test/busybox\n",
                                         "[2/2] STEP 4/4: RUN sh -c 'exit 3'\n",
                                         "[1/2] STEP 1/3: FROM x\n",
                                         "[3/2] STEP 1/1: FROM x\n",
                                         NULL};
    strbuf out = STRBUF_INIT;
    feed_podman(&out, stream,
                "building at STEP \"RUN sh -c 'exit 3'\": while running runtime: exit status 3\n",
                NULL);
    ck_assert_str_eq(out.buf, "STEP 1/0 FROM fuse-test/busybox AS one\n"
                              "STEP 3/0 RUN echo a\n"
                              "OUTPUT 3/0 " PM_ID "\n"
                              "STEP 4/7 FROM fuse-test/busybox\n"
                              "STEP 7/7 RUN sh -c 'exit 3'\n"
                              "OUTPUT 7/7 [1/2] STEP 1/3: FROM x\n"
                              "OUTPUT 7/7 [3/2] STEP 1/1: FROM x\n"
                              "ERROR 7/7 building at STEP \"RUN sh -c 'exit 3'\": while running "
                              "runtime: exit status 3 [3]\n");
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
    tc = tcase_create("podman");
    tcase_add_test(tc, test_podman_build);
    tcase_add_test(tc, test_podman_failure);
    tcase_add_test(tc, test_podman_stages);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dialect_suite)

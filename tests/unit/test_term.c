/* test_term.c -- colour and in-place progress on a pseudo-terminal, plain
 * output on a pipe, no colour with NO_COLOR, and TERM=dumb as a pipe. */
#include "term.h"

#include "testutil.h"

#include <fcntl.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The other end of what the code under test writes to. */
typedef struct sink {
    int rfd;
    FILE *w;
} sink;

/* A pseudo-terminal cols wide, raw so the line discipline adds no \r. */
static sink open_pty(unsigned short cols)
{
    int m, s;
    struct winsize ws = {.ws_row = 24, .ws_col = cols};
    ck_assert_int_eq(openpty(&m, &s, NULL, NULL, &ws), 0);
    struct termios t;
    ck_assert_int_eq(tcgetattr(s, &t), 0);
    cfmakeraw(&t);
    ck_assert_int_eq(tcsetattr(s, TCSANOW, &t), 0);
    ck_assert_int_eq(fcntl(m, F_SETFL, O_NONBLOCK), 0);
    sink k = {m, fdopen(s, "w")};
    ck_assert_ptr_nonnull(k.w);
    return k;
}

static sink open_pipe(void)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    sink k = {p[0], fdopen(p[1], "w")};
    ck_assert_ptr_nonnull(k.w);
    return k;
}

/* Everything written so far (the writer flushes after each call). */
static char *drain(sink *k)
{
    static char buf[4096];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(k->rfd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    fclose(k->w);
    close(k->rfd);
    return buf;
}

static void two_steps(sink *k)
{
    term_progress(k->w, "[1/2]", "File /a");
    term_progress(k->w, "[2/2]", "Package python3");
    term_progress_end();
}

START_TEST(pty_rewrites_one_line_in_bold)
{
    unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    sink k = open_pty(80);
    ck_assert(term_tty(k.w));
    ck_assert(term_color(k.w));
    two_steps(&k);
    ck_assert_str_eq(drain(&k), "\r\033[K\033[1m[1/2]\033[0m File /a"
                                "\r\033[K\033[1m[2/2]\033[0m Package python3\n");
}
END_TEST

START_TEST(pty_no_color_keeps_rewriting_without_escapes_of_colour)
{
    setenv("NO_COLOR", "1", 1);
    setenv("TERM", "xterm", 1);
    sink k = open_pty(80);
    ck_assert(term_tty(k.w));
    ck_assert(!term_color(k.w));
    ck_assert_str_eq(term_on(k.w, TERM_RED), "");
    ck_assert_str_eq(term_off(k.w), "");
    two_steps(&k);
    ck_assert_str_eq(drain(&k), "\r\033[K[1/2] File /a\r\033[K[2/2] Package python3\n");
}
END_TEST

START_TEST(pty_empty_no_color_means_colour)
{
    setenv("NO_COLOR", "", 1);
    setenv("TERM", "xterm", 1);
    sink k = open_pty(80);
    ck_assert(term_color(k.w));
    ck_assert_str_eq(term_on(k.w, TERM_RED), "\033[1;31m");
    drain(&k);
}
END_TEST

START_TEST(pty_long_line_is_cut_to_the_width)
{
    setenv("NO_COLOR", "1", 1);
    setenv("TERM", "xterm", 1);
    sink k = open_pty(20);
    /* 20 columns - "[1/2]" - a space - one spare column = 13 characters;
     * "é" is two bytes but one column and is not cut in half. */
    term_progress(k.w, "[1/2]", "File /\xc3\xa9tc/very/long/path/name");
    term_progress_end();
    ck_assert_str_eq(drain(&k), "\r\033[K[1/2] File /\xc3\xa9tc/ver\n");
}
END_TEST

START_TEST(pipe_gets_plain_lines)
{
    unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    sink k = open_pipe();
    ck_assert(!term_tty(k.w));
    ck_assert(!term_color(k.w));
    ck_assert_str_eq(term_on(k.w, TERM_BOLD), "");
    two_steps(&k);
    ck_assert_str_eq(drain(&k), "[1/2] File /a\n[2/2] Package python3\n");
}
END_TEST

START_TEST(dumb_terminal_is_a_pipe)
{
    unsetenv("NO_COLOR");
    setenv("TERM", "dumb", 1);
    sink k = open_pty(80);
    ck_assert(!term_tty(k.w));
    two_steps(&k);
    ck_assert_str_eq(drain(&k), "[1/2] File /a\n[2/2] Package python3\n");
}
END_TEST

START_TEST(end_without_progress_writes_nothing)
{
    unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    sink k = open_pty(80);
    term_progress_end();
    term_progress(k.w, "[1/1]", "x");
    term_progress_end();
    term_progress_end();
    ck_assert_str_eq(drain(&k), "\r\033[K\033[1m[1/1]\033[0m x\n");
}
END_TEST

static Suite *term_suite(void)
{
    Suite *s = suite_create("term");
    TCase *tc = tcase_create("term");
    tcase_add_test(tc, pty_rewrites_one_line_in_bold);
    tcase_add_test(tc, pty_no_color_keeps_rewriting_without_escapes_of_colour);
    tcase_add_test(tc, pty_empty_no_color_means_colour);
    tcase_add_test(tc, pty_long_line_is_cut_to_the_width);
    tcase_add_test(tc, pipe_gets_plain_lines);
    tcase_add_test(tc, dumb_terminal_is_a_pipe);
    tcase_add_test(tc, end_without_progress_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(term_suite)

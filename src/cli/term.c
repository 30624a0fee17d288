/* term.c -- colour and in-place progress, only where a person is looking.
 *
 * Whether stdout and stderr are terminals is asked once: fuse prints many
 * progress lines, and the answer cannot change while it runs. */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The stream holding a progress line whose newline is still owed. */
static FILE *term_open;

/* isatty of fds 0..2, asked once: -1 not yet asked. */
static signed char term_isatty[3] = {-1, -1, -1};

static bool term_fd_tty(int fd)
{
    if (fd < 0)
        return false;
    if (fd > 2)
        return isatty(fd) == 1;
    if (term_isatty[fd] < 0)
        term_isatty[fd] = isatty(fd) == 1;
    return term_isatty[fd] == 1;
}

void term_forget(void)
{
    for (int i = 0; i < 3; i++)
        term_isatty[i] = -1;
    term_open = NULL;
}

bool term_tty(FILE *f)
{
    const char *t = getenv("TERM");
    /* A dumb terminal (Emacs' shell buffer, some CI runners) has no
     * cursor movement: treat it like a pipe. */
    if (t && strcmp(t, "dumb") == 0)
        return false;
    return term_fd_tty(fileno(f));
}

bool term_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    return term_tty(f);
}

const char *term_on(FILE *f, term_style s)
{
    if (!term_color(f))
        return "";
    switch (s) {
    case TERM_BOLD:
        return "\033[1m";
    case TERM_RED:
        return "\033[1;31m";
    }
    return "";
}

const char *term_off(FILE *f)
{
    return term_color(f) ? "\033[0m" : "";
}

/* Columns of the terminal behind f; 80 when it will not say. */
static size_t term_width(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* How many bytes of s fit in cols columns, counting one column per UTF-8
 * character and never cutting one in half. */
static size_t term_fit(const char *s, size_t cols)
{
    size_t i = 0, used = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && used++ == cols)
            break;
        i++;
    }
    return i;
}

void term_progress(FILE *f, const char *head, const char *text)
{
    if (!term_tty(f)) {
        fprintf(f, "%s %s\n", head, text);
        fflush(f);
        return;
    }
    if (term_open && term_open != f)
        term_progress_end();
    /* A line that wraps could not be taken back by \r: keep it one row
     * short of the width so the cursor never reaches the edge either. */
    size_t cols = term_width(f), hl = strlen(head);
    size_t room = cols > hl + 2 ? cols - hl - 2 : 0;
    fprintf(f, "\r\033[K%s%s%s %.*s", term_on(f, TERM_BOLD), head, term_off(f),
            (int)term_fit(text, room), text);
    fflush(f);
    term_open = f;
}

void term_progress_end(void)
{
    if (!term_open)
        return;
    fputc('\n', term_open);
    fflush(term_open);
    term_open = NULL;
}

/* The rows of the board drawn last: the cursor stands just below them. */
static size_t term_board_rows;

void term_board_clear(FILE *f)
{
    if (!term_board_rows)
        return;
    /* Up to the board's first row, then erase to the end of the screen. */
    fprintf(f, "\033[%zuA\r\033[J", term_board_rows);
    term_board_rows = 0;
}

void term_board_draw(FILE *f, const char *const *rows, size_t n)
{
    term_board_clear(f);
    size_t cols = term_width(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.*s\n", (int)term_fit(rows[i], cols > 1 ? cols - 1 : 0), rows[i]);
    term_board_rows = n;
    fflush(f);
}

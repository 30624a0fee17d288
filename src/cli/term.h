/* term.h -- terminal output conventions (fuse(1) OUTPUT).
 *
 * Colour only on a terminal, and never when NO_COLOR is set to anything
 * non-empty (no-color.org). Progress rewrites one line in place on a
 * terminal and prints plain lines everywhere else (pipes, files, CI logs),
 * so a log reads the same with or without a terminal. */
#ifndef FUSE_TERM_H
#define FUSE_TERM_H

#include <stdbool.h>
#include <stdio.h>

typedef enum term_style { TERM_BOLD, TERM_RED } term_style;

/* f is an interactive terminal: isatty, and TERM is not "dumb". */
bool term_tty(FILE *f);
/* Colour may be written to f: a terminal, and NO_COLOR unset or empty. */
bool term_color(FILE *f);
/* The escape that starts style s on f, or "" where colour is off. */
const char *term_on(FILE *f, term_style s);
/* The escape that ends any style on f, or "" where colour is off. */
const char *term_off(FILE *f);
/* Shows one progress line, "[3/7] File /index.html": on a terminal it
 * replaces the previous progress line (cut to the terminal's width, newline
 * left open); elsewhere it is a plain line. head is styled bold. */
void term_progress(FILE *f, const char *head, const char *text);
/* Ends a progress line left open, so what follows starts on a fresh line.
 * Safe to call when none is open. */
void term_progress_end(void);

/* Forgets what was asked about fds 0-2: a -j build child, whose stdout
 * and stderr become a pipe, must not inherit the parent's answers. */
void term_forget(void);
/* -j on a terminal: a board of status lines under everything else, one
 * per running build. term_board_draw replaces the board drawn last with
 * rows (each cut to the width); term_board_clear takes it back, so a plain
 * line can be printed where it stood and the board drawn again below it. */
void term_board_draw(FILE *f, const char *const *rows, size_t n);
void term_board_clear(FILE *f);

#endif

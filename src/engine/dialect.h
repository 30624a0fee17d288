/* dialect.h -- an engine's account of a build, as typed events.
 *
 * Each engine reports a build in its own words: Docker's classic builder in
 * text lines ("Step 3/7 : RUN ...", " ---> 0123", "Successfully built
 * 0123"), BuildKit in protobuf trace messages, Podman in "STEP 3/7: RUN
 * ...". A dialect turns one engine's messages into the same few events, so
 * the build (src/build/build.c) follows the steps, shows their output and
 * names the step that failed without knowing which engine ran. The classic
 * builder's dialect is dl_classic (dl_classic.c), BuildKit's dl_buildkit
 * (dl_buildkit.c), Podman's dl_podman (dl_podman.c); dkbuild.c picks the
 * one the engine speaks. */
#ifndef FUSE_DIALECT_H
#define FUSE_DIALECT_H

#include "docker.h"
#include "strbuf.h"

typedef enum dk_ev_kind {
    DK_EV_STEP,   /* an instruction began: step, nsteps, text the instruction */
    DK_EV_OUTPUT, /* one line the step printed (its command's output): text */
    DK_EV_NOTE,   /* the engine's own bookkeeping (" ---> 0123", a pull) */
    DK_EV_IMAGE,  /* an image was built: text its ID, "sha256:..." or short; a
                   * multi-stage build reports each stage's, the last is the build's */
    DK_EV_ERROR,  /* the build failed: text one line, code the step's exit status */
    DK_EV_LAYER   /* a step is done: text the (short) ID of the image it left; a
                   * builder that keeps no intermediate images sends none */
} dk_ev_kind;

typedef struct dk_event {
    dk_ev_kind kind;
    long step;        /* the instruction, 1-based, the event belongs to; 0 before the first */
    long nsteps;      /* how many instructions in all; 0 while unknown */
    const char *text; /* as above, without a newline or terminal escapes; never NULL */
    int code;         /* DK_EV_ERROR: the failed command's exit status, or -1 */
    /* The engine's own text the event came from, for -v: raw as sent
     * (colour codes kept), line the same without escapes. NULL both when the
     * event has no text to show (an image ID in a JSON field). */
    const char *raw;
    const char *line;
} dk_event;

typedef void (*dk_event_fn)(const dk_event *e, void *ud);

/* One dialect: open() makes a parser state that calls fn for each event;
 * message() takes the response stream's messages in order; finish() says
 * the stream ended (a last line without its newline is delivered then);
 * close() frees. A dialect reports at most one DK_EV_ERROR. plan(), when
 * the dialect has one, is given the Dockerfile before the first message:
 * BuildKit numbers its steps per stage and only some instructions. */
typedef struct dl_dialect {
    const char *name; /* "classic", for messages */
    void *(*open)(dk_event_fn fn, void *ud);
    void (*message)(void *st, const dk_msg *m);
    void (*finish)(void *st);
    void (*close)(void *st);
    void (*plan)(void *st, const char *dockerfile); /* NULL: not needed */
} dl_dialect;

extern const dl_dialect dl_classic;
/* Podman's (dl_podman.c): its Docker-compatible build speaks buildah's words. */
extern const dl_dialect dl_podman;
extern const dl_dialect dl_buildkit; /* dl_buildkit.c */

/* Removes terminal escape sequences from s in place: CSI ("\033[91m"),
 * OSC ("\033]0;title\007") and the short ones ("\033(B"); a sequence cut short by the
 * end of s is removed too. Engines colour a step's stderr; pipes, NO_COLOR
 * and error reports must not see the codes. */
void dl_strip_escapes(char *s);

/* What the text dialects (classic, Podman) share: their state begins with
 * a dl_text, and dl_text_new() makes it. */
typedef struct dl_text {
    dk_event_fn fn;
    void *ud;
    strbuf pending; /* stream text after the last newline */
    strbuf line;    /* the current line, escapes removed */
    long step, nsteps;
    int failed; /* an error was reported */
} dl_text;

/* A zeroed state of size bytes whose first member is a dl_text, set up. */
void *dl_text_new(size_t size, dk_event_fn fn, void *ud);
/* Releases the dl_text's buffers and frees st; NULL is fine. */
void dl_text_free(void *st);
/* Calls t's fn with an event of the current step. */
void dl_emit(dl_text *t, dk_ev_kind kind, const char *text, int code, const char *raw,
             const char *line);
/* A pull's progress ("Pulling fs layer"): one DK_EV_NOTE per line. */
void dl_status(dl_text *t, const char *status);
/* The build's one DK_EV_ERROR: msg's first line and the step's exit status
 * code (-1 unknown); a second error is dropped. */
void dl_error(dl_text *t, const char *msg, int code);

/* s after prefix when s starts with it, else NULL. */
const char *dl_after(const char *s, const char *prefix);
/* b = s without terminal escapes and without a trailing CR (a CRLF line). */
void dl_clean(strbuf *b, const char *s);
/* b = the first line of msg, trimmed, without escapes: an event's text is
 * one line whatever the engine put in a JSON field. */
void dl_first_line(strbuf *b, const char *msg);
/* Appends text to pending and calls line(ud, raw) for each complete line,
 * raw as sent without its newline; the rest stays pending. */
void dl_lines(strbuf *pending, const char *text, void (*line)(void *ud, const char *raw), void *ud);

#endif

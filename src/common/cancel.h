/* cancel.h -- why fuse stops early: ^C, --timeout, or a command killed by ^C.
 *
 * One process-wide state, set from signal handlers (async-signal-safe) and
 * polled by everything that can run long: the Lua count hook, sh()'s wait,
 * the engine client's transfer callbacks. The exit status follows from the
 * reason recorded here, never from the wording of an error. An interrupt
 * outranks a timeout: ^C after the deadline still exits 130. */
#ifndef FUSE_CANCEL_H
#define FUSE_CANCEL_H

#include "strbuf.h"

/* The exit statuses of fuse (fuse(1)). */
typedef enum fuse_exit {
    FUSE_EXIT_OK = 0,
    FUSE_EXIT_FAILED = 1,       /* a task failed: build error, sh, daemon */
    FUSE_EXIT_USAGE = 2,        /* the command line or a task file is wrong */
    FUSE_EXIT_INTERRUPTED = 130 /* ^C */
} fuse_exit;

typedef enum cancel_reason { CANCEL_NONE = 0, CANCEL_TIMEOUT, CANCEL_INTERRUPT } cancel_reason;

/* Records why to stop; async-signal-safe. A timeout never replaces an interrupt. */
void cancel_request(cancel_reason why);
/* What was requested so far (CANCEL_NONE when nothing). */
cancel_reason cancel_pending(void);
/* Forgets every request and the deadline (tests, and each new run). */
void cancel_reset(void);

/* --timeout SECONDS: remembered for the messages; 0 means none. */
void cancel_set_timeout(unsigned seconds);
unsigned cancel_timeout(void);
/* The timeout was already reported at the user's line (the Lua hook, sh()),
 * so the final message keeps that line instead of the generic one. */
void cancel_timeout_reported(void);

/* The exit status of a run that ended with status and message err, given
 * what was requested: an interrupt gives 130 ("interrupted" when err is
 * empty); a timeout gives 1 and, unless reported at a line already, the
 * message "timed out after N s; the build was cancelled". */
int cancel_exit_status(int status, strbuf *err);

#endif

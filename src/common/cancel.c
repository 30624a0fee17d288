/* cancel.c -- why fuse stops early (cancel.h). */
#include "cancel.h"

#include <signal.h>

static volatile sig_atomic_t cancel_why = CANCEL_NONE;
static volatile sig_atomic_t cancel_reported;
static unsigned cancel_seconds;

void cancel_request(cancel_reason why)
{
    if ((sig_atomic_t)why > cancel_why)
        cancel_why = why;
}

cancel_reason cancel_pending(void)
{
    return (cancel_reason)cancel_why;
}

void cancel_reset(void)
{
    cancel_why = CANCEL_NONE;
    cancel_reported = 0;
}

void cancel_set_timeout(unsigned seconds)
{
    cancel_seconds = seconds;
}

unsigned cancel_timeout(void)
{
    return cancel_seconds;
}

void cancel_timeout_reported(void)
{
    cancel_reported = 1;
}

int cancel_exit_status(int status, strbuf *err)
{
    switch (cancel_pending()) {
    case CANCEL_INTERRUPT:
        if (err->len == 0)
            sb_adds(err, "interrupted");
        return FUSE_EXIT_INTERRUPTED;
    case CANCEL_TIMEOUT:
        if (status == FUSE_EXIT_OK)
            return status;
        if (!cancel_reported) {
            sb_reset(err);
            sb_addf(err, "timed out after %u s; the build was cancelled", cancel_seconds);
        }
        return FUSE_EXIT_FAILED;
    case CANCEL_NONE:
        break;
    }
    return status;
}

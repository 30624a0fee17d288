/* secsrc.h -- reading the values of a task's secrets from their sources
 * (fusefile(5), SECRETS): an environment variable, a file, a command's
 * standard output. */
#ifndef FUSE_SECSRC_H
#define FUSE_SECSRC_H

#include "fv.h"
#include "secret.h"
#include "strbuf.h"

/* Reads every secret of decl (the task's secrets option, checked by
 * options.c) into out; relative file paths resolve against dir, "~/" against
 * $HOME. Returns 0, or -1 with one line in err naming the secret and its
 * source ("secrets.token: environment variable TOKEN is not set"), never a
 * value; out is then empty. */
int ssrc_load(const fv *decl, const char *dir, sec_set *out, strbuf *err);

#endif

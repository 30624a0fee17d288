/* rm_int.h -- what the files of src/remote share; not for outside. */
#ifndef FUSE_RM_INT_H
#define FUSE_RM_INT_H

#include "context.h"
#include "rm.h"
#include "strvec.h"

#include <sys/types.h>

/* One host being applied, in its own worker process. */
typedef struct rm_job {
    const rm_opts *o;
    const char *word; /* as the task file or command line wrote it: the prefix */
    rm_host host;
    const ctx_entry *entries; /* bundle.json and the sources, without fuse-apply */
    size_t nentries;
    int outfd; /* where the prefixed lines go, one write() each */
    pid_t pid; /* ssh */
    int to, from;
    strbuf buf;    /* read from the host, not yet a whole line */
    strbuf sshmsg; /* the last line that was not the protocol's */
    strbuf error;  /* the script's FUSE-ERR, or ours */
    rm_summary sum;
    int have_sum, connected, key_unknown, key_changed, ssh_status;
    double seconds;
} rm_job;

/* The tar's entries besides fuse-apply (rm_payload.c): bundle.json, each
 * File's source as src/N and each tree's files as tree/N/REL, the bundle
 * pointing there (the script runs fuse-apply in the unpacked directory). */
typedef struct rm_payload {
    ctx_entry *es;
    size_t n, cap;
    strbuf json;
    strvec own; /* the names and paths the entries point to */
} rm_payload;

/* Fills p from b, its JSON written with bundle_dump's flags. Returns 0, or
 * -1 with one line in err (a resource a host cannot take, a bad tree). */
int rm_payload_make(const bundle *b, rm_payload *p, unsigned flags, strbuf *err);
void rm_payload_free(rm_payload *p);

/* The SHA-256 of the fuse-apply fuse carries, in hex. */
const char *rm_payload_sha(void);

/* Writes "word: text" as one line. */
void rm_say(const rm_job *j, const char *text, size_t len);
/* Runs the job; returns the worker's exit status (0 applied, 1 failed). */
int rm_ship(rm_job *j);
/* Prints the job's summary line; returns 0 or 1 as rm_ship. */
int rm_report(const rm_job *j);

#endif

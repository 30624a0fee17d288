/* ap.h -- the fuse-apply runtime: context, provider interface, helpers.
 *
 * fuse-apply brings a system to the state a bundle describes. Every provider
 * looks at the system first and changes only what differs, so a second run
 * changes nothing. Everything here is prefixed ap_ because the unit tests link
 * these objects together with fuse's own. */
#ifndef FUSE_AP_H
#define FUSE_AP_H

#include <stdio.h>
#include <sys/types.h>

#include "bundle.h"
#include "fv.h"
#include "restype.h"
#include "strbuf.h"

/* Exit statuses, as fuse-apply(8) lists them. */
enum { AP_EXIT_CHANGED = 0, AP_EXIT_FAILED = 1, AP_EXIT_USAGE = 2, AP_EXIT_UNCHANGED = 254 };

/* What a provider returns. */
enum { AP_FAIL = -1, AP_SAME = 0, AP_DONE = 1 };

typedef struct ap_ctx {
    const char *root;     /* "" for "/", else the directory everything is applied under */
    char *state;          /* state directory (watch triggers), never NULL */
    int state_write;      /* 1: persist a marker for every change (--state given or watches used) */
    int simulate;         /* report what would change, change nothing */
    int verbose;          /* -1 quiet, 0 normal, 1 verbose */
    FILE *out;            /* change lines */
    FILE *err;            /* errors */
    const bundle *b;      /* the bundle being applied */
    const char *ident;    /* identity of the resource being applied, "File[/x]" */
    fv *changed;          /* identities changed in this run (a list of strings) */
    unsigned long serial; /* the last marker serial read or written */
    unsigned long nchanged; /* resources changed in this run */
    unsigned long nsame;    /* resources that were already right */
    char *failed;           /* the failed resource's identity and first error line, or NULL */
    int out_lost;           /* writing a change line failed: whoever reads them is gone */
    /* --cache DIR: directories the build mounts as caches, kept between
     * builds and never in a layer (a Package step keeps its downloads). */
    const char *caches[16];
    size_t ncaches;
} ap_ctx;

/* --summary: the last line on stdout, for fuse's blueprints (rm_summary_parse):
 *   "fuse-apply-summary CHANGED UNCHANGED TOTAL"
 *   "fuse-apply-summary CHANGED UNCHANGED TOTAL failed IDENT\tFIRST ERROR LINE" */
#define AP_SUMMARY_TAG "fuse-apply-summary"
void ap_summary(const ap_ctx *c, size_t total);

/* 1 when path is one of c's caches or inside one. */
int ap_cached(const ap_ctx *c, const char *path);

/* Applies one resource under its policy. Returns AP_DONE when it changed
 * something (or would, with simulate), AP_SAME when nothing differed, AP_FAIL
 * with one line (then detail after '\n') in err. */
typedef int (*ap_provider)(ap_ctx *c, const fv *f, const char *policy, strbuf *err);

/* ap_run.c: the driver. */
void ap_ctx_init(ap_ctx *c);
void ap_ctx_free(ap_ctx *c);
/* Applies every resource in order, stops at the first failure. Returns an AP_EXIT_* status. */
int ap_apply(ap_ctx *c, const bundle *b, int no_changes_ok);
/* The provider of a type name, or NULL. */
ap_provider ap_provider_find(const char *type);
/* Prints "IDENT TEXT" (or "IDENT FUTURE" when simulating) unless quiet. */
void ap_report(ap_ctx *c, const char *text, const char *future);
void ap_reportf(ap_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ap_secret.c: --secrets DIR. Reads the step's secrets from stdin (the
 * frames of secret.h) and writes each to <root>DIR/NAME, mode 0400, owned
 * by root or by the user of the Execute or Checkout that lists it. Returns
 * 0, or -1 with one line in err naming the secret, never its value. */
int ap_secrets(const ap_ctx *c, const bundle *b, const char *dir, strbuf *err);
/* The command-line entry point (main() calls only this). */
int ap_main(int argc, char **argv);

/* ap_util.c: paths, files, fields. */
/* Appends root + path to out (path absolute). */
void ap_path(const ap_ctx *c, const char *path, strbuf *out);
/* Writes data to path atomically: a temporary file in the same directory,
 * fchmod/fchown, fsync, rename, fsync of the directory. uid/gid -1 leave them.
 * The temporary file never survives a failure. */
int ap_write_atomic(const char *path, const void *data, size_t len, const char *copy_from,
                    mode_t mode, uid_t uid, gid_t gid, strbuf *err);
/* 1 when the file at path holds exactly data (or the file copy_from); 0 when it differs; -1 on
 * error. */
int ap_same_contents(const char *path, const void *data, size_t len, const char *copy_from);
/* Removes a tree without following symbolic links. Returns 0 or -1 with err. */
int ap_rmtree(const char *path, strbuf *err);
/* fsyncs the directory that holds path (only in AP_SYNC_EACH mode). */
void ap_sync_dir_of(const char *path);
/* When written data reaches the disk: AP_SYNC_EACH fsyncs every file and its
 * directory as it is written (the default for library callers);
 * AP_SYNC_END leaves that to one syncfs() when the run ends (fuse-apply's
 * default); AP_SYNC_NONE never syncs (--no-sync, for a Docker build step,
 * whose layer Docker commits or discards whole). */
enum { AP_SYNC_EACH, AP_SYNC_END, AP_SYNC_NONE };
extern int ap_sync_mode;
/* Field helpers: a bool of a resource of type (absent: the table's default),
 * an id as text. */
int ap_bool(const fv *f, const char *type, const char *key);
/* "app" or "1000" for an owner given as a string or a number; NULL when absent. */
const char *ap_idtext(const fv *f, const char *key, char *buf, size_t n);
/* Parses an octal mode string; -1 when absent or invalid. */
long ap_mode(const fv *f, const char *key, const char *dflt);

/* ap_ids.c: /etc/passwd and /etc/group read directly (no NSS in a static binary). */
typedef struct ap_pwent {
    char *name, *pw, *gecos, *home, *shell;
    long uid, gid;
} ap_pwent;
typedef struct ap_grent {
    char *name, *pw;
    long gid;
    fv *members; /* list of user names */
} ap_grent;
/* 1 found (e filled, free with ap_pw_free), 0 absent, -1 unreadable file. */
int ap_pw_find(const ap_ctx *c, const char *name, long uid, ap_pwent *e);
int ap_gr_find(const ap_ctx *c, const char *name, long gid, ap_grent *e);
void ap_pw_free(ap_pwent *e);
void ap_gr_free(ap_grent *e);
/* Names of the groups that list user as a member. */
fv *ap_gr_memberships(const ap_ctx *c, const char *user);
/* 1 when <root>/etc/shadow exists. */
int ap_has_shadow(const ap_ctx *c);
/* The password field of user in <root>/etc/shadow, or NULL. */
char *ap_shadow_pw(const ap_ctx *c, const char *user);
/* Resolves an owner or group: numbers pass through, names are looked up. */
int ap_uid(const ap_ctx *c, const char *name, uid_t *out, strbuf *err);
int ap_gid(const ap_ctx *c, const char *name, gid_t *out, strbuf *err);

/* ap_cmd.c: running commands. */
typedef struct ap_cmd {
    char **argv;     /* argv[0] a path or a name searched in PATH */
    const char *cwd; /* NULL: inherit */
    const fv *env;   /* a map added to the inherited environment, or NULL */
    uid_t uid;       /* with set_ids: setgroups/setgid/setuid after fork */
    gid_t gid;
    int set_ids;
    gid_t groups[64]; /* with set_ids: the supplementary groups (ngroups 0: gid alone) */
    size_t ngroups;
    char home[4096];   /* with a user: HOME for the child ("": inherited) */
    int umask;         /* -1: inherit */
    const char *input; /* bytes fed on stdin (NULL: /dev/null) */
    size_t input_len;
} ap_cmd;
/* Runs cmd, collecting stdout and stderr together in output. Returns the exit
 * status (128 + N when killed by signal N), or -1 with err when it could not
 * be started. */
int ap_cmd_run(const ap_cmd *cmd, strbuf *output, strbuf *err);
/* Makes cmd run as user and/or group (names or numbers, either may be NULL):
 * the user's primary group unless group is given, and the supplementary
 * groups the target's /etc/group lists the user in. */
int ap_cmd_as(const ap_ctx *c, ap_cmd *cmd, const char *user, const char *group, strbuf *err);
/* Finds a system tool under the root's PATH directories; with host, the
 * host's PATH after them. Appends the full path to out; returns 1 found, 0 not. */
int ap_tool(const ap_ctx *c, const char *name, int host, strbuf *out);
/* Appends output indented to err, for failure reports. */
void ap_cmd_explain(strbuf *err, const strbuf *output);

/* ap_state.c: watches. */
/* 1 when r must run: it has no watches, or a watched resource changed in this
 * run or left a marker this watcher has not consumed. */
int ap_state_triggered(ap_ctx *c, const fv *f);
/* Records that ident changed: in memory, and in the state dir when enabled. */
int ap_state_mark(ap_ctx *c, const char *ident, strbuf *err);
/* After the watcher ran successfully: remembers the markers it consumed. */
int ap_state_consume(ap_ctx *c, const fv *f, strbuf *err);
/* The file name used for an identity ("File%5B%2Fx%5D"). */
void ap_state_escape(const char *ident, strbuf *out);

/* How an account differs from what its User resource asks: computed once
 * from the resource and the files, then carried out by one backend (shadow's
 * useradd/usermod, busybox's adduser, or the files edited directly). Each
 * value is set only when it must change (when creating: when given). */
typedef struct ap_udiff {
    const char *name;
    int exists; /* cur holds the account as it is */
    ap_pwent cur;
    int system;           /* creating: a system account */
    const char *fullname; /* NULL: stays */
    const char *home;
    const char *shell;
    long uid, gid;        /* -1: stays */
    const char *gname;    /* the name of gid's group, for busybox's -G (owned) */
    int make_home;        /* creating: make the home; changing it: move its contents */
    const fv *groups;     /* the supplementary groups asked for; NULL: not managed */
    fv *join, *leave;     /* the groups to join and to leave (empty: none) */
    int append;           /* groups are added to, never replaced */
    const char *password; /* creating: the encrypted password ("!": login disabled) */
    enum { AP_LOCK_NONE, AP_LOCK_LOGIN, AP_LOCK_PASSWORD } lock; /* existing account */
    char *cur_pw; /* the shadow password as it is, or NULL */
    strbuf what;  /* what differs, for an existing account: "shell, groups" */
} ap_udiff;

/* How a group differs from what its Group resource asks. */
typedef struct ap_gdiff {
    const char *name;
    int exists;
    long gid; /* creating: the gid asked for, or -1; existing: the new gid, or -1 */
    int system;
    const char *password; /* creating */
} ap_gdiff;

/* ap_pwedit.c: /etc/passwd, group and shadow edited directly, for images
 * without useradd or adduser. Each returns 0 or -1 with err. */
/* Replaces the line whose first field is key (line NULL: deletes it; absent: appends). */
int ap_db_edit(ap_ctx *c, const char *file, const char *key, const char *line, strbuf *err);
/* Carries out a difference (nothing to do when an existing one has no what). */
int ap_db_user(ap_ctx *c, const ap_udiff *d, strbuf *err);
int ap_db_group(ap_ctx *c, const ap_gdiff *d, strbuf *err);
int ap_db_user_del(ap_ctx *c, const char *name, strbuf *err);
int ap_db_group_del(ap_ctx *c, const char *name, strbuf *err);

/* Providers. */
int ap_file(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_directory(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_link(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_execute(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_line(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_package(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_user(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_group(ap_ctx *c, const fv *f, const char *policy, strbuf *err);
int ap_checkout(ap_ctx *c, const fv *f, const char *policy, strbuf *err);

#endif

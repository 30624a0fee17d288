/* ap_checkout.c -- the Checkout provider: a git working copy.
 *
 * git is the image's (under --root, the host's may stand in: tests clone
 * local repositories). Whether anything changed is decided by comparing
 * HEAD before and after, so a fetch that brings nothing reports nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"
#include "strvec.h"

typedef struct ap_git {
    ap_ctx *c;
    strbuf git;
    ap_cmd cmd; /* user, group */
} ap_git;

/* Runs git with the given arguments (NULL-terminated); output into out. */
static int ap_git_run(ap_git *g, strbuf *out, strbuf *err, char **args)
{
    strvec argv = STRVEC_INIT;
    strvec_push(&argv, g->git.buf);
    strvec_pushv(&argv, (const char *const *)args);
    strbuf tmp = STRBUF_INIT;
    if (!out)
        out = &tmp;
    g->cmd.argv = argv.v;
    int rc = ap_cmd_run(&g->cmd, out, err);
    if (rc > 0) {
        sb_addf(err, "git %s exited with status %d", args[0][0] == '-' ? args[2] : args[0], rc);
        ap_cmd_explain(err, out);
    }
    g->cmd.argv = NULL;
    sb_release(&tmp);
    strvec_clear(&argv);
    return rc == 0 ? 0 : -1;
}

/* The one line a git query prints, or an empty string when it fails. */
static void ap_git_line(ap_git *g, strbuf *out, char **args)
{
    strbuf err = STRBUF_INIT;
    if (ap_git_run(g, out, &err, args) < 0)
        sb_reset(out);
    sb_rtrim(out); /* a hash and "\n" */
    sb_release(&err);
}

/* HEAD's commit, or an empty string when there is none. */
static void ap_git_head(ap_git *g, const char *dir, strbuf *out)
{
    char *args[] = {"-C", (char *)dir, "rev-parse", "-q", "--verify", "HEAD", NULL};
    ap_git_line(g, out, args);
}

/* Neither branch, tag nor revision: follow the remote's default branch.
 * On a branch that is a fast-forward; a HEAD detached by an earlier tag or
 * revision goes back to a local branch of the remote's default. */
static int ap_git_follow_default(ap_git *g, const char *dir, strbuf *err)
{
    strbuf ref = STRBUF_INIT;
    char *on_branch[] = {"-C", (char *)dir, "symbolic-ref", "-q", "HEAD", NULL};
    ap_git_line(g, &ref, on_branch);
    int rc;
    if (ref.len) {
        char *args[] = {"-C", (char *)dir, "merge", "-q", "--ff-only", "@{upstream}", NULL};
        rc = ap_git_run(g, NULL, err, args);
    } else {
        char *def[] = {"-C", (char *)dir, "rev-parse", "--abbrev-ref", "origin/HEAD", NULL};
        ap_git_line(g, &ref, def);
        const char *name = strncmp(ref.buf, "origin/", 7) == 0 ? ref.buf + 7 : "";
        if (!*name) {
            sb_adds(err, "HEAD is detached and the remote names no default branch: give branch");
            sb_release(&ref);
            return -1;
        }
        char *args[] = {"-C", (char *)dir, "checkout", "-q", "-B", (char *)name, ref.buf, NULL};
        rc = ap_git_run(g, NULL, err, args);
    }
    sb_release(&ref);
    return rc;
}

int ap_checkout(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    (void)policy; /* "sync" is the only one */
    ap_git g = {.c = c, .cmd = {.umask = -1}, .git = STRBUF_INIT};
    strbuf path = STRBUF_INIT, dotgit = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT;
    ap_path(c, fv_gets(f, "name"), &path);
    const char *repo = fv_gets(f, "repository");
    const char *branch = fv_gets(f, "branch");
    const char *tag = fv_gets(f, "tag");
    const char *rev = fv_gets(f, "revision");
    const char *scm = fv_gets(f, "scm");
    char ub[32], gb[32];
    const char *user = ap_idtext(f, "user", ub, sizeof ub);
    const char *group = ap_idtext(f, "group", gb, sizeof gb);
    int rc = AP_FAIL;
    if (scm && strcmp(scm, "git") != 0) {
        sb_addf(err, "scm %s is not supported (only git)", scm);
        goto out;
    }
    if (!ap_tool(c, "git", 1, &g.git)) {
        sb_adds(err, "no git in the image");
        goto out;
    }
    if (ap_cmd_as(c, &g.cmd, user, group, err) < 0)
        goto out;
    sb_addf(&dotgit, "%s/.git", path.buf);
    struct stat st;
    int exists = stat(dotgit.buf, &st) == 0;
    if (c->simulate) {
        if (!exists)
            ap_report(c, "cloned", "would be cloned");
        rc = exists ? AP_SAME : AP_DONE;
        goto out;
    }
    /* The ref to end on: a revision, a tag, a branch, or the remote's HEAD. */
    strbuf want = STRBUF_INIT;
    if (rev)
        sb_adds(&want, rev);
    else if (tag)
        sb_addf(&want, "refs/tags/%s", tag);
    else if (branch)
        sb_addf(&want, "origin/%s", branch);
    else
        sb_adds(&want, "origin/HEAD");
    if (!exists) {
        if (user || group) {
            /* git runs as the user: the directory must be theirs to write. */
            if (mkdir(path.buf, 0755) < 0 && errno != EEXIST) {
                sb_addf(err, "cannot create %s: %s", path.buf, strerror(errno));
                sb_release(&want);
                goto out;
            }
            if (chown(path.buf, g.cmd.uid, g.cmd.gid) < 0) {
                sb_addf(err, "cannot chown %s: %s", path.buf, strerror(errno));
                sb_release(&want);
                goto out;
            }
        }
        char *args[] = {"clone", "-q", (char *)repo, path.buf, NULL};
        if (ap_git_run(&g, NULL, err, args) < 0) {
            sb_release(&want);
            goto out;
        }
    } else {
        ap_git_head(&g, path.buf, &before);
        char *args[] = {"-C", path.buf, "fetch", "-q", "--tags", "origin", NULL};
        if (ap_git_run(&g, NULL, err, args) < 0) {
            sb_release(&want);
            goto out;
        }
    }
    int r;
    if (branch && !rev && !tag) {
        char *args[] = {"-C", path.buf, "checkout", "-q", "-B", (char *)branch, want.buf, NULL};
        r = ap_git_run(&g, NULL, err, args);
    } else if (!rev && !tag && exists) {
        r = ap_git_follow_default(&g, path.buf, err);
    } else if (rev || tag) {
        char *args[] = {"-C", path.buf, "checkout", "-q", "--detach", want.buf, NULL};
        r = ap_git_run(&g, NULL, err, args);
    } else {
        r = 0; /* a fresh clone already sits on the remote's HEAD */
    }
    sb_release(&want);
    if (r < 0)
        goto out;
    long mode = ap_mode(f, "mode", NULL);
    if (mode >= 0 && chmod(path.buf, (mode_t)mode) < 0) {
        sb_addf(err, "cannot chmod %s: %s", path.buf, strerror(errno));
        goto out;
    }
    ap_git_head(&g, path.buf, &after);
    rc = AP_SAME;
    if (!exists) {
        ap_reportf(c, "cloned at %.12s", after.buf);
        rc = AP_DONE;
    } else if (strcmp(before.buf, after.buf) != 0) {
        ap_reportf(c, "updated to %.12s", after.buf);
        rc = AP_DONE;
    }
out:
    sb_release(&g.git);
    sb_release(&path);
    sb_release(&dotgit);
    sb_release(&before);
    sb_release(&after);
    return rc;
}

/* ap_fs.c -- the File, Directory and Link providers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

/* Resolves the owner and group fields; -1 stands for "leave as is". An
 * owner without a group brings the owner's primary group, as fuselage and
 * Docker's COPY --chown=USER do (fuse copies large Files that way, and how
 * a File travels must not change its group); a uid with no passwd entry
 * brings the same number as gid, as COPY --chown=UID does. */
static int ap_owner(ap_ctx *c, const fv *f, uid_t *uid, gid_t *gid, strbuf *err)
{
    char ub[32], gb[32];
    const char *owner = ap_idtext(f, "owner", ub, sizeof ub);
    const char *group = ap_idtext(f, "group", gb, sizeof gb);
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (owner && ap_uid(c, owner, uid, err) < 0)
        return -1;
    if (group)
        return ap_gid(c, group, gid, err);
    if (owner) {
        ap_pwent e;
        *gid = (gid_t)*uid;
        if (ap_pw_find(c, NULL, (long)*uid, &e) == 1) {
            *gid = (gid_t)e.gid;
            ap_pw_free(&e);
        }
    }
    return 0;
}

/* How a change of group is reported: the field as given, else the
 * primary group's name (or number). */
static void ap_group_text(ap_ctx *c, const fv *f, gid_t gid, char *buf, size_t n)
{
    const char *given = ap_idtext(f, "group", buf, n);
    ap_grent g;
    if (given)
        snprintf(buf, n, "%s", given);
    else if (ap_gr_find(c, NULL, (long)gid, &g) == 1) {
        snprintf(buf, n, "%s", g.name);
        ap_gr_free(&g);
    } else
        snprintf(buf, n, "%ld", (long)gid);
}

/* Brings owner, group and mode of an existing object in line, reporting each
 * change. mode -1 and ids -1 are left alone; link selects lchown and no chmod. */
static int ap_attrs(ap_ctx *c, const fv *f, const char *path, const struct stat *st, long mode,
                    uid_t uid, gid_t gid, int link, strbuf *err)
{
    int changed = 0;
    char ub[32], gb[256];
    if (!link && mode >= 0 && (long)(st->st_mode & 07777) != mode) {
        if (!c->simulate && chmod(path, (mode_t)mode) < 0) {
            sb_addf(err, "cannot chmod %s: %s", path, strerror(errno));
            return AP_FAIL;
        }
        char t[64], w[64];
        snprintf(t, sizeof t, "mode changed to %04lo", mode);
        snprintf(w, sizeof w, "mode would change to %04lo", mode);
        ap_report(c, t, w);
        changed = 1;
    }
    int own = uid != (uid_t)-1 && st->st_uid != uid;
    int grp = gid != (gid_t)-1 && st->st_gid != gid;
    if (own || grp) {
        int rc = c->simulate ? 0
                 : link      ? lchown(path, own ? uid : (uid_t)-1, grp ? gid : (gid_t)-1)
                             : chown(path, own ? uid : (uid_t)-1, grp ? gid : (gid_t)-1);
        if (rc < 0) {
            sb_addf(err, "cannot chown %s: %s", path, strerror(errno));
            return AP_FAIL;
        }
        if (own)
            ap_reportf(c, "owner %s %s", c->simulate ? "would change to" : "changed to",
                       ap_idtext(f, "owner", ub, sizeof ub));
        if (grp) {
            ap_group_text(c, f, gid, gb, sizeof gb);
            ap_reportf(c, "group %s %s", c->simulate ? "would change to" : "changed to", gb);
        }
        changed = 1;
    }
    return changed ? AP_DONE : AP_SAME;
}

/* The directory part of path ("/a/b" -> "/a"); "/" stays "/". */
static void ap_dirname(const char *path, strbuf *out)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        sb_adds(out, ".");
    else if (slash == path)
        sb_adds(out, "/");
    else
        sb_add(out, path, (size_t)(slash - path));
}

static int ap_parent_exists(const char *path, strbuf *err)
{
    strbuf d = STRBUF_INIT;
    ap_dirname(path, &d);
    struct stat st;
    int ok = stat(d.buf, &st) == 0 && S_ISDIR(st.st_mode);
    if (!ok)
        sb_addf(err, "parent directory %s does not exist", d.buf);
    sb_release(&d);
    return ok;
}

/* Removes a file or link (never a directory). */
static int ap_remove_entry(ap_ctx *c, const char *path, int want_link, strbuf *err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return AP_SAME;
        sb_addf(err, "cannot stat %s: %s", path, strerror(errno));
        return AP_FAIL;
    }
    if (want_link && !S_ISLNK(st.st_mode)) {
        sb_addf(err, "%s is not a symbolic link; not removing it", path);
        return AP_FAIL;
    }
    if (S_ISDIR(st.st_mode)) {
        sb_addf(err, "%s is a directory; not removing it", path);
        return AP_FAIL;
    }
    if (!c->simulate) {
        if (unlink(path) < 0) {
            sb_addf(err, "cannot remove %s: %s", path, strerror(errno));
            return AP_FAIL;
        }
        ap_sync_dir_of(path);
    }
    ap_report(c, "removed", "would be removed");
    return AP_DONE;
}

int ap_file(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    strbuf path = STRBUF_INIT;
    ap_path(c, fv_gets(f, "name"), &path);
    int rc = AP_FAIL;
    if (strcmp(policy, "remove") == 0) {
        rc = ap_remove_entry(c, path.buf, 0, err);
        sb_release(&path);
        return rc;
    }
    const fv *cv = fv_get(f, "contents");
    const char *data = cv && cv->kind == FV_STR ? cv->str : NULL;
    size_t len = data ? cv->len : 0;
    const char *source = fv_gets(f, "source");
    long mode = ap_mode(f, "mode", NULL);
    uid_t uid;
    gid_t gid;
    struct stat st, sst;
    if (ap_owner(c, f, &uid, &gid, err) < 0)
        goto out;
    if (source && stat(source, &sst) < 0) {
        sb_addf(err, "cannot read source %s: %s", source, strerror(errno));
        goto out;
    }
    if (lstat(path.buf, &st) < 0) {
        if (errno != ENOENT) {
            sb_addf(err, "cannot stat %s: %s", path.buf, strerror(errno));
            goto out;
        }
        if (!c->simulate) {
            if (!ap_parent_exists(path.buf, err))
                goto out;
            long m = mode >= 0 ? mode : ap_mode(f, "mode", rt_default(rt_find("File"), "mode"));
            if (ap_write_atomic(path.buf, data ? data : "", len, source,
                                (mode_t)(m >= 0 ? m : 0644), uid, gid, err) < 0)
                goto out;
        }
        ap_report(c, "created", "would be created");
        rc = AP_DONE;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_addf(err, "%s exists and is not a regular file", path.buf);
        goto out;
    }
    rc = AP_SAME;
    if (data || source) {
        int same = ap_same_contents(path.buf, data, len, source);
        if (same < 0) {
            sb_addf(err, "cannot read %s: %s", path.buf, strerror(errno));
            rc = AP_FAIL;
            goto out;
        }
        if (!same) {
            /* The new file keeps what is not asked to change; what is asked
             * is set before the rename, so new (perhaps secret) contents
             * never appear under the old mode. */
            mode_t m = mode >= 0 ? (mode_t)mode : st.st_mode & 07777;
            if (!c->simulate &&
                ap_write_atomic(path.buf, data, len, source, m, uid != (uid_t)-1 ? uid : st.st_uid,
                                gid != (gid_t)-1 ? gid : st.st_gid, err) < 0) {
                rc = AP_FAIL;
                goto out;
            }
            ap_report(c, "contents changed", "contents would change");
            rc = AP_DONE;
        }
    }
    int arc = ap_attrs(c, f, path.buf, &st, mode, uid, gid, 0, err);
    if (arc != AP_SAME)
        rc = arc;
out:
    sb_release(&path);
    return rc;
}

/* Creates path and any missing parents (with parents) with mode and owner. */
static int ap_mkdir(ap_ctx *c, const char *path, int parents, long mode, uid_t uid, gid_t gid,
                    strbuf *err)
{
    struct stat st;
    if (parents) {
        strbuf d = STRBUF_INIT;
        ap_dirname(path, &d);
        int missing = strcmp(d.buf, path) != 0 && stat(d.buf, &st) < 0 && errno == ENOENT;
        int rc = missing ? ap_mkdir(c, d.buf, 1, mode, uid, gid, err) : 0;
        sb_release(&d);
        if (rc < 0)
            return -1;
    } else if (!ap_parent_exists(path, err)) {
        sb_adds(err, " (set parents = true to create it)");
        return -1;
    }
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        sb_addf(err, "cannot create directory %s: %s", path, strerror(errno));
        return -1;
    }
    /* chmod after mkdir: the umask must not weaken the mode asked for. */
    if (chmod(path, (mode_t)mode) < 0 ||
        ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0)) {
        sb_addf(err, "cannot set owner and mode of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ap_directory(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    /* A tree is copied by fuse's build (one COPY), never through a bundle:
     * its source is a path on the host fuse ran on, not in the image. */
    if (fv_gets(f, "source")) {
        sb_adds(err, "a Directory with a source (a tree) is copied by fuse's build, not by "
                     "fuse-apply");
        return AP_FAIL;
    }
    strbuf path = STRBUF_INIT;
    ap_path(c, fv_gets(f, "name"), &path);
    int rc = AP_FAIL;
    struct stat st;
    int exists = stat(path.buf, &st) == 0;
    if (!exists && errno != ENOENT) {
        sb_addf(err, "cannot stat %s: %s", path.buf, strerror(errno));
        goto out;
    }
    if (exists && !S_ISDIR(st.st_mode)) {
        sb_addf(err, "%s exists and is not a directory", path.buf);
        goto out;
    }
    if (strcmp(policy, "remove") == 0 || strcmp(policy, "remove-recursive") == 0) {
        rc = AP_SAME;
        if (!exists)
            goto out;
        if (!c->simulate) {
            int r = strcmp(policy, "remove") == 0 ? rmdir(path.buf) : ap_rmtree(path.buf, err);
            if (r < 0) {
                if (err->len == 0)
                    sb_addf(err, "cannot remove %s: %s%s", path.buf, strerror(errno),
                            errno == ENOTEMPTY ? " (use policy remove-recursive)" : "");
                rc = AP_FAIL;
                goto out;
            }
            ap_sync_dir_of(path.buf);
        }
        ap_report(c, "removed", "would be removed");
        rc = AP_DONE;
        goto out;
    }
    long mode = ap_mode(f, "mode", rt_default(rt_find("Directory"), "mode"));
    uid_t uid;
    gid_t gid;
    if (ap_owner(c, f, &uid, &gid, err) < 0)
        goto out;
    if (!exists) {
        if (!c->simulate && ap_mkdir(c, path.buf, ap_bool(f, "Directory", "parents"),
                                     mode >= 0 ? mode : 0755, uid, gid, err) < 0)
            goto out;
        ap_report(c, "created", "would be created");
        rc = AP_DONE;
        goto out;
    }
    rc = ap_attrs(c, f, path.buf, &st, mode, uid, gid, 0, err);
out:
    sb_release(&path);
    return rc;
}

int ap_link(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    strbuf path = STRBUF_INIT, target = STRBUF_INIT, cur = STRBUF_INIT;
    ap_path(c, fv_gets(f, "name"), &path);
    const char *to = fv_gets(f, "to");
    int rc = AP_FAIL;
    if (strcmp(policy, "remove") == 0) {
        rc = ap_remove_entry(c, path.buf, 1, err);
        goto out;
    }
    if (!to) {
        sb_adds(err, "Link needs a target (to)");
        goto out;
    }
    /* The target as the link will see it, to refuse a dangling link. */
    if (to[0] == '/')
        ap_path(c, to, &target);
    else {
        ap_dirname(path.buf, &target);
        sb_addf(&target, "/%s", to);
    }
    struct stat st;
    if (!c->simulate && stat(target.buf, &st) < 0) {
        sb_addf(err, "link target %s does not exist (a dangling link is an error)", to);
        goto out;
    }
    uid_t uid;
    gid_t gid;
    if (ap_owner(c, f, &uid, &gid, err) < 0)
        goto out;
    int exists = lstat(path.buf, &st) == 0;
    if (exists && !S_ISLNK(st.st_mode)) {
        sb_addf(err, "%s exists and is not a symbolic link", path.buf);
        goto out;
    }
    if (exists) {
        sb_grow(&cur, (size_t)st.st_size + 1);
        ssize_t n = readlink(path.buf, cur.buf, cur.alloc - 1);
        if (n < 0) {
            sb_addf(err, "cannot read link %s: %s", path.buf, strerror(errno));
            goto out;
        }
        cur.len = (size_t)n;
        cur.buf[n] = '\0';
    }
    if (!exists && !ap_parent_exists(path.buf, err)) {
        sb_adds(err, " (make it with a Directory resource before the Link)");
        goto out;
    }
    rc = AP_SAME;
    if (!exists || strcmp(cur.buf, to) != 0) {
        if (!c->simulate) {
            /* A new link beside the old one, renamed over it: never a moment without it. */
            strbuf tmp = STRBUF_INIT;
            sb_addf(&tmp, "%s.fuse-apply-%ld", path.buf, (long)getpid());
            unlink(tmp.buf);
            if (symlink(to, tmp.buf) < 0 || rename(tmp.buf, path.buf) < 0) {
                sb_addf(err, "cannot create link %s: %s", path.buf, strerror(errno));
                unlink(tmp.buf);
                sb_release(&tmp);
                rc = AP_FAIL;
                goto out;
            }
            sb_release(&tmp);
            ap_sync_dir_of(path.buf);
        }
        if (exists)
            ap_reportf(c, "%s %s", c->simulate ? "would be retargeted to" : "retargeted to", to);
        else
            ap_report(c, "created", "would be created");
        rc = AP_DONE;
        if (c->simulate)
            goto out;
        /* A new link takes its owner silently, as a new file does. */
        if (!exists && (uid != (uid_t)-1 || gid != (gid_t)-1) && lchown(path.buf, uid, gid) < 0) {
            sb_addf(err, "cannot chown %s: %s", path.buf, strerror(errno));
            rc = AP_FAIL;
            goto out;
        }
        if (lstat(path.buf, &st) < 0)
            goto out;
    }
    int arc = ap_attrs(c, f, path.buf, &st, -1, uid, gid, 1, err);
    if (arc != AP_SAME)
        rc = arc;
out:
    sb_release(&path);
    sb_release(&target);
    sb_release(&cur);
    return rc;
}

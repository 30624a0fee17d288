/* ap_util.c -- paths, whole-file reads, atomic writes and field helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

void ap_path(const ap_ctx *c, const char *path, strbuf *out)
{
    sb_adds(out, c->root);
    sb_adds(out, path);
}

static int ap_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Streams src into fd, so a large blob never has to fit in memory. */
/* Copies src into fd, and its mtime: a File made from a source carries the
 * source's modification time (as cp -p does), so that web servers' ETag
 * and Last-Modified follow edits of the source, and a build from the same
 * files gives the same times. */
static int ap_copy_into(int fd, const char *src)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    struct stat st;
    if (fstat(in, &st) < 0) {
        int saved = errno;
        close(in);
        errno = saved;
        return -1;
    }
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        if (ap_write_all(fd, buf, (size_t)n) < 0) {
            rc = -1;
            break;
        }
    }
    struct timespec times[2] = {st.st_mtim, st.st_mtim};
    if (rc == 0 && futimens(fd, times) < 0)
        rc = -1;
    int saved = errno;
    close(in);
    errno = saved;
    return rc;
}

/* See ap.h: AP_SYNC_EACH unless fuse-apply's command line says otherwise. */
int ap_sync_mode = AP_SYNC_EACH;

void ap_sync_dir_of(const char *path)
{
    if (ap_sync_mode != AP_SYNC_EACH)
        return;
    strbuf d = STRBUF_INIT;
    const char *slash = strrchr(path, '/');
    if (slash == path)
        sb_adds(&d, "/");
    else if (slash)
        sb_add(&d, path, (size_t)(slash - path));
    else
        sb_adds(&d, ".");
    int fd = open(d.buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some filesystems refuse fsync on directories */
        close(fd);
    }
    sb_release(&d);
}

int ap_write_atomic(const char *path, const void *data, size_t len, const char *copy_from,
                    mode_t mode, uid_t uid, gid_t gid, strbuf *err)
{
    /* The temporary file lives in the target's directory so rename() is
     * atomic; its name starts with a dot so a crash leaves nothing that looks
     * like the real file. */
    strbuf tmp = STRBUF_INIT;
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    sb_add(&tmp, path, dirlen);
    sb_addf(&tmp, ".%s.fuse-apply-XXXXXX", path + dirlen);
    int fd = mkstemp(tmp.buf);
    if (fd < 0) {
        sb_addf(err, "cannot create a temporary file next to %s: %s", path, strerror(errno));
        sb_release(&tmp);
        return -1;
    }
    const char *what = "write";
    int rc = copy_from ? ap_copy_into(fd, copy_from) : ap_write_all(fd, data, len);
    if (rc == 0 && (what = "chmod", fchmod(fd, mode) < 0))
        rc = -1;
    if (rc == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) &&
        (what = "chown", fchown(fd, uid, gid) < 0))
        rc = -1;
    if (rc == 0 && ap_sync_mode == AP_SYNC_EACH && (what = "fsync", fsync(fd) < 0))
        rc = -1;
    int saved = errno;
    if (close(fd) < 0 && rc == 0) {
        saved = errno;
        what = "close";
        rc = -1;
    }
    if (rc == 0 && (what = "rename", rename(tmp.buf, path) < 0)) {
        saved = errno;
        rc = -1;
    }
    if (rc < 0) {
        unlink(tmp.buf);
        if (copy_from && strcmp(what, "write") == 0)
            sb_addf(err, "cannot copy %s to %s: %s", copy_from, path, strerror(saved));
        else
            sb_addf(err, "cannot %s %s: %s", what, path, strerror(saved));
    } else {
        ap_sync_dir_of(path);
    }
    sb_release(&tmp);
    return rc;
}

static int ap_read_full(int fd, char *buf, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = read(fd, buf + *got, n - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

int ap_same_contents(const char *path, const void *data, size_t len, const char *copy_from)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int src = -1;
    if (copy_from && (src = open(copy_from, O_RDONLY | O_CLOEXEC)) < 0) {
        close(fd);
        return -1;
    }
    /* Compare chunk by chunk: a blob can be larger than memory allows. */
    static char a[65536], b[65536];
    size_t off = 0;
    int same = -1;
    for (;;) {
        size_t na, nb;
        if (ap_read_full(fd, a, sizeof a, &na) < 0)
            break;
        if (copy_from) {
            if (ap_read_full(src, b, sizeof b, &nb) < 0)
                break;
        } else {
            nb = len - off < sizeof b ? len - off : sizeof b;
            memcpy(b, (const char *)data + off, nb);
            off += nb;
        }
        if (na != nb || memcmp(a, b, na) != 0) {
            same = 0;
            break;
        }
        if (na == 0) {
            same = 1;
            break;
        }
    }
    close(fd);
    if (src >= 0)
        close(src);
    return same;
}

/* Removes the contents of the directory open as dfd, never following links. */
static int ap_rm_at(int dfd, const char *shown, strbuf *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        sb_addf(err, "cannot read %s: %s", shown, strerror(errno));
        close(dfd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone meanwhile */
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                sb_addf(err, "cannot open %s/%s: %s", shown, e->d_name, strerror(errno));
                rc = -1;
                break;
            }
            strbuf sh = STRBUF_INIT;
            sb_addf(&sh, "%s/%s", shown, e->d_name);
            rc = ap_rm_at(sub, sh.buf, err);
            sb_release(&sh);
            if (rc == 0 && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0) {
                sb_addf(err, "cannot remove %s/%s: %s", shown, e->d_name, strerror(errno));
                rc = -1;
            }
        } else if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
            sb_addf(err, "cannot remove %s/%s: %s", shown, e->d_name, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int ap_rmtree(const char *path, strbuf *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0
                               : (sb_addf(err, "cannot stat %s: %s", path, strerror(errno)), -1);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0) {
            sb_addf(err, "cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        sb_addf(err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (ap_rm_at(fd, path, err) < 0)
        return -1;
    if (rmdir(path) < 0) {
        sb_addf(err, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ap_bool(const fv *f, const char *type, const char *key)
{
    /* Validation admits only JSON booleans (fuselage's serialiser writes
     * nothing else), so anything else here is an absent field: the
     * table's default. */
    const fv *v = fv_get(f, key);
    if (v && v->kind == FV_BOOL)
        return v->b;
    const char *d = rt_default(rt_find(type), key);
    return d && strcmp(d, "true") == 0;
}

const char *ap_idtext(const fv *f, const char *key, char *buf, size_t n)
{
    const fv *v = fv_get(f, key);
    if (!v)
        return NULL;
    if (v->kind == FV_STR)
        return v->str;
    if (v->kind == FV_NUM && fv_is_int(v)) {
        snprintf(buf, n, "%lld", (long long)v->num);
        return buf;
    }
    return NULL;
}

long ap_mode(const fv *f, const char *key, const char *dflt)
{
    const char *s = fv_gets(f, key);
    if (!s)
        s = dflt;
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long m = strtol(s, &end, 8);
    if (errno || *end || m < 0 || m > 07777)
        return -1;
    return m;
}

/* ap_pwedit.c -- users and groups written straight into /etc/passwd, group
 * and shadow, for images that have neither shadow's useradd nor busybox's
 * adduser (a busybox-static or distroless image). Each file is rewritten
 * atomically, keeping its mode and owner. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

/* The length of the first ':'-field of line. */
static size_t ap_key_len(const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    return colon ? (size_t)(colon - line) : n;
}

int ap_db_edit(ap_ctx *c, const char *file, const char *key, const char *line, strbuf *err)
{
    strbuf path = STRBUF_INIT, in = STRBUF_INIT, out = STRBUF_INIT;
    ap_path(c, file, &path);
    struct stat st;
    int rc = -1;
    if (stat(path.buf, &st) < 0 || sb_read_file(&in, path.buf) < 0) {
        sb_addf(err, "cannot read %s: %s", path.buf, strerror(errno));
        goto out;
    }
    int done = 0;
    const char *p = in.buf, *end = p + in.len;
    size_t klen = strlen(key);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ap_key_len(p, n) == klen && memcmp(p, key, klen) == 0) {
            if (line && !done)
                sb_addf(&out, "%s\n", line);
            done = 1;
        } else if (n) {
            sb_add(&out, p, n);
            sb_addc(&out, '\n');
        }
        p += n + (nl ? 1 : 0);
    }
    if (line && !done)
        sb_addf(&out, "%s\n", line);
    rc = ap_write_atomic(path.buf, out.buf, out.len, NULL, st.st_mode & 07777, st.st_uid, st.st_gid,
                         err);
out:
    sb_release(&path);
    sb_release(&in);
    sb_release(&out);
    return rc;
}

/* The lowest id from lo up that no line of file uses in its third field. */
static long ap_db_free_id(ap_ctx *c, const char *file, long lo)
{
    strbuf path = STRBUF_INIT, in = STRBUF_INIT;
    ap_path(c, file, &path);
    sb_read_file(&in, path.buf);
    long id = lo;
    for (int again = 1; again;) {
        again = 0;
        for (const char *p = in.buf; p && *p;) {
            const char *f = strchr(p, ':');
            f = f ? strchr(f + 1, ':') : NULL;
            if (f && atol(f + 1) == id && f[1] >= '0' && f[1] <= '9') {
                id++;
                again = 1;
                break;
            }
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
    }
    sb_release(&path);
    sb_release(&in);
    return id;
}

/* Adds (add=1) or removes user from the member list of group g. */
static int ap_db_member(ap_ctx *c, const char *g, const char *user, int add, strbuf *err)
{
    ap_grent e;
    if (ap_gr_find(c, g, -1, &e) != 1) {
        sb_addf(err, "no such group: %s", g);
        return -1;
    }
    strbuf line = STRBUF_INIT;
    sb_addf(&line, "%s:%s:%ld:", e.name, e.pw, e.gid);
    int first = 1;
    for (size_t i = 0; i < e.members->n; i++) {
        if (strcmp(e.members->items[i]->str, user) == 0)
            continue;
        sb_addf(&line, "%s%s", first ? "" : ",", e.members->items[i]->str);
        first = 0;
    }
    if (add)
        sb_addf(&line, "%s%s", first ? "" : ",", user);
    int rc = ap_db_edit(c, "/etc/group", g, line.buf, err);
    sb_release(&line);
    ap_gr_free(&e);
    return rc;
}

static int ap_db_shadow(ap_ctx *c, const char *user, const char *pw, strbuf *err)
{
    if (!ap_has_shadow(c))
        return 0;
    strbuf line = STRBUF_INIT;
    sb_addf(&line, "%s:%s:%ld:0:99999:7:::", user, pw, (long)(time(NULL) / 86400));
    int rc = ap_db_edit(c, "/etc/shadow", user, line.buf, err);
    sb_release(&line);
    return rc;
}

/* A system uid as useradd -r picks it: the highest free one below 1000. */
static long ap_db_free_sys_id(ap_ctx *c)
{
    for (long id = 999; id >= 100; id--)
        if (ap_db_free_id(c, "/etc/passwd", id) == id)
            return id;
    return ap_db_free_id(c, "/etc/passwd", 1000);
}

static int ap_db_group_add(ap_ctx *c, const char *name, long gid, int system, strbuf *err)
{
    if (gid < 0)
        gid = ap_db_free_id(c, "/etc/group", system ? 100 : 1000);
    strbuf line = STRBUF_INIT;
    sb_addf(&line, "%s:x:%ld:", name, gid);
    int rc = ap_db_edit(c, "/etc/group", name, line.buf, err);
    sb_release(&line);
    return rc;
}

static int ap_db_group_gid(ap_ctx *c, const char *name, long gid, strbuf *err)
{
    ap_grent e;
    if (ap_gr_find(c, name, -1, &e) != 1) {
        sb_addf(err, "no such group: %s", name);
        return -1;
    }
    strbuf line = STRBUF_INIT;
    sb_addf(&line, "%s:%s:%ld:", e.name, e.pw, gid);
    for (size_t i = 0; i < e.members->n; i++)
        sb_addf(&line, "%s%s", i ? "," : "", e.members->items[i]->str);
    int rc = ap_db_edit(c, "/etc/group", name, line.buf, err);
    sb_release(&line);
    ap_gr_free(&e);
    return rc;
}

int ap_db_group(ap_ctx *c, const ap_gdiff *d, strbuf *err)
{
    if (!d->exists)
        return ap_db_group_add(c, d->name, d->gid, d->system, err);
    return d->gid >= 0 ? ap_db_group_gid(c, d->name, d->gid, err) : 0;
}

int ap_db_group_del(ap_ctx *c, const char *name, strbuf *err)
{
    return ap_db_edit(c, "/etc/group", name, NULL, err);
}

/* The uid and primary gid of the passwd line: the new ones, else the
 * current ones, else the uid useradd would choose. */
static void ap_db_ids(ap_ctx *c, const ap_udiff *d, long *uid, long *gid)
{
    *uid = d->uid >= 0 ? d->uid : d->exists ? d->cur.uid : -1;
    *gid = d->gid >= 0 ? d->gid : d->cur.gid; /* a new account always has one */
    if (*uid < 0)
        *uid = d->system ? ap_db_free_sys_id(c) : ap_db_free_id(c, "/etc/passwd", 1000);
}

/* The home directory, as useradd -m makes it (no skeleton files); missing
 * parents (no /home in a minimal image) belong to root. */
static int ap_db_home(ap_ctx *c, const char *home, long uid, long gid, strbuf *err)
{
    strbuf hp = STRBUF_INIT;
    ap_path(c, home, &hp);
    for (size_t i = strlen(c->root) + 1; i < hp.len; i++)
        if (hp.buf[i] == '/') {
            hp.buf[i] = '\0';
            mkdir(hp.buf, 0755);
            hp.buf[i] = '/';
        }
    int rc = 0;
    if (mkdir(hp.buf, 0755) == 0 && chown(hp.buf, (uid_t)uid, (gid_t)gid) < 0) {
        sb_addf(err, "cannot chown %s: %s", hp.buf, strerror(errno));
        rc = -1;
    }
    sb_release(&hp);
    return rc;
}

/* The passwd line (and, creating, the shadow line and the home). */
static int ap_db_passwd(ap_ctx *c, const ap_udiff *d, strbuf *err)
{
    const ap_pwent *e = &d->cur;
    if (d->exists && !d->fullname && !d->home && d->uid < 0 && d->gid < 0 && !d->shell)
        return 0;
    long uid, gid;
    ap_db_ids(c, d, &uid, &gid);
    strbuf home = STRBUF_INIT, line = STRBUF_INIT;
    if (d->home || d->exists)
        sb_adds(&home, d->home ? d->home : e->home);
    else
        sb_addf(&home, "/home/%s", d->name);
    sb_addf(&line, "%s:x:%ld:%ld:%s:%s:%s", d->name, uid, gid,
            d->fullname ? d->fullname
            : d->exists ? e->gecos
                        : "",
            home.buf,
            d->shell    ? d->shell
            : d->exists ? e->shell
                        : "/bin/sh");
    int rc = ap_db_edit(c, "/etc/passwd", d->name, line.buf, err);
    if (rc == 0 && !d->exists)
        rc = ap_db_shadow(c, d->name, d->password ? d->password : "!", err);
    if (rc == 0 && !d->exists && d->make_home)
        rc = ap_db_home(c, home.buf, uid, gid, err);
    sb_release(&home);
    sb_release(&line);
    return rc;
}

int ap_db_user(ap_ctx *c, const ap_udiff *d, strbuf *err)
{
    int rc = ap_db_passwd(c, d, err);
    for (size_t i = 0; rc == 0 && i < d->join->n; i++)
        rc = ap_db_member(c, d->join->items[i]->str, d->name, 1, err);
    for (size_t i = 0; rc == 0 && i < d->leave->n; i++)
        rc = ap_db_member(c, d->leave->items[i]->str, d->name, 0, err);
    if (rc < 0 || d->lock == AP_LOCK_NONE)
        return rc;
    strbuf locked = STRBUF_INIT;
    sb_addf(&locked, "!%s", d->lock == AP_LOCK_PASSWORD ? d->cur_pw : "");
    rc = ap_db_shadow(c, d->name, locked.buf, err);
    sb_release(&locked);
    return rc;
}

int ap_db_user_del(ap_ctx *c, const char *name, strbuf *err)
{
    int rc = ap_db_edit(c, "/etc/passwd", name, NULL, err);
    if (rc == 0 && ap_has_shadow(c))
        rc = ap_db_edit(c, "/etc/shadow", name, NULL, err);
    fv *groups = ap_gr_memberships(c, name);
    for (size_t i = 0; rc == 0 && i < groups->n; i++)
        rc = ap_db_member(c, groups->items[i]->str, name, 0, err);
    fv_free(groups);
    return rc;
}

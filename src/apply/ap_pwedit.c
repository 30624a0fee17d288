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

static int ap_has_shadow(ap_ctx *c)
{
    strbuf p = STRBUF_INIT;
    ap_path(c, "/etc/shadow", &p);
    int ok = access(p.buf, F_OK) == 0;
    sb_release(&p);
    return ok;
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

int ap_db_group_add(ap_ctx *c, const char *name, long gid, int system, strbuf *err)
{
    if (gid < 0)
        gid = ap_db_free_id(c, "/etc/group", system ? 100 : 1000);
    strbuf line = STRBUF_INIT;
    sb_addf(&line, "%s:x:%ld:", name, gid);
    int rc = ap_db_edit(c, "/etc/group", name, line.buf, err);
    sb_release(&line);
    return rc;
}

int ap_db_group_gid(ap_ctx *c, const char *name, long gid, strbuf *err)
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

int ap_db_user(ap_ctx *c, const ap_uwant *w, const ap_pwent *e, int exists, strbuf *what,
               strbuf *err)
{
#define AP_NOTE(s) sb_addf(what, "%s%s", what->len ? ", " : "", s)
    long uid = w->uid ? atol(w->uid) : exists ? e->uid : -1;
    long gid = w->gid >= 0 ? w->gid : exists ? e->gid : -1;
    if (!exists) {
        if (uid < 0)
            uid = ap_db_free_id(c, "/etc/passwd", w->system ? 100 : 1000);
        if (gid < 0) {
            /* A group of the user's name, as useradd makes one. */
            ap_grent g;
            if (ap_gr_find(c, w->name, -1, &g) == 1) {
                gid = g.gid;
                ap_gr_free(&g);
            } else {
                gid = ap_db_free_id(c, "/etc/group", uid) == uid
                          ? uid
                          : ap_db_free_id(c, "/etc/group", w->system ? 100 : 1000);
                if (!c->simulate && ap_db_group_add(c, w->name, gid, 0, err) < 0)
                    return -1;
            }
        }
    }
    const char *gecos = w->fullname ? w->fullname : exists ? e->gecos : "";
    strbuf home = STRBUF_INIT;
    if (w->home)
        sb_adds(&home, w->home);
    else if (exists)
        sb_adds(&home, e->home);
    else
        sb_addf(&home, "/home/%s", w->name);
    const char *shell = w->shell ? w->shell : exists ? e->shell : "/bin/sh";
    if (exists) {
        if (strcmp(gecos, e->gecos) != 0)
            AP_NOTE("fullname");
        if (strcmp(home.buf, e->home) != 0)
            AP_NOTE("home");
        if (uid != e->uid)
            AP_NOTE("uid");
        if (gid != e->gid)
            AP_NOTE("group");
        if (strcmp(shell, e->shell) != 0)
            AP_NOTE("shell");
    }
    int rc = 0;
    if (!c->simulate && (!exists || what->len)) {
        strbuf line = STRBUF_INIT;
        sb_addf(&line, "%s:x:%ld:%ld:%s:%s:%s", w->name, uid, gid, gecos, home.buf, shell);
        rc = ap_db_edit(c, "/etc/passwd", w->name, line.buf, err);
        sb_release(&line);
        if (rc == 0 && !exists)
            rc = ap_db_shadow(c, w->name, w->dis_login || !w->password ? "!" : w->password, err);
        strbuf hp = STRBUF_INIT;
        ap_path(c, home.buf, &hp);
        /* The home directory, as useradd -m makes it (no skeleton files);
         * missing parents (no /home in a minimal image) belong to root. */
        for (size_t i = strlen(c->root) + 1; rc == 0 && !exists && i < hp.len; i++)
            if (hp.buf[i] == '/') {
                hp.buf[i] = '\0';
                mkdir(hp.buf, 0755);
                hp.buf[i] = '/';
            }
        if (rc == 0 && !exists && mkdir(hp.buf, 0755) == 0 &&
            chown(hp.buf, (uid_t)uid, (gid_t)gid) < 0) {
            sb_addf(err, "cannot chown %s: %s", hp.buf, strerror(errno));
            rc = -1;
        }
        sb_release(&hp);
    }
    sb_release(&home);
    if (rc == 0 && w->groups) {
        fv *cur = exists ? ap_gr_memberships(c, w->name) : fv_list();
        int changed = 0;
        for (size_t i = 0; rc == 0 && i < w->groups->n; i++) {
            const char *g = w->groups->items[i]->str;
            int have = 0;
            for (size_t j = 0; j < cur->n; j++)
                have |= strcmp(cur->items[j]->str, g) == 0;
            if (!have) {
                changed = 1;
                rc = c->simulate ? 0 : ap_db_member(c, g, w->name, 1, err);
            }
        }
        for (size_t j = 0; rc == 0 && !w->append && j < cur->n; j++) {
            int want = 0;
            for (size_t i = 0; i < w->groups->n; i++)
                want |= strcmp(cur->items[j]->str, w->groups->items[i]->str) == 0;
            if (!want) {
                changed = 1;
                rc = c->simulate ? 0 : ap_db_member(c, cur->items[j]->str, w->name, 0, err);
            }
        }
        if (changed && exists)
            AP_NOTE("groups");
        fv_free(cur);
    }
    if (rc == 0 && exists && ap_has_shadow(c)) {
        char *pw = ap_shadow_pw(c, w->name);
        const char *set = NULL;
        strbuf locked = STRBUF_INIT;
        if (w->dis_login && (!pw || strcmp(pw, "!") != 0)) {
            set = "!";
            AP_NOTE("login disabled");
        } else if (w->dis_password && pw && pw[0] != '!' && pw[0] != '*') {
            sb_addf(&locked, "!%s", pw);
            set = locked.buf;
            AP_NOTE("password disabled");
        }
        if (set && !c->simulate)
            rc = ap_db_shadow(c, w->name, set, err);
        sb_release(&locked);
        free(pw);
    }
    return rc;
#undef AP_NOTE
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

/* ap_ids.c -- users and groups, read from <root>/etc/passwd, group, shadow.
 *
 * A static binary has no NSS, and under --root the host's database is the
 * wrong one anyway, so the files are parsed directly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

/* Splits line (modified in place) at ':' into at most n fields; returns the count. */
static size_t ap_split(char *line, char **out, size_t n)
{
    size_t k = 0;
    out[k++] = line;
    for (char *p = line; *p && k < n; p++) {
        if (*p == ':') {
            *p = '\0';
            out[k++] = p + 1;
        }
    }
    return k;
}

static int ap_is_number(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Calls fn for each line of <root>/etc/NAME split in fields; stops when fn
 * returns non-zero and returns that. -1 when the file cannot be read. */
static int ap_each(const ap_ctx *c, const char *file, size_t nf,
                   int (*fn)(char **fld, size_t n, void *arg), void *arg)
{
    strbuf path = STRBUF_INIT, data = STRBUF_INIT;
    ap_path(c, file, &path);
    int rc = sb_read_file(&data, path.buf);
    sb_release(&path);
    if (rc < 0) {
        sb_release(&data);
        return -1;
    }
    char *p = data.buf;
    while (*p && rc == 0) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *fld[8];
        if (*p && *p != '#') {
            size_t n = ap_split(p, fld, nf);
            rc = fn(fld, n, arg);
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    sb_release(&data);
    return rc;
}

struct ap_pwq {
    const char *name;
    long uid;
    ap_pwent *e;
};

static int ap_pw_match(char **f, size_t n, void *arg)
{
    struct ap_pwq *q = arg;
    if (n < 7)
        return 0;
    if (q->name ? strcmp(f[0], q->name) != 0 : atol(f[2]) != q->uid)
        return 0;
    q->e->name = xstrdup(f[0]);
    q->e->pw = xstrdup(f[1]);
    q->e->uid = atol(f[2]);
    q->e->gid = atol(f[3]);
    q->e->gecos = xstrdup(f[4]);
    q->e->home = xstrdup(f[5]);
    q->e->shell = xstrdup(f[6]);
    return 1;
}

int ap_pw_find(const ap_ctx *c, const char *name, long uid, ap_pwent *e)
{
    memset(e, 0, sizeof *e);
    struct ap_pwq q = {name, uid, e};
    return ap_each(c, "/etc/passwd", 7, ap_pw_match, &q);
}

void ap_pw_free(ap_pwent *e)
{
    free(e->name);
    free(e->pw);
    free(e->gecos);
    free(e->home);
    free(e->shell);
    memset(e, 0, sizeof *e);
}

static fv *ap_split_members(const char *s)
{
    fv *l = fv_list();
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (n)
            fv_push(l, fv_str(s, n));
        s = comma ? comma + 1 : s + n;
    }
    return l;
}

struct ap_grq {
    const char *name;
    long gid;
    ap_grent *e;
};

static int ap_gr_match(char **f, size_t n, void *arg)
{
    struct ap_grq *q = arg;
    if (n < 3)
        return 0;
    if (q->name ? strcmp(f[0], q->name) != 0 : atol(f[2]) != q->gid)
        return 0;
    q->e->name = xstrdup(f[0]);
    q->e->pw = xstrdup(f[1]);
    q->e->gid = atol(f[2]);
    q->e->members = ap_split_members(n > 3 ? f[3] : "");
    return 1;
}

int ap_gr_find(const ap_ctx *c, const char *name, long gid, ap_grent *e)
{
    memset(e, 0, sizeof *e);
    struct ap_grq q = {name, gid, e};
    return ap_each(c, "/etc/group", 4, ap_gr_match, &q);
}

void ap_gr_free(ap_grent *e)
{
    free(e->name);
    free(e->pw);
    fv_free(e->members);
    memset(e, 0, sizeof *e);
}

struct ap_memq {
    const char *user;
    fv *out;
};

static int ap_mem_match(char **f, size_t n, void *arg)
{
    struct ap_memq *q = arg;
    if (n < 4)
        return 0;
    fv *m = ap_split_members(f[3]);
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i]->str, q->user) == 0) {
            fv_push(q->out, fv_strz(f[0]));
            break;
        }
    fv_free(m);
    return 0;
}

fv *ap_gr_memberships(const ap_ctx *c, const char *user)
{
    struct ap_memq q = {user, fv_list()};
    ap_each(c, "/etc/group", 4, ap_mem_match, &q);
    return q.out;
}

struct ap_shq {
    const char *user;
    char *pw;
};

static int ap_sh_match(char **f, size_t n, void *arg)
{
    struct ap_shq *q = arg;
    if (n < 2 || strcmp(f[0], q->user) != 0)
        return 0;
    q->pw = xstrdup(f[1]);
    return 1;
}

int ap_has_shadow(const ap_ctx *c)
{
    strbuf p = STRBUF_INIT;
    ap_path(c, "/etc/shadow", &p);
    int ok = access(p.buf, F_OK) == 0;
    sb_release(&p);
    return ok;
}

char *ap_shadow_pw(const ap_ctx *c, const char *user)
{
    struct ap_shq q = {user, NULL};
    ap_each(c, "/etc/shadow", 3, ap_sh_match, &q);
    return q.pw;
}

int ap_uid(const ap_ctx *c, const char *name, uid_t *out, strbuf *err)
{
    if (ap_is_number(name)) {
        *out = (uid_t)strtoul(name, NULL, 10);
        return 0;
    }
    ap_pwent e;
    int rc = ap_pw_find(c, name, -1, &e);
    if (rc == 1) {
        *out = (uid_t)e.uid;
        ap_pw_free(&e);
        return 0;
    }
    if (rc < 0)
        sb_addf(err, "cannot read %s/etc/passwd to find user %s: %s", c->root, name,
                strerror(errno));
    else
        sb_addf(err, "no such user: %s", name);
    return -1;
}

int ap_gid(const ap_ctx *c, const char *name, gid_t *out, strbuf *err)
{
    if (ap_is_number(name)) {
        *out = (gid_t)strtoul(name, NULL, 10);
        return 0;
    }
    ap_grent e;
    int rc = ap_gr_find(c, name, -1, &e);
    if (rc == 1) {
        *out = (gid_t)e.gid;
        ap_gr_free(&e);
        return 0;
    }
    if (rc < 0)
        sb_addf(err, "cannot read %s/etc/group to find group %s: %s", c->root, name,
                strerror(errno));
    else
        sb_addf(err, "no such group: %s", name);
    return -1;
}

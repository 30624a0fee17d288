/* ap_secret.c -- fuse-apply --secrets DIR: the values of a step's secrets,
 * read from stdin (secret.h's frames) before the bundle is applied, each
 * written to DIR/NAME, mode 0400.
 *
 * DIR is the tmpfs fuse mounts in the step's container (secstep.c): the
 * files are gone when the container is, and never in the committed layer. */
#include "ap.h"

#include "secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long ap_sec_read(void *ud, char *buf, size_t n)
{
    (void)ud;
    for (;;) {
        ssize_t got = read(STDIN_FILENO, buf, n);
        if (got < 0 && errno == EINTR)
            continue;
        return (long)got;
    }
}

/* The user a secret's file belongs to: the user of the resources that list
 * it, when each is an Execute or a Checkout with the same user; else root.
 * *uid and *gid stay 0 then. */
static int ap_sec_owner(const ap_ctx *c, const bundle *b, const char *name, uid_t *uid, gid_t *gid,
                        strbuf *err)
{
    const fv *owner = NULL, *of = NULL;
    for (size_t i = 0; i < b->n; i++) {
        const fv *f = b->items[i].fields, *s = fv_get(f, "secrets");
        int lists = 0;
        for (size_t k = 0; s && s->kind == FV_LIST && k < s->n; k++)
            lists |= strcmp(s->items[k]->str, name) == 0;
        if (!lists)
            continue;
        const char *t = b->items[i].type->name;
        const fv *u =
            strcmp(t, "Execute") == 0 || strcmp(t, "Checkout") == 0 ? fv_get(f, "user") : NULL;
        if (!u || (owner && !fv_equal(owner, u)))
            return 0;
        owner = u;
        of = f;
    }
    if (!owner)
        return 0;
    char ubuf[32], gbuf[32];
    const char *un = ap_idtext(of, "user", ubuf, sizeof ubuf);
    const char *gn = ap_idtext(of, "group", gbuf, sizeof gbuf);
    if (!un || ap_uid(c, un, uid, err) < 0)
        return -1;
    if (gn)
        return ap_gid(c, gn, gid, err);
    ap_pwent e;
    if (ap_pw_find(c, NULL, (long)*uid, &e) == 1) {
        *gid = (gid_t)e.gid;
        ap_pw_free(&e);
    }
    return 0;
}

int ap_secrets(const ap_ctx *c, const bundle *b, const char *dir, strbuf *err)
{
    sec_set s = {0};
    int rc = sec_frames_read(ap_sec_read, NULL, &s, err);
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        uid_t uid = 0;
        gid_t gid = 0;
        strbuf path = STRBUF_INIT;
        strbuf name = STRBUF_INIT;
        sb_addf(&name, "%s/%s", dir, s.items[i].name);
        ap_path(c, name.buf, &path);
        sb_release(&name);
        rc = ap_sec_owner(c, b, s.items[i].name, &uid, &gid, err);
        if (rc == 0)
            rc = ap_write_atomic(path.buf, s.items[i].val.p ? s.items[i].val.p : "",
                                 s.items[i].val.len, NULL, 0400, uid, gid, err);
        if (rc < 0) {
            /* err names the path, never the value. */
            strbuf why = STRBUF_INIT;
            sb_addbuf(&why, err);
            sb_reset(err);
            sb_addf(err, "secret %s: %s", s.items[i].name, why.buf);
            sb_release(&why);
        }
        sb_release(&path);
    }
    sec_set_free(&s);
    return rc;
}

/* ap_state.c -- watches: triggers that survive between invocations.
 *
 * In a Docker build every resource is its own fuse-apply invocation, so the
 * resource that changes does not know who watches it. The trigger is therefore
 * keyed by the CHANGED resource:
 *
 *   STATE/serial                   a counter, one number per change
 *   STATE/changed/<ident>          written (and fsynced) the moment <ident>
 *                                  changed; holds the serial of that change
 *   STATE/seen/<watcher>/<ident>   the serial of <ident>'s change that
 *                                  <watcher> has acted on
 *
 * A watcher runs when, for any identity it watches, changed/ holds a serial
 * that its seen/ entry does not. It records the serial only after it ran
 * successfully, so a failed run resumes, and two watchers of one resource
 * both run (clearing the marker would starve the second). <ident> is the
 * identity escaped to a file name by ap_state_escape(). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

void ap_state_escape(const char *ident, strbuf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    for (const unsigned char *p = (const unsigned char *)ident; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("._-,=+@", *p))
            sb_addc(out, *p);
        else {
            sb_addc(out, '%');
            sb_addc(out, hex[*p >> 4]);
            sb_addc(out, hex[*p & 15]);
        }
    }
    /* File names are limited to 255 bytes: a long identity keeps a readable
     * prefix and a hash of the whole. */
    if (out->len - start > 200) {
        unsigned long long h = 1469598103934665603ULL;
        for (const unsigned char *p = (const unsigned char *)ident; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        sb_setlen(out, start + 150);
        sb_addf(out, "~%016llx", h);
    }
}

static int ap_mkdirs(const char *path, strbuf *err)
{
    strbuf p = STRBUF_INIT;
    sb_adds(&p, path);
    for (size_t i = 1; i <= p.len; i++) {
        if (p.buf[i] != '/' && p.buf[i] != '\0')
            continue;
        char saved = p.buf[i];
        p.buf[i] = '\0';
        if (mkdir(p.buf, 0755) < 0 && errno != EEXIST) {
            sb_addf(err, "cannot create state directory %s: %s", p.buf, strerror(errno));
            sb_release(&p);
            return -1;
        }
        p.buf[i] = saved;
    }
    sb_release(&p);
    return 0;
}

/* Reads a serial from a small file; 0 when absent. */
static unsigned long ap_state_read(const char *path)
{
    strbuf d = STRBUF_INIT;
    unsigned long v = 0;
    if (sb_read_file(&d, path) == 0)
        v = strtoul(d.buf, NULL, 10);
    sb_release(&d);
    return v;
}

static int ap_state_write(const char *path, unsigned long v, strbuf *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lu\n", v);
    return ap_write_atomic(path, buf, (size_t)n, NULL, 0644, (uid_t)-1, (gid_t)-1, err);
}

/* The identities a watches entry may name: "Type[name]" as is; a bare name
 * through the bundle, else as any type, since the watched resource may have
 * been applied by an earlier invocation. */
static fv *ap_state_candidates(const ap_ctx *c, const char *ref)
{
    fv *l = fv_list();
    size_t n = strlen(ref);
    const char *br = strchr(ref, '[');
    if (br && br > ref && n && ref[n - 1] == ']') {
        fv_push(l, fv_strz(ref));
        return l;
    }
    long i = c->b ? bundle_find(c->b, ref) : -1;
    if (i >= 0) {
        strbuf id = STRBUF_INIT;
        rt_ident(c->b->items[i].type, c->b->items[i].fields, &id);
        fv_push(l, fv_strz(id.buf));
        sb_release(&id);
        return l;
    }
    for (size_t t = 0; rt_types[t]; t++) {
        strbuf id = STRBUF_INIT;
        sb_addf(&id, "%s[%s]", rt_types[t]->name, ref);
        fv_push(l, fv_strz(id.buf));
        sb_release(&id);
    }
    return l;
}

static int ap_state_in_memory(const ap_ctx *c, const char *ident)
{
    for (size_t i = 0; c->changed && i < c->changed->n; i++)
        if (strcmp(c->changed->items[i]->str, ident) == 0)
            return 1;
    return 0;
}

static void ap_state_file(const ap_ctx *c, const char *dir, const char *a, const char *b,
                          strbuf *out)
{
    sb_addf(out, "%s/%s/", c->state, dir);
    ap_state_escape(a, out);
    if (b) {
        sb_addc(out, '/');
        ap_state_escape(b, out);
    }
}

/* Calls fn for each watched identity that has an unconsumed change. */
static int ap_state_pending(ap_ctx *c, const fv *f,
                            int (*fn)(ap_ctx *c, const char *id, unsigned long serial, strbuf *err),
                            strbuf *err)
{
    const fv *w = fv_get(f, "watches");
    int hits = 0;
    for (size_t i = 0; w && w->kind == FV_LIST && i < w->n; i++) {
        if (w->items[i]->kind != FV_STR)
            continue;
        fv *cand = ap_state_candidates(c, w->items[i]->str);
        for (size_t j = 0; j < cand->n; j++) {
            const char *id = cand->items[j]->str;
            strbuf p = STRBUF_INIT, s = STRBUF_INIT;
            ap_state_file(c, "changed", id, NULL, &p);
            ap_state_file(c, "seen", c->ident, id, &s);
            unsigned long changed = ap_state_read(p.buf);
            int pending = ap_state_in_memory(c, id) || (changed && changed != ap_state_read(s.buf));
            sb_release(&p);
            sb_release(&s);
            if (pending) {
                hits++;
                if (fn && fn(c, id, changed, err) < 0) {
                    fv_free(cand);
                    return -1;
                }
            }
        }
        fv_free(cand);
    }
    return hits;
}

int ap_state_triggered(ap_ctx *c, const fv *f)
{
    const fv *w = fv_get(f, "watches");
    if (!w || w->kind != FV_LIST || w->n == 0)
        return 1;
    return ap_state_pending(c, f, NULL, NULL) > 0;
}

int ap_state_mark(ap_ctx *c, const char *ident, strbuf *err)
{
    if (!c->changed)
        c->changed = fv_list();
    if (!ap_state_in_memory(c, ident))
        fv_push(c->changed, fv_strz(ident));
    if (c->simulate || !c->state_write)
        return 0;
    strbuf dir = STRBUF_INIT, serial = STRBUF_INIT, p = STRBUF_INIT;
    sb_addf(&dir, "%s/changed", c->state);
    sb_addf(&serial, "%s/serial", c->state);
    int rc = ap_mkdirs(dir.buf, err);
    if (rc == 0) {
        /* The counter first: a marker must never reuse a serial a watcher has seen. */
        unsigned long next = ap_state_read(serial.buf) + 1;
        ap_state_file(c, "changed", ident, NULL, &p);
        rc = ap_state_write(serial.buf, next, err);
        if (rc == 0)
            rc = ap_state_write(p.buf, next, err);
    }
    sb_release(&dir);
    sb_release(&serial);
    sb_release(&p);
    return rc;
}

static int ap_state_seen(ap_ctx *c, const char *id, unsigned long serial, strbuf *err)
{
    if (!serial)
        return 0; /* changed in memory only: nothing persisted to consume */
    strbuf dir = STRBUF_INIT, p = STRBUF_INIT;
    sb_addf(&dir, "%s/seen/", c->state);
    ap_state_escape(c->ident, &dir);
    ap_state_file(c, "seen", c->ident, id, &p);
    int rc = ap_mkdirs(dir.buf, err);
    if (rc == 0)
        rc = ap_state_write(p.buf, serial, err);
    sb_release(&dir);
    sb_release(&p);
    return rc;
}

int ap_state_consume(ap_ctx *c, const fv *f, strbuf *err)
{
    if (c->simulate)
        return 0;
    return ap_state_pending(c, f, ap_state_seen, err) < 0 ? -1 : 0;
}

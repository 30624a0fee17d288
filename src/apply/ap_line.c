/* ap_line.c -- the Line provider: one line in a file, by POSIX ERE. */
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

/* Splits text into lines (without their '\n'); a final line without '\n' counts. */
static fv *ap_lines(const strbuf *text)
{
    fv *l = fv_list();
    const char *p = text->buf, *end = p + text->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fv_push(l, fv_str(p, n));
        p += n + (nl ? 1 : 0);
    }
    return l;
}

static int ap_line_is(const fv *item, const char *line)
{
    return item->len == strlen(line) && memcmp(item->str, line, item->len) == 0;
}

/* Decides the new contents. Returns 1 changed (out filled), 0 unchanged, -1 on a bad regex. */
static int ap_line_edit(const fv *lines, const char *line, const char *match, int remove,
                        strbuf *out, strbuf *err)
{
    regex_t re;
    if (match) {
        int e = regcomp(&re, match, REG_EXTENDED | REG_NOSUB);
        if (e) {
            char msg[128];
            regerror(e, &re, msg, sizeof msg);
            sb_addf(err, "bad match regex %s: %s", match, msg);
            return -1;
        }
    }
    int present = 0;
    long first = -1;
    for (size_t i = 0; i < lines->n; i++) {
        const fv *l = lines->items[i];
        int m = match ? regexec(&re, l->str, 0, NULL, 0) == 0 : (line && ap_line_is(l, line));
        if (m && first < 0)
            first = (long)i;
        if (line && ap_line_is(l, line))
            present = 1;
    }
    int changed = 0;
    for (size_t i = 0; i < lines->n; i++) {
        const fv *l = lines->items[i];
        int m = match ? regexec(&re, l->str, 0, NULL, 0) == 0 : (line && ap_line_is(l, line));
        if (remove && m) {
            changed = 1;
            continue;
        }
        if (!remove && !present && (long)i == first) {
            sb_adds(out, line);
            changed = 1;
        } else {
            sb_add(out, l->str, l->len);
        }
        sb_addc(out, '\n');
    }
    if (!remove && !present && first < 0) {
        sb_adds(out, line);
        sb_addc(out, '\n');
        changed = 1;
    }
    if (match)
        regfree(&re);
    return changed;
}

/* Follows symbolic links at path (a host path under the root) to the file
 * they name, so that the edit goes to that file and the link stays a link,
 * as fuselage does (think of /etc/resolv.conf). An absolute target lies
 * under the root, a relative one beside the link. A missing final target is
 * left for the caller to report; a loop is an error (ELOOP). */
static int ap_line_resolve(const ap_ctx *c, strbuf *path, strbuf *err)
{
    enum { MAX_LINKS = 40 }; /* as the kernel's own limit */
    strbuf to = STRBUF_INIT;
    int rc = 0;
    for (int n = 0;; n++) {
        struct stat st;
        if (lstat(path->buf, &st) < 0 || !S_ISLNK(st.st_mode))
            break;
        if (n == MAX_LINKS) {
            sb_addf(err, "cannot read %s: %s", path->buf, strerror(ELOOP));
            rc = -1;
            break;
        }
        sb_reset(&to);
        sb_grow(&to, (size_t)st.st_size + 1);
        ssize_t len = readlink(path->buf, to.buf, to.alloc - 1);
        if (len < 0) {
            sb_addf(err, "cannot read link %s: %s", path->buf, strerror(errno));
            rc = -1;
            break;
        }
        to.buf[len] = '\0';
        to.len = (size_t)len;
        if (to.buf[0] == '/') {
            sb_reset(path);
            ap_path(c, to.buf, path);
        } else {
            const char *slash = strrchr(path->buf, '/');
            sb_setlen(path, (size_t)(slash - path->buf) + 1);
            sb_adds(path, to.buf);
        }
    }
    sb_release(&to);
    return rc;
}

int ap_line(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    strbuf path = STRBUF_INIT, text = STRBUF_INIT, out = STRBUF_INIT;
    ap_path(c, fv_gets(f, "name"), &path);
    const char *line = fv_gets(f, "line");
    const char *match = fv_gets(f, "match");
    int remove = strcmp(policy, "remove") == 0;
    int rc = AP_FAIL;
    struct stat st;
    /* Validation makes apply carry a line (rt_line_check). */
    if (ap_line_resolve(c, &path, err) < 0)
        goto out;
    if (stat(path.buf, &st) < 0 || sb_read_file(&text, path.buf) < 0) {
        if (remove && errno == ENOENT) {
            rc = AP_SAME;
            goto out;
        }
        sb_addf(err, "cannot read %s: %s", path.buf, strerror(errno));
        goto out;
    }
    fv *lines = ap_lines(&text);
    int changed = ap_line_edit(lines, line, match, remove, &out, err);
    fv_free(lines);
    if (changed <= 0) {
        rc = changed < 0 ? AP_FAIL : AP_SAME;
        goto out;
    }
    if (!c->simulate && ap_write_atomic(path.buf, out.buf, out.len, NULL, st.st_mode & 07777,
                                        st.st_uid, st.st_gid, err) < 0)
        goto out;
    if (remove)
        ap_report(c, "removed", "would be removed");
    else
        ap_report(c, "applied", "would be applied");
    rc = AP_DONE;
out:
    sb_release(&path);
    sb_release(&text);
    sb_release(&out);
    return rc;
}

/* hashcache.c -- source hashes remembered by stat data (hashcache.h). */
#include "hashcache.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HC_HEADER "fuse-hashes 1\n"
/* Beyond this many records the oldest are dropped: the file stays small. */
#define HC_MAX 20000

typedef struct hc_rec {
    char *path;
    uint64_t size, ino;
    int64_t ms, mns, cs, cns;
    unsigned char hash[SHA256_LEN];
} hc_rec;

struct hc_cache {
    hc_rec *old; /* read from the file, sorted by path */
    size_t nold;
    hc_rec *fresh; /* hashed in this run */
    size_t nfresh, cap_fresh;
};

hc_cache *hc_new(void)
{
    return xcalloc(1, sizeof(hc_cache));
}

static int hc_cmp(const void *a, const void *b)
{
    return strcmp(((const hc_rec *)a)->path, ((const hc_rec *)b)->path);
}

static int hc_unhex(const char *s, unsigned char *out)
{
    for (size_t i = 0; i < SHA256_LEN; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[2 * i + (size_t)k];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* One record line (without its newline) into r; -1 when malformed. */
static int hc_line(const char *l, size_t len, hc_rec *r)
{
    if (len < SHA256_HEX + 2 || l[SHA256_HEX] != ' ' || hc_unhex(l, r->hash) < 0)
        return -1;
    char *line = xmemdup(l + SHA256_HEX + 1, len - SHA256_HEX - 1);
    int used = 0;
    int ok =
        sscanf(line, "%" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNu64 " %n",
               &r->size, &r->ms, &r->mns, &r->cs, &r->cns, &r->ino, &used) == 6 &&
        used > 0 && line[used] == '/' && line[used - 1] == ' ';
    r->path = ok ? xstrdup(line + used) : NULL;
    free(line);
    return ok ? 0 : -1;
}

static void hc_recs_free(hc_rec *rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rs[i].path);
    free(rs);
}

/* 1 when text ends with "sum HEX64\n", the hash of all before it: a file
 * torn or changed by anything but fuse is refused whole. */
static int hc_sum_ok(const char *text, size_t len)
{
    size_t tl = 4 + SHA256_HEX + 1;
    if (len < tl || memcmp(text + len - tl, "sum ", 4) != 0 || text[len - 1] != '\n')
        return 0;
    sha256_ctx s;
    unsigned char d[SHA256_LEN];
    strbuf hex = STRBUF_INIT;
    sha256_init(&s);
    sha256_update(&s, text, len - tl);
    sha256_final(&s, d);
    sha256_hex(d, SHA256_LEN, &hex);
    int ok = memcmp(hex.buf, text + len - tl + 4, SHA256_HEX) == 0;
    sb_release(&hex);
    return ok;
}

size_t hc_parse(hc_cache *c, const char *text, size_t len)
{
    size_t hl = strlen(HC_HEADER), n = 0, cap = 0;
    if (len < hl || memcmp(text, HC_HEADER, hl) != 0 || memchr(text, '\0', len) ||
        !hc_sum_ok(text, len))
        return 0;
    len -= 4 + SHA256_HEX + 1;
    hc_rec *rs = NULL;
    for (size_t at = hl; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        if (!nl || n >= HC_MAX)
            goto bad; /* a torn last line: the file is not ours whole */
        ALLOC_GROW(rs, n + 1, cap);
        if (hc_line(text + at, (size_t)(nl - text - (ptrdiff_t)at), &rs[n]) < 0)
            goto bad;
        n++;
        at = (size_t)(nl - text) + 1;
    }
    if (n)
        qsort(rs, n, sizeof *rs, hc_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(rs[i - 1].path, rs[i].path) == 0)
            goto bad;
    hc_recs_free(c->old, c->nold);
    c->old = rs;
    c->nold = n;
    return n;
bad:
    hc_recs_free(rs, n);
    return 0;
}

/* $XDG_CACHE_HOME/fuse (an absolute XDG_CACHE_HOME only, as the spec says),
 * else ~/.cache/fuse; "" when there is no home. */
static void hc_dir(strbuf *out)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (x && x[0] == '/')
        sb_addf(out, "%s/fuse", x);
    else if (home && home[0] == '/')
        sb_addf(out, "%s/.cache/fuse", home);
}

hc_cache *hc_open(void)
{
    hc_cache *c = hc_new();
    strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    hc_dir(&path);
    if (path.len) {
        sb_adds(&path, "/hashes");
        if (sb_read_file(&text, path.buf) == 0)
            hc_parse(c, text.buf, text.len);
    }
    sb_release(&path);
    sb_release(&text);
    return c;
}

static const hc_rec *hc_find(const hc_rec *rs, size_t n, const char *path)
{
    hc_rec key = {.path = (char *)path};
    return n ? bsearch(&key, rs, n, sizeof key, hc_cmp) : NULL;
}

static int hc_same(const hc_rec *r, const struct stat *st)
{
    return r->size == (uint64_t)st->st_size && r->ino == (uint64_t)st->st_ino &&
           r->ms == (int64_t)st->st_mtim.tv_sec && r->mns == (int64_t)st->st_mtim.tv_nsec &&
           r->cs == (int64_t)st->st_ctim.tv_sec && r->cns == (int64_t)st->st_ctim.tv_nsec;
}

static int hc_read(int fd, unsigned char out[SHA256_LEN])
{
    sha256_ctx s;
    sha256_init(&s);
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        sha256_update(&s, buf, (size_t)n);
    }
    sha256_final(&s, out);
    return 0;
}

int hc_file(hc_cache *c, const char *path, unsigned char out[SHA256_LEN], strbuf *err)
{
    time_t started = time(NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        sb_addf(err, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const hc_rec *r = hc_find(c->old, c->nold, path);
    if (r && hc_same(r, &st)) {
        memcpy(out, r->hash, SHA256_LEN);
        close(fd);
        return 0;
    }
    int rc = hc_read(fd, out);
    if (rc < 0)
        sb_addf(err, "cannot read %s: %s", path, strerror(errno));
    close(fd);
    /* Racy: a change later in the second of its stat data would go unseen. */
    if (rc < 0 || st.st_mtim.tv_sec >= started || st.st_ctim.tv_sec >= started ||
        strchr(path, '\n') || path[0] != '/')
        return rc;
    ALLOC_GROW(c->fresh, c->nfresh + 1, c->cap_fresh);
    c->fresh[c->nfresh++] = (hc_rec){.path = xstrdup(path),
                                     .size = (uint64_t)st.st_size,
                                     .ino = (uint64_t)st.st_ino,
                                     .ms = (int64_t)st.st_mtim.tv_sec,
                                     .mns = (int64_t)st.st_mtim.tv_nsec,
                                     .cs = (int64_t)st.st_ctim.tv_sec,
                                     .cns = (int64_t)st.st_ctim.tv_nsec};
    memcpy(c->fresh[c->nfresh - 1].hash, out, SHA256_LEN);
    return 0;
}

static void hc_put(strbuf *t, const hc_rec *r)
{
    sha256_hex(r->hash, SHA256_LEN, t);
    sb_addf(t, " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " %s\n",
            r->size, r->ms, r->mns, r->cs, r->cns, r->ino, r->path);
}

/* The new records, then the old ones they do not replace, up to HC_MAX. */
static void hc_text(hc_cache *c, strbuf *t)
{
    sb_adds(t, HC_HEADER);
    if (c->nfresh)
        qsort(c->fresh, c->nfresh, sizeof *c->fresh, hc_cmp);
    size_t n = 0;
    for (size_t i = 0; i < c->nfresh && n < HC_MAX; i++) {
        /* a file hashed twice in this run: once is enough */
        if (i > 0 && strcmp(c->fresh[i - 1].path, c->fresh[i].path) == 0)
            continue;
        hc_put(t, &c->fresh[i]);
        n++;
    }
    for (size_t i = 0; i < c->nold && n < HC_MAX; i++) {
        if (!hc_find(c->fresh, c->nfresh, c->old[i].path)) {
            hc_put(t, &c->old[i]);
            n++;
        }
    }
    sha256_ctx s;
    unsigned char d[SHA256_LEN];
    sha256_init(&s);
    sha256_update(&s, t->buf, t->len);
    sha256_final(&s, d);
    sb_adds(t, "sum ");
    sha256_hex(d, SHA256_LEN, t);
    sb_addc(t, '\n');
}

/* mkdir -p of an absolute dir, its parents 0700 as XDG asks. */
static int hc_mkdirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(dir, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static void hc_write(hc_cache *c)
{
    strbuf dir = STRBUF_INIT, tmp = STRBUF_INIT, path = STRBUF_INIT, t = STRBUF_INIT;
    hc_dir(&dir);
    if (dir.len && hc_mkdirs(dir.buf) == 0) {
        sb_addf(&path, "%s/hashes", dir.buf);
        sb_addf(&tmp, "%s/.hashes.%ld", dir.buf, (long)getpid());
        hc_text(c, &t);
        int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int ok = fd >= 0 && write(fd, t.buf, t.len) == (ssize_t)t.len;
        ok = fd >= 0 && close(fd) == 0 && ok;
        if (!ok || rename(tmp.buf, path.buf) != 0)
            unlink(tmp.buf);
    }
    sb_release(&dir);
    sb_release(&tmp);
    sb_release(&path);
    sb_release(&t);
}

void hc_free(hc_cache *c)
{
    if (!c)
        return;
    hc_recs_free(c->old, c->nold);
    hc_recs_free(c->fresh, c->nfresh);
    free(c);
}

void hc_close(hc_cache *c)
{
    if (c && c->nfresh)
        hc_write(c);
    hc_free(c);
}

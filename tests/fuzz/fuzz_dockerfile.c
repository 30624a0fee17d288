/* fuzz_dockerfile.c -- the Dockerfile and build-context writers fed random
 * valid bundles.
 *
 * The fuzz bytes drive a small generator: options, then resources of any
 * type with fields of the right kinds (strings full of shell and Dockerfile
 * metacharacters, binary and large contents, sources on disk, watches of
 * earlier resources). What bundle_add accepts is a valid bundle; for it
 * df_generate either fails with one line or writes a Dockerfile whose every
 * resource step carries that very resource (parsed back from the RUN line,
 * or from the bundle file it names), and the context read back with
 * libarchive holds exactly the Dockerfile, the payload and the blobs,
 * sorted, with their bytes, modes and zero owners, dated 0 but for sources
 * (their own mtime). */
#include "bundle.h"
#include "context.h"
#include "dockerfile.h"
#include "fuzz.h"
#include "fvjson.h"
#include "mem.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FZ_MAX_RES 8

/* Two files on disk a File.source can name, and their contents. */
static char fz_src_path[2][64];
static strbuf fz_src_data[2];
static const char fz_payload[] = "\177ELF fake fuse-apply";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 2; i++) {
        snprintf(fz_src_path[i], sizeof fz_src_path[i], "/tmp/fuzz-df-src.XXXXXX");
        int fd = mkstemp(fz_src_path[i]);
        FZ_ASSERT(fd >= 0, "mkstemp");
        sb_init(&fz_src_data[i]);
        size_t n = i ? 70000 : 5;
        for (size_t k = 0; k < n; k++)
            sb_addc(&fz_src_data[i], (int)(k * 7 % 256));
        FZ_ASSERT(write(fd, fz_src_data[i].buf, n) == (ssize_t)n, "write");
        close(fd);
    }
    return 0;
}

/* ---- the generator ---- */

/* Characters a shell, the Dockerfile parser or JSON would treat specially. */
static const char fz_alpha[] = "a/.-_ $`\"'\\;|&<>(){}[]*?~#=,:%\t\n\r!@^";

static fv *fz_string(fz_reader *r, size_t max)
{
    size_t len;
    unsigned how = fz_byte(r) % 3;
    const char *s = fz_bytes(r, max, &len);
    if (how == 0) /* raw bytes: NUL, invalid UTF-8 */
        return fv_str(s, len);
    char *t = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        t[i] = how == 1 ? fz_alpha[(unsigned char)s[i] % (sizeof fz_alpha - 1)]
                        : (char)('a' + (unsigned char)s[i] % 26);
    fv *v = fv_str(t, len);
    free(t);
    return v;
}

static fv *fz_path(fz_reader *r)
{
    fv *s = fz_string(r, 24);
    strbuf p = STRBUF_INIT;
    sb_addc(&p, '/');
    sb_add(&p, s->str, s->len);
    fv_free(s);
    fv *v = fv_str(p.buf, p.len);
    sb_release(&p);
    return v;
}

static fv *fz_strlist(fz_reader *r)
{
    fv *l = fv_list();
    for (unsigned n = fz_byte(r) % 4; n; n--)
        fv_push(l, fz_string(r, 16));
    return l;
}

/* File.contents: small, or repeated past DF_INLINE_MAX to make a blob. */
static fv *fz_contents(fz_reader *r)
{
    fv *s = fz_string(r, 64);
    unsigned rep = fz_byte(r);
    if (rep < 200 || s->len == 0)
        return s;
    strbuf big = STRBUF_INIT;
    while (big.len <= DF_INLINE_MAX)
        sb_add(&big, s->str, s->len);
    fv_free(s);
    fv *v = fv_str(big.buf, big.len);
    sb_release(&big);
    return v;
}

static fv *fz_value(fz_reader *r, const rt_field *f)
{
    switch (f->kind) {
    case RT_PATH:
        return fz_path(r);
    case RT_STRS:
        return fz_byte(r) & 1 ? fz_strlist(r) : fz_string(r, 16);
    case RT_LIST:
        return fz_strlist(r);
    case RT_MAP: {
        fv *m = fv_map();
        for (unsigned n = fz_byte(r) % 3; n; n--) {
            fv *k = fz_string(r, 8);
            if (!memchr(k->str, '\0', k->len))
                fv_set(m, k->str, fz_string(r, 16));
            fv_free(k);
        }
        return m;
    }
    case RT_BOOL:
        return fv_bool(fz_byte(r) & 1);
    case RT_INT:
        return fv_num((double)fz_byte(r) - 16);
    case RT_ID:
        return fz_byte(r) & 1 ? fv_num(fz_byte(r)) : fz_string(r, 8);
    case RT_MODE: {
        char m[5];
        snprintf(m, sizeof m, "0%o", fz_byte(r) << 1 & 0777);
        return fv_strz(m);
    }
    default:
        return fz_string(r, 16);
    }
}

static size_t fz_count(const char *const *l)
{
    size_t n = 0;
    while (l[n])
        n++;
    return n;
}

static fv *fz_field(fz_reader *r, const rt_type *t, const rt_field *f, const bundle *b)
{
    if (strcmp(f->name, "policy") == 0) {
        size_t n = fz_count(t->policies), i = fz_byte(r) % (n + 1);
        return i < n ? fv_strz(t->policies[i]) : fz_string(r, 8);
    }
    if (strcmp(f->name, "watches") == 0) {
        fv *l = fv_list();
        if (b->n)
            fv_push(l, fv_strz(b->items[fz_byte(r) % b->n].ident));
        return l;
    }
    if (strcmp(t->name, "File") == 0 && strcmp(f->name, "source") == 0)
        return fv_strz(fz_src_path[fz_byte(r) & 1]);
    if (strcmp(t->name, "File") == 0 && strcmp(f->name, "contents") == 0)
        return fz_contents(r);
    return fz_value(r, f);
}

/* One resource from the bytes; added when valid. */
static void fz_resource(fz_reader *r, bundle *b)
{
    size_t ntypes = 0;
    while (rt_types[ntypes])
        ntypes++;
    const rt_type *t = rt_types[fz_byte(r) % ntypes];
    fv *fields = fv_map();
    for (const rt_field *f = t->fields; f->name; f++) {
        /* A layer group is one RUN for several resources (a JSON list), not
         * the one-resource step this target checks: test_dockerfile.c's
         * layer tests cover its shape. */
        if (strcmp(f->name, "layer") == 0)
            continue;
        if ((f->flags & RT_REQUIRED) || fz_byte(r) % 3 == 0)
            fv_set(fields, f->name, fz_field(r, t, f, b));
    }
    strbuf err = STRBUF_INIT;
    if (bundle_add(b, t, fields, "fuzz.lua:1", &err) < 0) {
        FZ_ASSERT(err.len > 0, "bundle_add failed without a message");
        fv_free(fields);
    }
    sb_release(&err);
}

static fv *fz_options(fz_reader *r)
{
    fv *o = fv_map();
    fv_set(o, "from_image", fv_strz("debian:bookworm"));
    unsigned which = fz_byte(r);
    if (which & 1) {
        fv *env = fv_map();
        fv_set(env, "A", fz_string(r, 16));
        fv_set(o, "env", env);
    }
    if (which & 2)
        fv_set(o, "cmd", fz_byte(r) & 1 ? fz_strlist(r) : fz_string(r, 16));
    if (which & 4)
        fv_set(o, "volumes", fz_strlist(r));
    if (which & 8)
        fv_set(o, "workdir", fz_path(r));
    if (which & 16)
        fv_set(o, "user", fz_string(r, 8));
    if (which & 32) {
        fv *ports = fv_list();
        fv_push(ports, fz_byte(r) & 1 ? fv_num(fz_byte(r) + 1) : fz_string(r, 8));
        fv_set(o, "ports", ports);
    }
    return o;
}

/* ---- the Dockerfile ---- */

/* The resource fuse-apply is handed, as the bundle holds it: a source is
 * its blob in the image when it has one; contents are always as written. */
static fv *fz_expected(const bundle_res *res, size_t i, int blob)
{
    fv *want = fv_copy(res->fields);
    if (blob) {
        char src[64];
        snprintf(src, sizeof src, "/.fuse/blobs/%zu", i + 1);
        fv_set(want, "source", fv_strz(src));
    }
    return want;
}

/* Line `line` (0-based) of the text, without its newline. */
static const char *fz_line(const strbuf *t, size_t line, size_t *len)
{
    const char *s = t->buf, *end = t->buf + t->len;
    for (; line; line--)
        s = (const char *)memchr(s, '\n', (size_t)(end - s)) + 1;
    *len = (size_t)((const char *)memchr(s, '\n', (size_t)(end - s)) - s);
    return s;
}

static int fz_has_blob(const dockerfile *d, size_t i)
{
    char name[64];
    snprintf(name, sizeof name, ".fuse/blobs/%zu", i + 1);
    for (size_t k = 0; k < d->nblobs; k++)
        if (strcmp(d->blobs[k].name, name) == 0)
            return 1;
    return 0;
}

/* The RUN line of resource i: ["/.fuse/fuse-apply", ..., "--json", JSON]. */
static void fz_check_run(const char *line, size_t len, const bundle *b, size_t i,
                         const dockerfile *d)
{
    FZ_ASSERT(len > 4 && memcmp(line, "RUN [", 5) == 0, "step of resource %zu: %.*s", i, (int)len,
              line);
    strbuf err = STRBUF_INIT;
    fv *argv = fvj_parse(line + 4, len - 4, &err);
    FZ_ASSERT(argv && argv->kind == FV_LIST && argv->n >= 2, "RUN of %zu not a JSON list: %s", i,
              err.buf);
    FZ_ASSERT(strcmp(argv->items[0]->str, "/.fuse/fuse-apply") == 0, "RUN runs %s",
              argv->items[0]->str);
    const fv *json = argv->items[argv->n - 1];
    FZ_ASSERT(json->kind == FV_STR, "last argument not a string");
    /* A bundle file (contents that cannot go on a line): its blob's bytes. */
    const char *text = json->str;
    size_t text_len = json->len;
    for (size_t k = 0; k < d->nblobs; k++) {
        if (json->str[0] == '/' && strcmp(d->blobs[k].name, json->str + 1) == 0) {
            text = d->blobs[k].data;
            text_len = d->blobs[k].len;
        }
    }
    bundle one;
    bundle_init(&one);
    /* as the step's fuse-apply reads it: with --state, watches may name earlier steps */
    FZ_ASSERT(bundle_load_ext(&one, text, text_len, BUNDLE_WATCH_ELSEWHERE, &err) == 0 &&
                  one.n == 1,
              "resource %zu JSON does not load: %s", i, err.buf);
    fv *want = fz_expected(&b->items[i], i, fz_has_blob(d, i));
    FZ_ASSERT(one.items[0].type == b->items[i].type && fv_equal(one.items[0].fields, want),
              "resource %zu changed on its way into the Dockerfile", i);
    fv_free(want);
    bundle_free(&one);
    fv_free(argv);
    sb_release(&err);
}

/* The COPY of a tree (a Directory with a source): [--chown=U:G] then
 * [".fuse/trees/N/","PARENT/"], PARENT the name's, and the tree recorded. */
static void fz_check_tree(const char *line, size_t len, const bundle *b, size_t i,
                          const dockerfile *d)
{
    const fv *f = b->items[i].fields;
    const char *name = fv_gets(f, "name");
    const char *q = memchr(line, '[', len);
    FZ_ASSERT(q, "tree COPY of %zu: %.*s", i, (int)len, line);
    strbuf want = STRBUF_INIT, err = STRBUF_INIT, parent = STRBUF_INIT;
    fv *args = fvj_parse(q, len - (size_t)(q - line), &err);
    FZ_ASSERT(args && args->kind == FV_LIST && args->n == 2, "tree COPY of %zu: %s", i, err.buf);
    sb_addf(&want, ".fuse/trees/%zu/", i + 1);
    FZ_ASSERT(!strcmp(args->items[0]->str, want.buf), "tree %zu from %s", i, args->items[0]->str);
    const fv *dest = args->items[1];
    for (size_t k = 0; k < dest->len; k++)
        if (dest->str[k] != '\\' || ++k < dest->len)
            sb_addc(&parent, dest->str[k]);
    FZ_ASSERT(parent.len && parent.buf[parent.len - 1] == '/' &&
                  !strncmp(name, parent.buf, parent.len),
              "tree %zu (%s) copied into %s", i, name, parent.buf);
    sb_setlen(&want, want.len - 1);
    int found = 0;
    for (size_t k = 0; k < d->ntrees; k++)
        found |= d->trees[k].res == i && !strcmp(d->trees[k].dir, want.buf);
    FZ_ASSERT(found, "tree %zu not recorded", i);
    fv_free(args);
    sb_release(&want);
    sb_release(&err);
    sb_release(&parent);
}

static void fz_check_dockerfile(const dockerfile *d, const bundle *b)
{
    const strbuf *t = &d->text;
    FZ_ASSERT(t->len && t->buf[t->len - 1] == '\n', "Dockerfile does not end a line");
    FZ_ASSERT(!memchr(t->buf, '\0', t->len) && !memchr(t->buf, '\r', t->len),
              "NUL or CR in the Dockerfile");
    size_t lines = 0;
    for (size_t k = 0; k < t->len; k++)
        lines += t->buf[k] == '\n';
    FZ_ASSERT(lines == d->nsteps, "%zu lines, %zu steps", lines, d->nsteps);
    FZ_ASSERT(memcmp(t->buf, "FROM ", 5) == 0, "first line not FROM");
    static const char *const instr[] = {
        "FROM ",    "ENV ",  "COPY ",    "RUN [",        "VOLUME [", "EXPOSE ",
        "LABEL ",   "USER ", "WORKDIR ", "ENTRYPOINT [", "CMD ",     "ARG " DF_BUST_ARG "\n",
        "# fuse: ", NULL};
    size_t runs[FZ_MAX_RES] = {0};
    for (size_t k = 0; k < d->nsteps; k++) {
        size_t len;
        const char *line = fz_line(t, k, &len);
        int known = 0;
        for (int j = 0; instr[j]; j++)
            known |= strncmp(line, instr[j], strlen(instr[j])) == 0;
        FZ_ASSERT(known, "line %zu: %.*s", k + 1, (int)len, line);
        long res = d->step_res[k];
        FZ_ASSERT(res >= -1 && res < (long)b->n, "step %zu maps to %ld", k, res);
        /* cache = false: the build's bust argument, the first step of its
         * resource's unit (dockerfile.c's df_bust). */
        if (memcmp(line, "ARG ", 4) == 0)
            continue;
        /* An artifact (from): its image's stage line, credited to the first
         * resource using it, and its own COPY --from, never fuse-apply. */
        if (res >= 0 && fv_get(b->items[res].fields, "from")) {
            int stage = memcmp(line, "FROM ", 5) == 0 && len > 14 &&
                        memmem(line, len, " AS fuse-from-", 14) != NULL;
            int copy = len > 22 && memcmp(line, "COPY --from=fuse-from-", 22) == 0;
            FZ_ASSERT(stage || copy, "artifact %ld: %.*s", res, (int)len, line);
            runs[res] += (size_t)copy;
            continue;
        }
        if (res >= 0 && memcmp(line, "RUN ", 4) == 0) {
            runs[res]++;
            fz_check_run(line, len, b, (size_t)res, d);
        } else if (res >= 0 && (!memcmp(line, "COPY [", 6) || !memcmp(line, "COPY --", 7))) {
            runs[res]++;
            FZ_ASSERT(df_is_tree(&b->items[res]), "resource %ld: a COPY to its place", res);
            fz_check_tree(line, len, b, (size_t)res, d);
        }
        /* Every File reaches its place through fuse-apply, never one COPY. */
        FZ_ASSERT(res < 0 || df_is_tree(&b->items[res]) || memcmp(line, "COPY .fuse/", 11) == 0 ||
                      memcmp(line, "RUN ", 4) == 0 || memcmp(line, "# fuse: ", 8) == 0 ||
                      memcmp(line, "ARG ", 4) == 0,
                  "step of resource %ld: %.*s", res, (int)len, line);
    }
    /* One RUN of fuse-apply per resource, or a tree's or artifact's one COPY. */
    for (size_t i = 0; i < b->n; i++)
        FZ_ASSERT(runs[i] == 1, "resource %zu has %zu RUN steps", i, runs[i]);
}

/* ---- the context ---- */

typedef struct fz_want {
    const char *name;
    const char *data;
    size_t len;
    unsigned mode;
    time_t mtime; /* a source's; 0 for the rest */
} fz_want;

static int fz_want_cmp(const void *a, const void *b)
{
    return strcmp(((const fz_want *)a)->name, ((const fz_want *)b)->name);
}

static const strbuf *fz_src_of(const char *path)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(path, fz_src_path[i]) == 0)
            return &fz_src_data[i];
    FZ_ASSERT(0, "blob path %s is not a fuzz source", path);
    return NULL;
}

/* The tar stream read in pieces of `piece` bytes. */
static void fz_read_ctx(const dockerfile *d, size_t piece, strbuf *tar, fz_want *want)
{
    size_t n = 2 + d->nblobs;
    ctx_entry *es = xcalloc(n, sizeof *es);
    es[0] = (ctx_entry){"Dockerfile", d->text.buf, d->text.len, NULL, 0644, 0};
    es[1] = (ctx_entry){"fuse-apply", fz_payload, sizeof fz_payload - 1, NULL, 0755, 0};
    for (size_t i = 0; i < d->nblobs; i++) {
        const df_blob *bl = &d->blobs[i];
        FZ_ASSERT(bl->mode == 0600, "%s: mode %o", bl->name, bl->mode);
        es[2 + i] = (ctx_entry){bl->name, bl->data, bl->len, bl->path, bl->mode, bl->path != NULL};
    }
    for (size_t i = 0; i < n; i++) {
        const strbuf *src = es[i].path ? fz_src_of(es[i].path) : NULL;
        struct stat st;
        FZ_ASSERT(!es[i].path || stat(es[i].path, &st) == 0, "stat %s", es[i].path);
        want[i] = (fz_want){es[i].name, src ? src->buf : es[i].data, src ? src->len : es[i].len,
                            es[i].mode, es[i].keep_mtime ? st.st_mtime : 0};
    }
    qsort(want, n, sizeof *want, fz_want_cmp);
    strbuf err = STRBUF_INIT;
    ctx *c = ctx_new(es, n, &err);
    FZ_ASSERT(c, "ctx_new: %s", err.buf);
    char *buf = xmalloc(piece);
    size_t got;
    while ((got = ctx_read(c, buf, piece)) > 0) {
        FZ_ASSERT(got != (size_t)-1, "ctx_read: %s", ctx_error(c));
        FZ_ASSERT(got <= piece, "ctx_read gave %zu for %zu", got, piece);
        sb_add(tar, buf, got);
    }
    FZ_ASSERT(*ctx_error(c) == '\0', "error after the end: %s", ctx_error(c));
    free(buf);
    ctx_free(c);
    free(es);
    sb_release(&err);
}

static void fz_check_entry(struct archive *a, struct archive_entry *e, const fz_want *w)
{
    FZ_ASSERT(strcmp(archive_entry_pathname(e), w->name) == 0, "entry %s, expected %s",
              archive_entry_pathname(e), w->name);
    FZ_ASSERT(archive_entry_filetype(e) == AE_IFREG && archive_entry_perm(e) == w->mode,
              "%s: mode %o", w->name, (unsigned)archive_entry_mode(e));
    FZ_ASSERT(archive_entry_uid(e) == 0 && archive_entry_gid(e) == 0, "%s: owner not zero",
              w->name);
    FZ_ASSERT(archive_entry_mtime(e) == w->mtime, "%s: mtime %lld", w->name,
              (long long)archive_entry_mtime(e));
    FZ_ASSERT(archive_entry_size(e) == (la_int64_t)w->len, "%s: size", w->name);
    strbuf data = STRBUF_INIT;
    char buf[8192];
    la_ssize_t r;
    while ((r = archive_read_data(a, buf, sizeof buf)) > 0)
        sb_add(&data, buf, (size_t)r);
    FZ_ASSERT(r == 0, "%s: %s", w->name, archive_error_string(a));
    FZ_ASSERT(data.len == w->len && (w->len == 0 || memcmp(data.buf, w->data, w->len) == 0),
              "%s: contents differ", w->name);
    sb_release(&data);
}

static void fz_check_context(const dockerfile *d, size_t piece)
{
    size_t n = 2 + d->nblobs;
    fz_want *want = xcalloc(n, sizeof *want);
    strbuf tar = STRBUF_INIT;
    fz_read_ctx(d, piece, &tar, want);
    FZ_ASSERT(tar.len % 512 == 0, "tar of %zu bytes", tar.len);
    struct archive *a = archive_read_new();
    FZ_ASSERT(a && archive_read_support_format_tar(a) == ARCHIVE_OK &&
                  archive_read_open_memory(a, tar.buf, tar.len) == ARCHIVE_OK,
              "libarchive cannot open the context");
    struct archive_entry *e;
    size_t k = 0;
    int rc;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        FZ_ASSERT(k < n, "more than %zu entries", n);
        fz_check_entry(a, e, &want[k++]);
    }
    FZ_ASSERT(rc == ARCHIVE_EOF && k == n, "%zu of %zu entries: %s", k, n, archive_error_string(a));
    FZ_ASSERT(archive_read_free(a) == ARCHIVE_OK, "archive_read_free");
    sb_release(&tar);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r = {data, size};
    unsigned hi = fz_byte(&r), lo = fz_byte(&r);
    size_t piece = 1 + (hi << 4 | lo >> 4); /* 1 to 4096 bytes per ctx_read */
    fv *opts = fz_options(&r);
    bundle b;
    bundle_init(&b);
    for (int i = 0; i < FZ_MAX_RES && r.left; i++)
        fz_resource(&r, &b);
    dockerfile d;
    strbuf err = STRBUF_INIT;
    if (df_generate(opts, &b, &d, &err) < 0) {
        FZ_ASSERT(err.len > 0 && !strchr(err.buf, '\n'), "error \"%s\"", err.buf);
    } else {
        FZ_ASSERT(err.len == 0, "df_generate succeeded with \"%s\"", err.buf);
        fz_check_dockerfile(&d, &b);
        fz_check_context(&d, piece);
        df_free(&d);
    }
    sb_release(&err);
    bundle_free(&b);
    fv_free(opts);
    return 0;
}

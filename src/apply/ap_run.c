/* ap_run.c -- the driver: command line, bundle, one provider per resource. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"

static const struct {
    const char *type;
    ap_provider fn;
} ap_providers[] = {
    {"Package", ap_package}, {"File", ap_file},       {"Directory", ap_directory},
    {"Link", ap_link},       {"Execute", ap_execute}, {"User", ap_user},
    {"Group", ap_group},     {"Line", ap_line},       {"Checkout", ap_checkout},
};

ap_provider ap_provider_find(const char *type)
{
    for (size_t i = 0; i < sizeof ap_providers / sizeof ap_providers[0]; i++)
        if (strcmp(ap_providers[i].type, type) == 0)
            return ap_providers[i].fn;
    return NULL;
}

void ap_ctx_init(ap_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->root = "";
    c->out = stdout;
    c->err = stderr;
}

int ap_cached(const ap_ctx *c, const char *path)
{
    for (size_t i = 0; i < c->ncaches; i++) {
        size_t n = strlen(c->caches[i]);
        while (n > 1 && c->caches[i][n - 1] == '/')
            n--;
        if (strncmp(path, c->caches[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

void ap_ctx_free(ap_ctx *c)
{
    free(c->state);
    free(c->failed);
    fv_free(c->changed);
    c->failed = NULL;
    c->state = NULL;
    c->changed = NULL;
}

/* A change line that cannot be written means its reader is gone (a
 * blueprint's ssh link was cut; SIGPIPE is ignored once a command ran):
 * ap_apply then stops before the next resource, so a run nobody watches
 * goes no further, and the next run resumes from the state on disk. */
static void ap_flush(ap_ctx *c)
{
    if (fflush(c->out) != 0 || ferror(c->out))
        c->out_lost = 1;
}

void ap_report(ap_ctx *c, const char *text, const char *future)
{
    if (c->verbose < 0)
        return;
    fprintf(c->out, "%s %s\n", c->ident, c->simulate ? future : text);
    ap_flush(c);
}

void ap_reportf(ap_ctx *c, const char *fmt, ...)
{
    if (c->verbose < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->out, "%s ", c->ident);
    vfprintf(c->out, fmt, ap);
    fputc('\n', c->out);
    va_end(ap);
    ap_flush(c);
}

/* Prints "fuse-apply: IDENT: first line" then any detail lines. */
static void ap_fail(ap_ctx *c, const strbuf *err)
{
    const char *msg = err->len ? err->buf : "failed";
    fprintf(c->err, "fuse-apply: %s: %s\n", c->ident, msg);
    fflush(c->err);
    strbuf f = STRBUF_INIT;
    sb_addf(&f, "%s\t%.*s", c->ident, (int)strcspn(msg, "\n"), msg);
    free(c->failed);
    c->failed = sb_detach(&f, NULL);
}

void ap_summary(const ap_ctx *c, size_t total)
{
    fprintf(c->out, "%s %lu %lu %zu", AP_SUMMARY_TAG, c->nchanged, c->nsame, total);
    if (c->failed)
        fprintf(c->out, " failed %s", c->failed);
    fputc('\n', c->out);
    fflush(c->out);
}

int ap_apply(ap_ctx *c, const bundle *b, int no_changes_ok)
{
    int changed = 0;
    c->b = b;
    /* Without --state, markers are only needed when this bundle watches;
     * without either, none is recorded at all (the in-memory list costs a
     * scan per change: seconds for 10,000 Files). */
    int watching = bundle_any_watches(b);
    if (watching)
        c->state_write = 1;
    for (size_t i = 0; i < b->n; i++) {
        if (c->out_lost) {
            fprintf(c->err, "fuse-apply: the output is gone: stopped before resource %zu of %zu\n",
                    i + 1, b->n);
            return AP_EXIT_FAILED;
        }
        const bundle_res *r = &b->items[i];
        strbuf id = STRBUF_INIT, err = STRBUF_INIT;
        rt_ident(r->type, r->fields, &id);
        c->ident = id.buf;
        const char *policy = rt_policy(r->type, r->fields);
        /* Every type of the table has a provider (test_apply_cli checks). */
        ap_provider fn = ap_provider_find(r->type->name);
        int rc;
        if (!ap_state_triggered(c, r->fields)) {
            if (c->verbose > 0)
                fprintf(c->out, "%s not triggered\n", c->ident);
            rc = AP_SAME;
        } else {
            rc = fn(c, r->fields, policy, &err);
            if (rc == AP_SAME && c->verbose > 0)
                fprintf(c->out, "%s unchanged\n", c->ident);
            if (rc >= 0 && ap_state_consume(c, r->fields, &err) < 0)
                rc = AP_FAIL;
            if (rc == AP_DONE && (watching || c->state_write) &&
                ap_state_mark(c, c->ident, &err) < 0)
                rc = AP_FAIL;
        }
        if (rc == AP_FAIL)
            ap_fail(c, &err);
        if (rc == AP_DONE)
            changed = 1, c->nchanged++;
        else if (rc == AP_SAME)
            c->nsame++;
        c->ident = NULL;
        sb_release(&id);
        sb_release(&err);
        if (rc == AP_FAIL)
            return AP_EXIT_FAILED;
    }
    return changed || no_changes_ok ? AP_EXIT_CHANGED : AP_EXIT_UNCHANGED;
}

/* Flushes the filesystem that holds root ("" for /); best effort, as the
 * directory fsyncs it replaces. */
static void ap_syncfs(const char *root)
{
    int fd = open(*root ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
}

/* Monotonic seconds, for the -v timing line. */
static double ap_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ap_usage(FILE *f, int status)
{
    fputs(
        "usage: fuse-apply [--simulate] [--no-changes-ok] [--no-sync] [--state DIR] [--root DIR]\n"
        "                  [--summary] [--secrets DIR] [--cache DIR]... [-v|-q]\n"
        "                  BUNDLE.json | --json JSON\n"
        "       fuse-apply --empty DIR\n"
        "       fuse-apply --cleanup DIR\n",
        f);
    return status;
}

/* fuselage's builder stores a File's source as a blob of its zip bundle,
 * "bundle://SHA1", at assets/SHA1 beside resources.json. When fuse-apply
 * is given the resources.json of an unpacked bundle, each such source is
 * that asset file; without a file (--json, stdin) there is none to find. */
static int ap_fuselage_assets(bundle *b, const char *file, strbuf *err)
{
    static const char scheme[] = "bundle://";
    const size_t n = sizeof scheme - 1;
    for (size_t i = 0; i < b->n; i++) {
        const char *src = fv_gets(b->items[i].fields, "source");
        if (!src || strncmp(src, scheme, n) != 0)
            continue;
        const char *name = src + n;
        if (!*name || strspn(name, "0123456789abcdef") != strlen(name)) {
            sb_addf(err, "resource %zu (%s): source ", i + 1, b->items[i].type->name);
            rt_quote(err, src, strlen(src));
            sb_adds(err, " is not a fuselage asset (bundle:// and a hex digest)");
            return -1;
        }
        if (!file || strcmp(file, "-") == 0) {
            sb_addf(err,
                    "resource %zu (%s): source %s is an asset of a fuselage bundle: give "
                    "fuse-apply the unpacked bundle's resources.json as a file",
                    i + 1, b->items[i].type->name, src);
            return -1;
        }
        const char *slash = strrchr(file, '/');
        strbuf path = STRBUF_INIT;
        if (slash)
            sb_add(&path, file, (size_t)(slash - file) + 1);
        sb_addf(&path, "assets/%s", name);
        fv_set(b->items[i].fields, "source", fv_strz(path.buf));
        sb_release(&path);
    }
    return 0;
}

/* Reads the bundle text from a file, or stdin for "-". */
static int ap_read_bundle(const char *path, strbuf *out)
{
    if (strcmp(path, "-") == 0)
        return sb_read_fd(out, STDIN_FILENO);
    return sb_read_file(out, path);
}

/* --empty DIR: removes what DIR holds, DIR itself stays (a cache's mount
 * point: fuse --prune-caches). */
static int ap_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuse-apply: cannot open %s: %s\n", dir, strerror(errno));
        return AP_EXIT_FAILED;
    }
    strbuf path = STRBUF_INIT, err = STRBUF_INIT;
    int rc = AP_EXIT_CHANGED;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        sb_reset(&path);
        sb_addf(&path, "%s/%s", dir, e->d_name);
        if (ap_rmtree(path.buf, &err) < 0)
            rc = AP_EXIT_FAILED;
    }
    closedir(d);
    if (err.len)
        fprintf(stderr, "fuse-apply: %s\n", err.buf);
    sb_release(&path);
    sb_release(&err);
    return rc;
}

int ap_main(int argc, char **argv)
{
    ap_ctx c;
    ap_ctx_init(&c);
    const char *file = NULL, *json = NULL, *state = NULL, *cleanup = NULL, *secrets = NULL;
    int no_changes_ok = 0, no_sync = 0, summary = 0;
    const char *empty[16];
    size_t nempty = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--simulate") == 0 || strcmp(a, "-n") == 0)
            c.simulate = 1;
        else if (strcmp(a, "--no-changes-ok") == 0)
            no_changes_ok = 1;
        else if (strcmp(a, "--no-sync") == 0)
            no_sync = 1;
        else if (strcmp(a, "--summary") == 0)
            summary = 1;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            c.verbose = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            c.verbose = -1;
        else if (strcmp(a, "--state") == 0 && more)
            state = argv[++i];
        else if (strcmp(a, "--cache") == 0 && more &&
                 c.ncaches < sizeof c.caches / sizeof *c.caches)
            c.caches[c.ncaches++] = argv[++i];
        else if (strcmp(a, "--root") == 0 && more)
            c.root = argv[++i];
        else if (strcmp(a, "--json") == 0 && more)
            json = argv[++i];
        else if (strcmp(a, "--secrets") == 0 && more)
            secrets = argv[++i];
        else if (strcmp(a, "--cleanup") == 0 && more)
            cleanup = argv[++i];
        else if (strcmp(a, "--empty") == 0 && more && nempty < sizeof empty / sizeof *empty)
            empty[nempty++] = argv[++i];
        else if (strcmp(a, "--version") == 0) {
            puts("fuse-apply " FUSE_VERSION);
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return ap_usage(stdout, 0);
        else if (a[0] == '-' && a[1] && !(a[1] == '-' && !a[2])) {
            fprintf(stderr, "fuse-apply: unknown option %s\n", a);
            return ap_usage(stderr, AP_EXIT_USAGE);
        } else if (!file && !json)
            file = strcmp(a, "--") == 0 && more ? argv[++i] : a;
        else
            return ap_usage(stderr, AP_EXIT_USAGE);
    }
    if (nempty) {
        int rc = AP_EXIT_CHANGED;
        for (size_t i = 0; i < nempty; i++)
            if (ap_empty(empty[i]) != AP_EXIT_CHANGED)
                rc = AP_EXIT_FAILED;
        ap_ctx_free(&c);
        return rc;
    }
    if (cleanup) {
        /* The last step of a build: removes /.fuse, this binary included
         * (Linux keeps a running executable's inode alive). */
        strbuf err = STRBUF_INIT;
        int rc = ap_rmtree(cleanup, &err);
        if (rc < 0)
            fprintf(stderr, "fuse-apply: %s\n", err.buf);
        sb_release(&err);
        return rc < 0 ? AP_EXIT_FAILED : 0;
    }
    if (!file && !json)
        return ap_usage(stderr, AP_EXIT_USAGE);
    /* "/" means no prefix: paths are joined as root + name. */
    if (strcmp(c.root, "/") == 0)
        c.root = "";
    strbuf text = STRBUF_INIT, err = STRBUF_INIT;
    if (json)
        sb_adds(&text, json);
    else if (ap_read_bundle(file, &text) < 0) {
        fprintf(stderr, "fuse-apply: cannot read %s: %s\n", file, strerror(errno));
        sb_release(&text);
        return AP_EXIT_USAGE;
    }
    bundle b;
    bundle_init(&b);
    /* With --state the bundle may be one step of several (a Docker build
     * runs one per resource): what it watches came in an earlier one. */
    unsigned load = state ? BUNDLE_WATCH_ELSEWHERE : 0;
    if (bundle_load_ext(&b, text.buf, text.len, load, &err) < 0 ||
        ap_fuselage_assets(&b, json ? NULL : file, &err) < 0) {
        fprintf(stderr, "fuse-apply: %s: %s\n", json ? "--json" : file, err.buf);
        bundle_free(&b);
        sb_release(&text);
        sb_release(&err);
        return AP_EXIT_USAGE;
    }
    if (secrets && !c.simulate && ap_secrets(&c, &b, secrets, &err) < 0) {
        fprintf(stderr, "fuse-apply: %s\n", err.buf);
        bundle_free(&b);
        sb_release(&text);
        sb_release(&err);
        ap_ctx_free(&c);
        return AP_EXIT_FAILED;
    }
    strbuf st = STRBUF_INIT;
    if (state) {
        sb_adds(&st, state);
        c.state_write = 1;
    } else {
        sb_addf(&st, "%s/var/lib/fuse-apply", c.root);
    }
    c.state = sb_detach(&st, NULL);
    double t0 = ap_now();
    /* One syncfs() at the end instead of an fsync per file and directory:
     * with 10,000 Files the fsyncs were 99% of the run (20 s against 0.2 s).
     * Each file is still renamed into place whole, so no reader ever sees a
     * partial file; what a crash before the end may lose is redone by the
     * next run, which compares contents. */
    ap_sync_mode = no_sync ? AP_SYNC_NONE : AP_SYNC_END;
    int rc = ap_apply(&c, &b, no_changes_ok);
    if (ap_sync_mode == AP_SYNC_END && !c.simulate && c.nchanged)
        ap_syncfs(c.root);
    /* -v: the run's own duration, for benchmarks that time the apply
     * without the container around it. */
    if (c.verbose > 0)
        fprintf(stderr, "fuse-apply: applied %zu resources (%lu changed) in %.3f s\n", b.n,
                c.nchanged, ap_now() - t0);
    if (summary)
        ap_summary(&c, b.n);
    bundle_free(&b);
    sb_release(&text);
    sb_release(&err);
    ap_ctx_free(&c);
    return rc;
}

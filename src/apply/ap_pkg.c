/* ap_pkg.c -- the Package provider: apt-get, dnf, yum or apk of the image.
 *
 * The manager is found in the target's own PATH directories (never the
 * host's, even under --root: a test must not install on the build machine).
 * Installed packages are asked first so a second run changes nothing, and
 * all missing ones go to one install call. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ap.h"
#include "mem.h"
#include "strvec.h"

typedef enum { AP_PM_NONE, AP_PM_APT, AP_PM_DNF, AP_PM_YUM, AP_PM_APK } ap_pm;

typedef struct ap_pkg {
    ap_ctx *c;
    ap_pm pm;
    strbuf tool;  /* apt-get, dnf, yum or apk */
    strbuf query; /* dpkg-query, rpm; apk for apk */
    fv *env;      /* DEBIAN_FRONTEND=noninteractive for apt */
} ap_pkg;

static int ap_pkg_detect(ap_ctx *c, ap_pkg *p)
{
    static const struct {
        ap_pm pm;
        const char *tool, *query;
    } managers[] = {{AP_PM_APT, "apt-get", "dpkg-query"},
                    {AP_PM_DNF, "dnf", "rpm"},
                    {AP_PM_YUM, "yum", "rpm"},
                    {AP_PM_APK, "apk", "apk"}};
    p->c = c;
    p->env = fv_map();
    for (size_t i = 0; i < sizeof managers / sizeof managers[0]; i++) {
        sb_reset(&p->tool);
        sb_reset(&p->query);
        if (ap_tool(c, managers[i].tool, 0, &p->tool) &&
            ap_tool(c, managers[i].query, 0, &p->query)) {
            p->pm = managers[i].pm;
            if (p->pm == AP_PM_APT)
                fv_set(p->env, "DEBIAN_FRONTEND", fv_strz("noninteractive"));
            return 0;
        }
    }
    p->pm = AP_PM_NONE;
    return -1;
}

static int ap_pkg_run(ap_pkg *p, char **argv, strbuf *output, strbuf *err)
{
    ap_cmd cmd = {.argv = argv, .env = p->env, .umask = 022};
    return ap_cmd_run(&cmd, output, err);
}

/* 1 when name (at version, if given) is installed, 0 when not, -1 on error. */
static int ap_pkg_installed(ap_pkg *p, const char *name, const char *version, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    char *q = p->query.buf;
    int rc;
    if (p->pm == AP_PM_APT) {
        char *argv[] = {q, "-W", "-f=${Status}\t${Version}", (char *)name, NULL};
        rc = ap_pkg_run(p, argv, &out, err);
        if (rc == 0) {
            const char *tab = strchr(out.buf, '\t');
            rc = strncmp(out.buf, "install ok installed", 20) == 0 &&
                 (!version || (tab && strcmp(tab + 1, version) == 0));
        } else
            rc = rc > 0 ? 0 : -1;
    } else if (p->pm == AP_PM_APK) {
        char *argv[] = {q, "info", "-e", (char *)name, NULL};
        rc = ap_pkg_run(p, argv, &out, err);
        rc = rc < 0 ? -1 : rc == 0 && out.len > 0;
    } else {
        char *argv[] = {q, "-q", "--qf", "%{VERSION}-%{RELEASE}", (char *)name, NULL};
        rc = ap_pkg_run(p, argv, &out, err);
        if (rc == 0) {
            size_t n = version ? strlen(version) : 0;
            rc = !version || (strncmp(out.buf, version, n) == 0 &&
                              (out.buf[n] == '\0' || out.buf[n] == '-' || out.buf[n] == '\n'));
        } else
            rc = rc > 0 ? 0 : -1;
    }
    sb_release(&out);
    return rc;
}

/* apt ships images without package lists: they must be fetched first. */
static int ap_apt_lists_empty(ap_ctx *c)
{
    strbuf path = STRBUF_INIT;
    ap_path(c, "/var/lib/apt/lists", &path);
    DIR *d = opendir(path.buf);
    sb_release(&path);
    if (!d)
        return 1;
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, "_Packages"))
            empty = 0;
    closedir(d);
    return empty;
}

static int ap_apt_update(ap_pkg *p, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    char *argv[] = {p->tool.buf, "update", "-q", NULL};
    int rc = ap_pkg_run(p, argv, &out, err);
    if (rc > 0) {
        sb_addf(err, "apt-get update exited with status %d", rc);
        ap_cmd_explain(err, &out);
    }
    sb_release(&out);
    return rc == 0 ? 0 : -1;
}

/* The names in the lists directory (lock and partial/ aside), taken before
 * the first apt-get update of a run: what the image had of its own. */
static fv *ap_apt_lists(ap_ctx *c)
{
    fv *names = fv_list();
    strbuf path = STRBUF_INIT;
    ap_path(c, "/var/lib/apt/lists", &path);
    DIR *d = opendir(path.buf);
    sb_release(&path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strcmp(e->d_name, "lock") != 0 && strcmp(e->d_name, "partial") != 0)
            fv_push(names, fv_strz(e->d_name));
    if (d)
        closedir(d);
    return names;
}

static int ap_names_has(const fv *names, const char *s)
{
    for (size_t i = 0; i < names->n; i++)
        if (strcmp(names->items[i]->str, s) == 0)
            return 1;
    return 0;
}

/* After a successful install: drop the downloaded .debs and the lists this
 * run fetched (not in before), so the layer holds the packages and little
 * else. The image's own lists stay: a later apt-get in the image, or in an
 * Execute of the same bundle, must still find what it found before. */
static void ap_apt_clean(ap_pkg *p, const fv *before)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    char *argv[] = {p->tool.buf, "clean", NULL};
    /* A cache the build mounts keeps them for the next build instead: it
     * never enters the layer. */
    if (!ap_cached(p->c, "/var/cache/apt/archives"))
        ap_pkg_run(p, argv, &out, &err);
    int keep_lists = ap_cached(p->c, "/var/lib/apt/lists");
    fv *now = before && !keep_lists ? ap_apt_lists(p->c) : fv_list();
    for (size_t i = 0; i < now->n; i++) {
        if (ap_names_has(before, now->items[i]->str))
            continue;
        strbuf f = STRBUF_INIT;
        ap_path(p->c, "/var/lib/apt/lists/", &f);
        sb_adds(&f, now->items[i]->str);
        ap_rmtree(f.buf, &err);
        sb_release(&f);
    }
    fv_free(now);
    sb_release(&out);
    sb_release(&err);
}

/* apt-get update, first noting in *before what the lists directory holds. */
static int ap_apt_fetch(ap_pkg *p, fv **before, strbuf *err)
{
    *before = ap_apt_lists(p->c);
    return ap_apt_update(p, err);
}

/* What apt says when its lists are stale or missing. */
static int ap_apt_stale(const strbuf *out)
{
    const char *s = out->buf;
    return strstr(s, "Unable to locate package") || strstr(s, "has no installation candidate") ||
           strstr(s, "404") || strstr(s, "Failed to fetch");
}

static int ap_pkg_install(ap_pkg *p, const fv *names, const char *version, strbuf *err)
{
    strvec av = STRVEC_INIT;
    const char *verb = p->pm == AP_PM_APK ? "add" : "install";
    strvec_push(&av, p->tool.buf);
    strvec_push(&av, verb);
    if (p->pm == AP_PM_APT) {
        strvec_push(&av, "-y");
        strvec_push(&av, "-q");
        strvec_push(&av, "--no-install-recommends");
    } else if (p->pm == AP_PM_APK) {
        strvec_push(&av, "--no-cache");
    } else {
        strvec_push(&av, "-y");
        strvec_push(&av, "--setopt=install_weak_deps=False");
    }
    for (size_t i = 0; i < names->n; i++) {
        if (version)
            strvec_pushf(&av, "%s%c%s", names->items[i]->str,
                         p->pm == AP_PM_APT || p->pm == AP_PM_APK ? '=' : '-', version);
        else
            strvec_push(&av, names->items[i]->str);
    }
    fv *before = NULL; /* set by an update: at most one per install */
    int rc = 0;
    if (p->pm == AP_PM_APT && ap_apt_lists_empty(p->c))
        rc = ap_apt_fetch(p, &before, err);
    strbuf out = STRBUF_INIT;
    if (rc == 0)
        rc = ap_pkg_run(p, av.v, &out, err);
    /* Stale lists: fetch them once and try again. */
    if (rc > 0 && p->pm == AP_PM_APT && !before && ap_apt_stale(&out)) {
        sb_reset(&out);
        rc = ap_apt_fetch(p, &before, err);
        if (rc == 0)
            rc = ap_pkg_run(p, av.v, &out, err);
    }
    if (rc > 0) {
        sb_addf(err, "%s %s exited with status %d", p->tool.buf, verb, rc);
        ap_cmd_explain(err, &out);
    }
    /* After a failure nothing is removed: the lists explain it, and a retry
     * needs them. */
    if (p->pm == AP_PM_APT && rc == 0)
        ap_apt_clean(p, before);
    fv_free(before);
    sb_release(&out);
    strvec_clear(&av);
    return rc == 0 ? 0 : -1;
}

static int ap_pkg_remove(ap_pkg *p, const fv *names, int purge, strbuf *err)
{
    strvec av = STRVEC_INIT;
    strvec_push(&av, p->tool.buf);
    if (p->pm == AP_PM_APK)
        strvec_push(&av, "del");
    else {
        strvec_push(&av, p->pm == AP_PM_APT && purge ? "purge" : "remove");
        strvec_push(&av, "-y");
    }
    for (size_t i = 0; i < names->n; i++)
        strvec_push(&av, names->items[i]->str);
    strbuf out = STRBUF_INIT;
    int rc = ap_pkg_run(p, av.v, &out, err);
    if (rc > 0) {
        sb_addf(err, "%s %s exited with status %d", p->tool.buf, av.v[1], rc);
        ap_cmd_explain(err, &out);
    }
    sb_release(&out);
    strvec_clear(&av);
    return rc == 0 ? 0 : -1;
}

static void ap_pkg_join(const fv *names, strbuf *out)
{
    for (size_t i = 0; i < names->n; i++)
        sb_addf(out, "%s%s", i ? " " : "", names->items[i]->str);
}

int ap_package(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    const fv *name = fv_get(f, "name");
    fv *names = fv_list();
    if (name && name->kind == FV_STR)
        fv_push(names, fv_copy(name));
    for (size_t i = 0; name && name->kind == FV_LIST && i < name->n; i++)
        if (name->items[i]->kind == FV_STR)
            fv_push(names, fv_copy(name->items[i]));
    const char *version = fv_gets(f, "version");
    int remove = strcmp(policy, "uninstall") == 0;
    ap_pkg p = {.tool = STRBUF_INIT, .query = STRBUF_INIT};
    int rc = AP_FAIL;
    if (ap_pkg_detect(c, &p) < 0) {
        sb_adds(err, "no package manager found (apt-get, dnf, yum or apk)");
        goto out;
    }
    /* Keep only what must change: missing ones to install, present ones to remove. */
    fv *todo = fv_list();
    for (size_t i = 0; i < names->n; i++) {
        int inst = ap_pkg_installed(&p, names->items[i]->str, remove ? NULL : version, err);
        if (inst < 0) {
            fv_free(todo);
            goto out;
        }
        if (inst == remove)
            fv_push(todo, fv_copy(names->items[i]));
    }
    rc = AP_SAME;
    if (todo->n) {
        if (!c->simulate) {
            int r = remove ? ap_pkg_remove(&p, todo, ap_bool(f, "Package", "purge"), err)
                           : ap_pkg_install(&p, todo, version, err);
            if (r < 0) {
                fv_free(todo);
                rc = AP_FAIL;
                goto out;
            }
        }
        strbuf which = STRBUF_INIT;
        if (todo->n != names->n) {
            sb_addc(&which, ' ');
            ap_pkg_join(todo, &which);
        }
        const char *done = remove ? "uninstalled" : "installed";
        ap_reportf(c, "%s%s%s", c->simulate ? "would be " : "", done, which.buf);
        sb_release(&which);
        rc = AP_DONE;
    }
    fv_free(todo);
out:
    fv_free(names);
    fv_free(p.env);
    sb_release(&p.tool);
    sb_release(&p.query);
    return rc;
}

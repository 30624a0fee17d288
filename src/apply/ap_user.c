/* ap_user.c -- the User and Group providers.
 *
 * The current state comes from <root>/etc/passwd, group and shadow read
 * directly. What differs is computed once (ap_udiff, ap_gdiff); one backend
 * then carries it out: shadow's useradd, usermod, groupadd... where present,
 * busybox's adduser, addgroup... otherwise, and where no tool can (busybox
 * has no usermod), the files edited directly (ap_pwedit.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap.h"
#include "strvec.h"

/* An argv being built, handed to ap_cmd as it is. */
static void ap_arg(strvec *argv, const char *s)
{
    strvec_push(argv, s);
}

static void ap_arg2(strvec *argv, const char *opt, const char *val)
{
    strvec_push(argv, opt);
    strvec_push(argv, val);
}

static void ap_arg_id(strvec *argv, const char *opt, long id)
{
    strvec_push(argv, opt);
    strvec_pushf(argv, "%ld", id);
}

static int ap_argv_run(strvec *argv, const char *input, strbuf *err)
{
    strbuf out = STRBUF_INIT;
    ap_cmd cmd = {
        .argv = argv->v, .umask = -1, .input = input, .input_len = input ? strlen(input) : 0};
    int rc = ap_cmd_run(&cmd, &out, err);
    if (rc > 0) {
        const char *tool = strrchr(argv->v[0], '/');
        sb_addf(err, "%s exited with status %d", tool ? tool + 1 : argv->v[0], rc);
        ap_cmd_explain(err, &out);
    }
    sb_release(&out);
    return rc == 0 ? 0 : -1;
}

/* Runs argv unless simulating; empties it for the next command. */
static int ap_argv_done(ap_ctx *c, strvec *argv, const char *input, strbuf *err)
{
    int rc = c->simulate ? 0 : ap_argv_run(argv, input, err);
    strvec_clear(argv);
    return rc;
}

/* Starts argv with the tool's path; 0 when the image has none. */
static int ap_tool_argv(ap_ctx *c, strvec *argv, const char *tool)
{
    strbuf p = STRBUF_INIT;
    int found = ap_tool(c, tool, 0, &p);
    if (found)
        strvec_push(argv, p.buf);
    sb_release(&p);
    return found;
}

static int ap_list_has(const fv *l, const char *s)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->items[i]->kind == FV_STR && strcmp(l->items[i]->str, s) == 0)
            return 1;
    return 0;
}

static void ap_join(const fv *l, strbuf *out)
{
    for (size_t i = 0; i < l->n; i++)
        sb_addf(out, "%s%s", i ? "," : "", l->items[i]->str);
}

static void ap_note(strbuf *what, const char *s)
{
    sb_addf(what, "%s%s", what->len ? ", " : "", s);
}

/* The remove policy of both: the first tool found, else the files. */
static int ap_account_remove(ap_ctx *c, const char *name, const char *tool, const char *busybox,
                             int (*db)(ap_ctx *, const char *, strbuf *), strbuf *err)
{
    strvec argv = STRVEC_INIT;
    int rc;
    if (ap_tool_argv(c, &argv, tool) || ap_tool_argv(c, &argv, busybox)) {
        ap_arg(&argv, name);
        rc = ap_argv_done(c, &argv, NULL, err);
    } else {
        rc = c->simulate ? 0 : db(c, name, err);
    }
    if (rc < 0)
        return AP_FAIL;
    ap_report(c, "removed", "would be removed");
    return AP_DONE;
}

/* ---- Group ------------------------------------------------------------- */

static int ap_group_create(ap_ctx *c, const ap_gdiff *d, strbuf *err)
{
    strvec argv = STRVEC_INIT;
    if (ap_tool_argv(c, &argv, "groupadd")) {
        if (d->gid >= 0)
            ap_arg_id(&argv, "-g", d->gid);
        if (d->system)
            ap_arg(&argv, "-r");
        if (d->password)
            ap_arg2(&argv, "-p", d->password);
    } else if (ap_tool_argv(c, &argv, "addgroup")) {
        if (d->gid >= 0)
            ap_arg_id(&argv, "-g", d->gid);
        if (d->system)
            ap_arg(&argv, "-S");
    } else {
        return c->simulate ? 0 : ap_db_group(c, d, err);
    }
    ap_arg(&argv, d->name);
    return ap_argv_done(c, &argv, NULL, err);
}

static int ap_group_change(ap_ctx *c, const ap_gdiff *d, strbuf *err)
{
    strvec argv = STRVEC_INIT;
    if (!ap_tool_argv(c, &argv, "groupmod"))
        return c->simulate ? 0 : ap_db_group(c, d, err);
    ap_arg_id(&argv, "-g", d->gid);
    ap_arg(&argv, d->name);
    return ap_argv_done(c, &argv, NULL, err);
}

int ap_group(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    ap_gdiff d = {.name = fv_gets(f, "name"), .gid = -1};
    ap_grent e;
    int found = ap_gr_find(c, d.name, -1, &e);
    if (found < 0) {
        sb_addf(err, "cannot read %s/etc/group", c->root);
        return AP_FAIL;
    }
    long cur = found ? e.gid : -1;
    if (found)
        ap_gr_free(&e);
    if (strcmp(policy, "remove") == 0)
        return found ? ap_account_remove(c, d.name, "groupdel", "delgroup", ap_db_group_del, err)
                     : AP_SAME;
    const fv *gid = fv_get(f, "gid");
    d.exists = found;
    if (gid && gid->kind == FV_NUM && (long)gid->num != cur)
        d.gid = (long)gid->num;
    if (!found) {
        d.system = ap_bool(f, "Group", "system");
        d.password = fv_gets(f, "password");
        if (ap_group_create(c, &d, err) < 0)
            return AP_FAIL;
        ap_report(c, "created", "would be created");
        return AP_DONE;
    }
    if (d.gid < 0)
        return AP_SAME;
    if (ap_group_change(c, &d, err) < 0)
        return AP_FAIL;
    ap_reportf(c, "gid %s %ld", c->simulate ? "would change to" : "changed to", d.gid);
    return AP_DONE;
}

/* ---- User: the difference ---------------------------------------------- */

static void ap_udiff_free(ap_udiff *d)
{
    if (d->exists)
        ap_pw_free(&d->cur);
    free((char *)d->gname);
    free(d->cur_pw);
    fv_free(d->join);
    fv_free(d->leave);
    sb_release(&d->what);
}

/* A string field: set in d when given and different from the current one. */
static const char *ap_udiff_str(ap_udiff *d, const fv *f, const char *key, const char *cur,
                                const char *note)
{
    const char *want = fv_gets(f, key);
    if (!want || (d->exists && strcmp(cur, want) == 0))
        return NULL;
    if (d->exists)
        ap_note(&d->what, note);
    return want;
}

static long ap_udiff_id(ap_udiff *d, long want, long cur, const char *note)
{
    if (want < 0 || (d->exists && want == cur))
        return -1;
    if (d->exists)
        ap_note(&d->what, note);
    return want;
}

/* The primary group asked for (gid, or group by name), resolved; -1 none. */
static int ap_udiff_gid(ap_ctx *c, ap_udiff *d, const fv *f, strbuf *err)
{
    char gb[32];
    const char *want = ap_idtext(f, "gid", gb, sizeof gb);
    if (!want)
        want = fv_gets(f, "group");
    gid_t n;
    if (!want && d->exists)
        return 0;
    if (!want) {
        /* No group of its own, as fuselage (useradd -N) makes it: the
         * shared group users, gid 100 where the image has none. */
        ap_grent g;
        n = 100;
        if (ap_gr_find(c, "users", -1, &g) == 1) {
            n = (gid_t)g.gid;
            ap_gr_free(&g);
        }
    } else if (ap_gid(c, want, &n, err) < 0) {
        return -1;
    }
    d->gid = ap_udiff_id(d, (long)n, d->exists ? d->cur.gid : -1, "group");
    ap_grent g;
    if (d->gid >= 0 && ap_gr_find(c, NULL, d->gid, &g) == 1) {
        d->gname = g.name;
        g.name = NULL; /* kept: freed by ap_udiff_free */
        ap_gr_free(&g);
    }
    return 0;
}

/* The groups to join and to leave. */
static void ap_udiff_groups(ap_ctx *c, ap_udiff *d, const fv *f)
{
    d->join = fv_list();
    d->leave = fv_list();
    d->append = ap_bool(f, "User", "append");
    const fv *want = fv_get(f, "groups");
    if (!want || want->kind != FV_LIST)
        return;
    d->groups = want;
    fv *cur = d->exists ? ap_gr_memberships(c, d->name) : fv_list();
    for (size_t i = 0; i < want->n; i++)
        if (want->items[i]->kind == FV_STR && !ap_list_has(cur, want->items[i]->str))
            fv_push(d->join, fv_copy(want->items[i]));
    for (size_t i = 0; !d->append && i < cur->n; i++)
        if (!ap_list_has(want, cur->items[i]->str))
            fv_push(d->leave, fv_copy(cur->items[i]));
    fv_free(cur);
    if (d->exists && (d->join->n || d->leave->n))
        ap_note(&d->what, "groups");
}

/* The defaults a new account gets (fuselage's): a shell, and a home only
 * when one is given or create_home asks. */
static void ap_udiff_creation(ap_ctx *c, ap_udiff *d, const fv *f)
{
    const fv *create = fv_get(f, "create_home");
    int asked = create && create->kind == FV_BOOL;
    if (d->exists) {
        d->make_home = d->home && (!asked || create->b);
        return;
    }
    d->system = ap_bool(f, "User", "system");
    d->make_home = asked ? create->b : d->home != NULL;
    if (d->shell)
        return;
    /* /bin/bash, as fuselage; an image without bash (alpine, busybox)
     * gets its /bin/sh rather than a shell that cannot start. */
    d->shell = rt_default(rt_find("User"), "shell");
    strbuf p = STRBUF_INIT;
    ap_path(c, d->shell, &p);
    if (access(p.buf, X_OK) < 0)
        d->shell = "/bin/sh";
    sb_release(&p);
}

/* The password at creation; the lock of an existing account. */
static void ap_udiff_password(ap_ctx *c, ap_udiff *d, const fv *f)
{
    int dis_login = ap_bool(f, "User", "disabled_login");
    if (!d->exists) {
        d->password = dis_login ? "!" : fv_gets(f, "password");
        return;
    }
    char *pw = d->cur_pw = ap_shadow_pw(c, d->name);
    /* Without a shadow file there is nothing to lock (a busybox-static image). */
    if (dis_login && ap_has_shadow(c) && (!pw || strcmp(pw, "!") != 0)) {
        d->lock = AP_LOCK_LOGIN;
        ap_note(&d->what, "login disabled");
    } else if (ap_bool(f, "User", "disabled_password") && pw && pw[0] != '!' && pw[0] != '*') {
        d->lock = AP_LOCK_PASSWORD;
        ap_note(&d->what, "password disabled");
    }
}

/* Fills d; the order of the checks is the order of what. */
static int ap_udiff_make(ap_ctx *c, const fv *f, ap_udiff *d, strbuf *err)
{
    const ap_pwent *e = &d->cur;
    d->fullname = ap_udiff_str(d, f, "fullname", e->gecos, "fullname");
    d->home = ap_udiff_str(d, f, "home", e->home, "home");
    const fv *uid = fv_get(f, "uid");
    d->uid = ap_udiff_id(d, uid && uid->kind == FV_NUM ? (long)uid->num : -1, e->uid, "uid");
    if (ap_udiff_gid(c, d, f, err) < 0)
        return -1;
    d->shell = ap_udiff_str(d, f, "shell", e->shell, "shell");
    ap_udiff_groups(c, d, f);
    ap_udiff_creation(c, d, f);
    ap_udiff_password(c, d, f);
    return 0;
}

/* ---- User: the backends ------------------------------------------------ */

/* shadow's useradd (creating) or usermod: one call with an option per
 * differing field. */
static int ap_user_shadow(ap_ctx *c, const ap_udiff *d, strvec *argv, strbuf *err)
{
    if (d->fullname)
        ap_arg2(argv, "-c", d->fullname);
    if (d->home)
        ap_arg2(argv, "-d", d->home);
    /* useradd: -M too, since a login.defs with CREATE_HOME would make one
     * anyway; usermod -m moves the old home's contents. */
    if (d->make_home)
        ap_arg(argv, "-m");
    else if (!d->exists)
        ap_arg(argv, "-M");
    if (d->uid >= 0)
        ap_arg_id(argv, "-u", d->uid);
    if (d->gid >= 0)
        ap_arg_id(argv, "-g", d->gid);
    if (d->join->n || d->leave->n) {
        strbuf list = STRBUF_INIT;
        if (d->append && d->exists)
            ap_arg(argv, "-a");
        ap_join(d->append ? d->join : d->groups, &list); /* may be empty: leave every group */
        ap_arg2(argv, "-G", list.buf);
        sb_release(&list);
    }
    if (d->shell)
        ap_arg2(argv, "-s", d->shell);
    if (d->system)
        ap_arg(argv, "-r");
    if (d->password)
        ap_arg2(argv, "-p", d->password);
    else if (d->lock == AP_LOCK_LOGIN)
        ap_arg2(argv, "-p", "!");
    else if (d->lock == AP_LOCK_PASSWORD)
        ap_arg(argv, "-L");
    ap_arg(argv, d->name);
    return ap_argv_done(c, argv, NULL, err);
}

/* busybox's adduser creates; addgroup adds each supplementary group and
 * chpasswd sets a password. */
static int ap_user_busybox(ap_ctx *c, const ap_udiff *d, strvec *argv, strbuf *err)
{
    ap_arg(argv, "-D");
    if (d->home)
        ap_arg2(argv, "-h", d->home);
    if (!d->make_home)
        ap_arg(argv, "-H");
    if (d->fullname)
        ap_arg2(argv, "-g", d->fullname);
    if (d->shell)
        ap_arg2(argv, "-s", d->shell);
    if (d->gname)
        ap_arg2(argv, "-G", d->gname);
    if (d->system)
        ap_arg(argv, "-S");
    if (d->uid >= 0)
        ap_arg_id(argv, "-u", d->uid);
    ap_arg(argv, d->name);
    int rc = ap_argv_done(c, argv, NULL, err);
    for (size_t i = 0; rc == 0 && i < d->join->n; i++) {
        const char *g = d->join->items[i]->str;
        if (d->gname && strcmp(g, d->gname) == 0)
            continue;
        if (!ap_tool_argv(c, argv, "addgroup"))
            return sb_adds(err, "no addgroup in the image"), -1;
        ap_arg2(argv, d->name, g);
        rc = ap_argv_done(c, argv, NULL, err);
    }
    if (rc < 0 || !d->password)
        return rc;
    if (!ap_tool_argv(c, argv, "chpasswd"))
        return sb_adds(err, "no chpasswd in the image to set the password"), -1;
    ap_arg(argv, "-e");
    strbuf in = STRBUF_INIT;
    sb_addf(&in, "%s:%s\n", d->name, d->password);
    rc = ap_argv_done(c, argv, in.buf, err);
    sb_release(&in);
    return rc;
}

/* Carries out d with the first backend that can. */
static int ap_user_render(ap_ctx *c, const ap_udiff *d, strbuf *err)
{
    strvec argv = STRVEC_INIT;
    if (ap_tool_argv(c, &argv, d->exists ? "usermod" : "useradd"))
        return ap_user_shadow(c, d, &argv, err);
    if (!d->exists && ap_tool_argv(c, &argv, "adduser"))
        return ap_user_busybox(c, d, &argv, err);
    return c->simulate ? 0 : ap_db_user(c, d, err);
}

int ap_user(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    ap_udiff d = {.name = fv_gets(f, "name"), .uid = -1, .gid = -1};
    int found = ap_pw_find(c, d.name, -1, &d.cur);
    if (found < 0) {
        sb_addf(err, "cannot read %s/etc/passwd", c->root);
        return AP_FAIL;
    }
    d.exists = found;
    int rc = AP_FAIL;
    if (strcmp(policy, "remove") == 0)
        rc = found ? ap_account_remove(c, d.name, "userdel", "deluser", ap_db_user_del, err)
                   : AP_SAME;
    else if (ap_udiff_make(c, f, &d, err) < 0)
        rc = AP_FAIL;
    else if (found && d.what.len == 0)
        rc = AP_SAME;
    else if (ap_user_render(c, &d, err) == 0) {
        if (!found)
            ap_report(c, "created", "would be created");
        else
            ap_reportf(c, "%s (%s)", c->simulate ? "would be updated" : "updated", d.what.buf);
        rc = AP_DONE;
    }
    ap_udiff_free(&d);
    return rc;
}

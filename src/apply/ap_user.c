/* ap_user.c -- the User and Group providers.
 *
 * The current state comes from <root>/etc/passwd, group and shadow read
 * directly; changes go through the image's tools: shadow's useradd, usermod,
 * groupadd... where present, busybox's adduser, addgroup... otherwise. */
#include <stdlib.h>
#include <string.h>

#include "ap.h"
#include "mem.h"

/* An argv being built: a list of strings, handed to ap_cmd as char **. */
static void ap_arg(fv *argv, const char *s)
{
    fv_push(argv, fv_strz(s));
}

static void ap_arg2(fv *argv, const char *opt, const char *val)
{
    ap_arg(argv, opt);
    ap_arg(argv, val);
}

static int ap_argv_run(fv *argv, const char *input, strbuf *err)
{
    char **av = xcalloc(argv->n + 1, sizeof *av);
    for (size_t i = 0; i < argv->n; i++)
        av[i] = argv->items[i]->str;
    strbuf out = STRBUF_INIT;
    ap_cmd cmd = {.argv = av, .umask = -1, .input = input, .input_len = input ? strlen(input) : 0};
    int rc = ap_cmd_run(&cmd, &out, err);
    if (rc > 0) {
        const char *tool = strrchr(av[0], '/');
        sb_addf(err, "%s exited with status %d", tool ? tool + 1 : av[0], rc);
        ap_cmd_explain(err, &out);
    }
    sb_release(&out);
    free(av);
    return rc == 0 ? 0 : -1;
}

/* Starts argv with the first of the tools found; 0 when none is. */
static int ap_tool_argv(ap_ctx *c, fv *argv, const char *tool)
{
    strbuf p = STRBUF_INIT;
    int found = ap_tool(c, tool, 0, &p);
    if (found)
        ap_arg(argv, p.buf);
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

int ap_group(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    const char *name = fv_gets(f, "name");
    char gb[32];
    const char *gid = ap_idtext(f, "gid", gb, sizeof gb);
    ap_grent e;
    int found = ap_gr_find(c, name, -1, &e);
    fv *argv = fv_list();
    int rc = AP_FAIL;
    if (found < 0) {
        sb_addf(err, "cannot read %s/etc/group", c->root);
        goto out;
    }
    if (strcmp(policy, "remove") == 0) {
        rc = AP_SAME;
        if (!found)
            goto out;
        if (ap_tool_argv(c, argv, "groupdel") || ap_tool_argv(c, argv, "delgroup")) {
            ap_arg(argv, name);
            rc = c->simulate || ap_argv_run(argv, NULL, err) == 0 ? AP_DONE : AP_FAIL;
        } else {
            rc = c->simulate || ap_db_edit(c, "/etc/group", name, NULL, err) == 0 ? AP_DONE
                                                                                  : AP_FAIL;
        }
        if (rc == AP_DONE)
            ap_report(c, "removed", "would be removed");
        goto out;
    }
    if (!found) {
        if (ap_tool_argv(c, argv, "groupadd")) {
            if (gid)
                ap_arg2(argv, "-g", gid);
            if (ap_bool(f, "system"))
                ap_arg(argv, "-r");
            if (fv_gets(f, "password"))
                ap_arg2(argv, "-p", fv_gets(f, "password"));
        } else if (ap_tool_argv(c, argv, "addgroup")) {
            if (gid)
                ap_arg2(argv, "-g", gid);
            if (ap_bool(f, "system"))
                ap_arg(argv, "-S");
        }
        if (argv->n) {
            ap_arg(argv, name);
            if (!c->simulate && ap_argv_run(argv, NULL, err) < 0)
                goto out;
        } else if (!c->simulate &&
                   ap_db_group_add(c, name, gid ? atol(gid) : -1, ap_bool(f, "system"), err) < 0) {
            goto out;
        }
        ap_report(c, "created", "would be created");
        rc = AP_DONE;
        goto out;
    }
    rc = AP_SAME;
    if (gid && atol(gid) != e.gid) {
        int r = 0;
        if (ap_tool_argv(c, argv, "groupmod")) {
            ap_arg2(argv, "-g", gid);
            ap_arg(argv, name);
            r = c->simulate ? 0 : ap_argv_run(argv, NULL, err);
        } else if (!c->simulate) {
            r = ap_db_group_gid(c, name, atol(gid), err);
        }
        if (r < 0) {
            rc = AP_FAIL;
            goto out;
        }
        ap_reportf(c, "gid %s %s", c->simulate ? "would change to" : "changed to", gid);
        rc = AP_DONE;
    }
out:
    if (found == 1)
        ap_gr_free(&e);
    fv_free(argv);
    return rc;
}

static int ap_user_want(ap_ctx *c, const fv *f, ap_uwant *w, char *ub, char *gb, strbuf *err)
{
    memset(w, 0, sizeof *w);
    w->name = fv_gets(f, "name");
    w->fullname = fv_gets(f, "fullname");
    w->home = fv_gets(f, "home");
    w->shell = fv_gets(f, "shell");
    w->password = fv_gets(f, "password");
    w->uid = ap_idtext(f, "uid", ub, 32);
    w->groups = fv_get(f, "groups");
    if (w->groups && w->groups->kind != FV_LIST)
        w->groups = NULL;
    w->append = ap_bool(f, "append");
    w->system = ap_bool(f, "system");
    w->dis_login = ap_bool(f, "disabled_login");
    w->dis_password = ap_bool(f, "disabled_password");
    w->gid = -1;
    const char *gid = ap_idtext(f, "gid", gb, 32);
    const char *group = fv_gets(f, "group");
    const char *want = gid ? gid : group;
    if (want) {
        ap_grent g;
        gid_t n;
        if (ap_gid(c, want, &n, err) < 0)
            return -1;
        w->gid = (long)n;
        if (ap_gr_find(c, NULL, w->gid, &g) == 1) {
            w->gname = g.name;
            g.name = NULL; /* kept: freed by ap_user */
            ap_gr_free(&g);
        }
    }
    return 0;
}

/* Adds the option that sets each differing field; notes the field in what. */
static void ap_user_diff(ap_ctx *c, const ap_uwant *w, const ap_pwent *e, int exists, fv *argv,
                         strbuf *what)
{
    char buf[32];
#define AP_NOTE(s) sb_addf(what, "%s%s", what->len ? ", " : "", s)
    if (w->fullname && (!exists || strcmp(e->gecos, w->fullname) != 0)) {
        ap_arg2(argv, "-c", w->fullname);
        AP_NOTE("fullname");
    }
    if (w->home && (!exists || strcmp(e->home, w->home) != 0)) {
        ap_arg2(argv, "-d", w->home);
        if (exists)
            ap_arg(argv, "-m"); /* usermod: move the old home's contents */
        AP_NOTE("home");
    }
    if (w->uid && (!exists || atol(w->uid) != e->uid)) {
        ap_arg2(argv, "-u", w->uid);
        AP_NOTE("uid");
    }
    if (w->gid >= 0 && (!exists || w->gid != e->gid)) {
        snprintf(buf, sizeof buf, "%ld", w->gid);
        ap_arg2(argv, "-g", buf);
        AP_NOTE("group");
    } else if (!exists && w->gid < 0) {
        /* useradd refuses to make a user group when the group exists (a Group
         * resource often comes first): join it instead. */
        ap_grent g;
        if (ap_gr_find(c, w->name, -1, &g) == 1) {
            ap_arg2(argv, "-g", w->name);
            ap_gr_free(&g);
        }
    }
    if (w->groups) {
        fv *cur = exists ? ap_gr_memberships(c, w->name) : fv_list();
        fv *add = fv_list();
        for (size_t i = 0; i < w->groups->n; i++)
            if (w->groups->items[i]->kind == FV_STR && !ap_list_has(cur, w->groups->items[i]->str))
                fv_push(add, fv_copy(w->groups->items[i]));
        int extra = 0;
        for (size_t i = 0; i < cur->n; i++)
            if (!ap_list_has(w->groups, cur->items[i]->str))
                extra = 1;
        strbuf list = STRBUF_INIT;
        int set = 0;
        if (w->append && add->n) {
            if (exists)
                ap_arg(argv, "-a");
            ap_join(add, &list);
            set = 1;
        } else if (!w->append && (add->n || extra)) {
            ap_join(w->groups, &list); /* may be empty: leave every group */
            set = 1;
        }
        if (set) {
            ap_arg2(argv, "-G", list.buf);
            AP_NOTE("groups");
        }
        sb_release(&list);
        fv_free(cur);
        fv_free(add);
    }
    if (w->shell && (!exists || strcmp(e->shell, w->shell) != 0)) {
        ap_arg2(argv, "-s", w->shell);
        AP_NOTE("shell");
    }
    if (!exists && w->system)
        ap_arg(argv, "-r");
    char *pw = exists ? ap_shadow_pw(c, w->name) : NULL;
    if (w->dis_login && (!exists || !pw || strcmp(pw, "!") != 0)) {
        ap_arg2(argv, "-p", "!");
        AP_NOTE("login disabled");
    } else if (!exists && w->password) {
        ap_arg2(argv, "-p", w->password);
    } else if (exists && w->dis_password && pw && pw[0] != '!' && pw[0] != '*') {
        ap_arg(argv, "-L");
        AP_NOTE("password disabled");
    }
    free(pw);
#undef AP_NOTE
}

/* busybox's adduser: creation, then addgroup for each supplementary group
 * and chpasswd for a password. */
static int ap_user_busybox(ap_ctx *c, const ap_uwant *w, strbuf *err)
{
    fv *argv = fv_list();
    ap_tool_argv(c, argv, "adduser");
    ap_arg(argv, "-D");
    if (w->home)
        ap_arg2(argv, "-h", w->home);
    if (w->fullname)
        ap_arg2(argv, "-g", w->fullname);
    if (w->shell)
        ap_arg2(argv, "-s", w->shell);
    if (w->gname)
        ap_arg2(argv, "-G", w->gname);
    if (w->system)
        ap_arg(argv, "-S");
    if (w->uid)
        ap_arg2(argv, "-u", w->uid);
    ap_arg(argv, w->name);
    int rc = c->simulate ? 0 : ap_argv_run(argv, NULL, err);
    for (size_t i = 0; rc == 0 && w->groups && i < w->groups->n; i++) {
        const char *g = w->groups->items[i]->str;
        if (w->gname && strcmp(g, w->gname) == 0)
            continue;
        fv_free(argv);
        argv = fv_list();
        if (!ap_tool_argv(c, argv, "addgroup")) {
            sb_adds(err, "no addgroup in the image");
            rc = -1;
            break;
        }
        ap_arg(argv, w->name);
        ap_arg(argv, g);
        if (!c->simulate)
            rc = ap_argv_run(argv, NULL, err);
    }
    const char *set = w->dis_login ? "!" : w->password;
    if (rc == 0 && set) {
        fv_free(argv);
        argv = fv_list();
        if (!ap_tool_argv(c, argv, "chpasswd")) {
            sb_adds(err, "no chpasswd in the image to set the password");
            rc = -1;
        } else {
            ap_arg(argv, "-e");
            strbuf in = STRBUF_INIT;
            sb_addf(&in, "%s:%s\n", w->name, set);
            if (!c->simulate)
                rc = ap_argv_run(argv, in.buf, err);
            sb_release(&in);
        }
    }
    fv_free(argv);
    return rc;
}

int ap_user(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    ap_uwant w;
    char ub[32], gb[32];
    ap_pwent e;
    int rc = AP_FAIL;
    int found = ap_pw_find(c, fv_gets(f, "name"), -1, &e);
    fv *argv = fv_list();
    strbuf what = STRBUF_INIT;
    memset(&w, 0, sizeof w);
    if (found < 0) {
        sb_addf(err, "cannot read %s/etc/passwd", c->root);
        goto out;
    }
    if (strcmp(policy, "remove") == 0) {
        rc = AP_SAME;
        if (!found)
            goto out;
        if (ap_tool_argv(c, argv, "userdel") || ap_tool_argv(c, argv, "deluser")) {
            ap_arg(argv, fv_gets(f, "name"));
            rc = c->simulate || ap_argv_run(argv, NULL, err) == 0 ? AP_DONE : AP_FAIL;
        } else {
            rc = c->simulate || ap_db_user_del(c, fv_gets(f, "name"), err) == 0 ? AP_DONE : AP_FAIL;
        }
        if (rc == AP_DONE)
            ap_report(c, "removed", "would be removed");
        goto out;
    }
    if (ap_user_want(c, f, &w, ub, gb, err) < 0)
        goto out;
    strbuf tool = STRBUF_INIT;
    int shadow = ap_tool(c, found ? "usermod" : "useradd", 0, &tool);
    sb_release(&tool);
    if (shadow) {
        ap_tool_argv(c, argv, found ? "usermod" : "useradd");
        if (!found)
            ap_arg(argv, "-m");
        size_t base = argv->n;
        ap_user_diff(c, &w, &e, found, argv, &what);
        if (found && argv->n == base) {
            rc = AP_SAME;
            goto out;
        }
        ap_arg(argv, w.name);
        if (!c->simulate && ap_argv_run(argv, NULL, err) < 0)
            goto out;
    } else if (!found && ap_tool(c, "adduser", 0, &tool)) {
        sb_release(&tool);
        if (ap_user_busybox(c, &w, err) < 0)
            goto out;
    } else {
        /* No tool can do it (busybox has no usermod): edit the files. */
        if (ap_db_user(c, &w, &e, found, &what, err) < 0)
            goto out;
        if (found && what.len == 0) {
            rc = AP_SAME;
            goto out;
        }
    }
    if (!found)
        ap_report(c, "created", "would be created");
    else
        ap_reportf(c, "%s (%s)", c->simulate ? "would be updated" : "updated", what.buf);
    rc = AP_DONE;
out:
    if (found == 1)
        ap_pw_free(&e);
    free((char *)w.gname);
    fv_free(argv);
    sb_release(&what);
    return rc;
}

/* ap_exec.c -- the Execute provider. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap.h"
#include "mem.h"
#include "strvec.h"

/* Runs "sh -c script" as cmd describes; returns its status or -1. */
static int ap_exec_sh(ap_cmd *cmd, const char *script, strbuf *output, strbuf *err)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    cmd->argv = argv;
    int rc = ap_cmd_run(cmd, output, err);
    cmd->argv = NULL;
    return rc;
}

static int ap_exists(ap_ctx *c, const char *path)
{
    strbuf p = STRBUF_INIT;
    ap_path(c, path, &p);
    struct stat st;
    int rc = lstat(p.buf, &st) == 0;
    sb_release(&p);
    return rc;
}

/* Runs one command: a string through the shell, a list as argv. */
static int ap_exec_one(ap_ctx *c, ap_cmd *cmd, const fv *command, long want, strbuf *err)
{
    strbuf output = STRBUF_INIT;
    int rc;
    const char *shown;
    if (command->kind == FV_STR) {
        rc = ap_exec_sh(cmd, command->str, &output, err);
        shown = command->str;
    } else {
        strvec argv = STRVEC_INIT;
        for (size_t i = 0; i < command->n; i++)
            strvec_push(&argv, command->items[i]->kind == FV_STR ? command->items[i]->str : "");
        cmd->argv = argv.v;
        rc = command->n ? ap_cmd_run(cmd, &output, err) : 0;
        cmd->argv = NULL;
        strvec_clear(&argv);
        shown = command->n ? command->items[0]->str : "";
    }
    if (rc >= 0 && rc != want) {
        if (want)
            sb_addf(err, "command exited with status %d, expected %ld", rc, want);
        else
            sb_addf(err, "command exited with status %d", rc);
        sb_addf(err, "\n  command: %s", shown);
        ap_cmd_explain(err, &output);
        rc = -1;
    } else if (rc >= 0 && c->verbose > 0 && output.len) {
        fwrite(output.buf, 1, output.len, c->out);
    }
    sb_release(&output);
    return rc < 0 ? -1 : 0;
}

int ap_execute(ap_ctx *c, const fv *f, const char *policy, strbuf *err)
{
    (void)policy; /* "execute" is the only one */
    const char *creates = fv_gets(f, "creates");
    const char *touch = fv_gets(f, "touch");
    if ((creates && ap_exists(c, creates)) || (touch && ap_exists(c, touch)))
        return AP_SAME;
    ap_cmd cmd = {.umask = -1};
    /* Not fuse-apply's own directory (in a build, the base image's WORKDIR):
     * a command must not depend on where the applier happened to start. */
    cmd.cwd = fv_gets(f, "cwd");
    if (!cmd.cwd)
        cmd.cwd = rt_default(rt_find("Execute"), "cwd");
    const fv *env = fv_get(f, "environment");
    cmd.env = env && env->kind == FV_MAP ? env : NULL;
    long mask = ap_mode(f, "umask", NULL);
    if (mask >= 0)
        cmd.umask = (int)mask;
    const fv *rcv = fv_get(f, "returncode");
    long want = rcv && rcv->kind == FV_NUM ? (long)rcv->num : 0;
    char ub[32], gb[32];
    if (ap_cmd_as(c, &cmd, ap_idtext(f, "user", ub, sizeof ub),
                  ap_idtext(f, "group", gb, sizeof gb), err) < 0)
        return AP_FAIL;
    const char *unless = fv_gets(f, "unless");
    if (unless) {
        strbuf output = STRBUF_INIT;
        int rc = ap_exec_sh(&cmd, unless, &output, err);
        sb_release(&output);
        if (rc < 0)
            return AP_FAIL;
        if (rc == 0)
            return AP_SAME;
    }
    if (c->simulate) {
        ap_report(c, "executed", "would be executed");
        return AP_DONE;
    }
    const fv *command = fv_get(f, "command");
    const fv *commands = fv_get(f, "commands");
    if (command && ap_exec_one(c, &cmd, command, want, err) < 0)
        return AP_FAIL;
    if (commands && commands->kind == FV_STR && ap_exec_one(c, &cmd, commands, want, err) < 0)
        return AP_FAIL;
    for (size_t i = 0; commands && commands->kind == FV_LIST && i < commands->n; i++)
        if (ap_exec_one(c, &cmd, commands->items[i], want, err) < 0)
            return AP_FAIL;
    if (touch) {
        strbuf p = STRBUF_INIT;
        ap_path(c, touch, &p);
        int fd = open(p.buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            sb_addf(err, "cannot touch %s: %s", p.buf, strerror(errno));
            sb_release(&p);
            return AP_FAIL;
        }
        close(fd);
        sb_release(&p);
    }
    ap_report(c, "executed", "would be executed");
    return AP_DONE;
}

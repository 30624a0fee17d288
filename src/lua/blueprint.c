/* blueprint.c -- blueprint { hosts = ..., user = ..., sudo = true } (fn): the
 * same generator as a docker_container, its bundle applied to live hosts
 * over SSH by src/remote (rm.h) instead of built into an image. */
#include "host.h"

#include "rm.h"

/* The run's options for src/remote, from the task's args and fuse's flags.
 * Returns 0, or 2 with err set (hosts or user wrong on the command line). */
static int tf_rm_opts(const tf_host *h, const fv *args, rm_opts *o, strbuf *err)
{
    const fv *sudo = fv_get(args, "sudo"), *sim = fv_get(args, "simulate");
    const tf_flags *f = h->flags;
    *o = (rm_opts){.hosts = fv_get(args, "hosts"),
                   .user = fv_gets(args, "user"),
                   .sudo = sudo && sudo->kind == FV_BOOL && sudo->b,
                   .simulate = sim && sim->kind == FV_BOOL && sim->b,
                   .verbose = f && f->verbose,
                   .quiet = f && f->quiet,
                   .jobs = f && f->jobs ? f->jobs : 1};
    return rm_hosts_check(o->hosts, err) < 0 || rm_user_check(o->user, err) < 0 ? 2 : 0;
}

int tf_blueprint_exec(tf_host *h, lua_State *L, int objidx, const fv *args, strbuf *err)
{
    objidx = lua_absindex(L, objidx);
    rm_opts o;
    strbuf why = STRBUF_INIT;
    if (tf_rm_opts(h, args, &o, &why) != 0) {
        sb_addf(err, "%s: %s", tf_task_name(h, lua_touserdata(L, objidx)), why.buf);
        sb_release(&why);
        return 2;
    }
    sb_release(&why);
    bundle *b = tf_newbundle(L);
    int status = tf_generate(h, L, objidx, lua_gettop(L), args, err);
    FILE *out = h->out ? h->out : stdout;
    if (status == 0 && h->flags && h->flags->dry_run)
        status = rm_dry_run(&o, b, out, err);
    else if (status == 0)
        status = rm_apply(&o, b, out, err);
    lua_pop(L, 1);
    return status;
}

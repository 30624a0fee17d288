/* rm_apply.c -- a blueprint over its hosts: the tar's entries (made once),
 * up to -j workers at once, one summary line per host, the exit status. */
#include "rm_int.h"

#include "cancel.h"
#include "mem.h"
#include "strvec.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* "1 changed, 5 unchanged" or, simulated, "1 would change, 5 unchanged". */
static void rm_counts(const rm_job *j, strbuf *out)
{
    sb_addf(out, "%lu %s, %lu unchanged", j->sum.changed,
            j->o->simulate ? "would change" : "changed", j->sum.same);
}

/* What ssh's last words mean, for a host that never reached the script. */
static void rm_ssh_failure(const rm_job *j, strbuf *out)
{
    const char *m = j->sshmsg.buf;
    if (j->key_changed)
        sb_addf(out,
                "the host key has CHANGED (another machine, or it was reinstalled): check it, "
                "then remove the old one with: ssh-keygen -R %s",
                j->host.name);
    else if (j->key_unknown || strstr(m, "Host key verification failed"))
        sb_addf(out,
                "the host key is unknown: check it, then add it with: ssh-keyscan%s%s %s >> "
                "~/.ssh/known_hosts",
                j->host.port ? " -p " : "", j->host.port ? j->host.port : "", j->host.name);
    else if (strstr(m, "Permission denied"))
        sb_addf(out, "authentication refused (%s)", m);
    else if (strstr(m, "Could not resolve") || strstr(m, "connect to host") ||
             strstr(m, "Connection refused") || strstr(m, "timed out") ||
             strstr(m, "No route to host"))
        sb_addf(out, "unreachable: %s", m);
    else if (j->sshmsg.len)
        sb_addf(out, "ssh failed: %s", m);
    else
        sb_addf(out, "ssh failed (exit %d)", j->ssh_status);
}

int rm_report(const rm_job *j)
{
    strbuf line = STRBUF_INIT;
    int failed = 1;
    if (j->have_sum && !j->sum.failed.len) {
        rm_counts(j, &line);
        sb_addf(&line, ", %.1f s", j->seconds);
        failed = 0;
    } else if (j->have_sum) {
        sb_addf(&line, "failed at %s: %s (", j->sum.failed.buf, j->sum.why.buf);
        rm_counts(j, &line);
        sb_adds(&line, " before it)");
    } else if (j->error.len) {
        sb_addbuf(&line, &j->error);
    } else if (!j->connected) {
        rm_ssh_failure(j, &line);
    } else {
        /* The link dropped mid-apply: what was applied stays (every file is
         * renamed into place whole) and pending watches are on the host. */
        sb_addf(&line, "the connection was lost during the apply (%s): run again to finish",
                j->sshmsg.len ? j->sshmsg.buf : "no summary from fuse-apply");
    }
    rm_say(j, line.buf, line.len);
    sb_release(&line);
    return failed;
}

/* The worker of host i: never returns. */
static void rm_worker(const rm_opts *o, const rm_payload *p, size_t i, int outfd)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_DFL);
    rm_job j = {.o = o, .word = o->hosts->items[i]->str, .outfd = outfd};
    j.entries = p->es, j.nentries = p->n;
    sb_init(&j.buf), sb_init(&j.sshmsg), sb_init(&j.error);
    sb_init(&j.sum.failed), sb_init(&j.sum.why);
    strbuf err = STRBUF_INIT;
    if (rm_host_parse(j.word, &j.host, &err) < 0) {
        rm_say(&j, err.buf, err.len);
        _exit(1);
    }
    _exit(rm_ship(&j));
}

/* Waits for one worker; counts it and names it when it failed. An
 * interrupt or --timeout (no SA_RESTART: waitpid returns) ends the running
 * workers, whose ssh dies with them (PR_SET_PDEATHSIG, rm_ship.c). */
static void rm_reap(const rm_opts *o, pid_t *pids, size_t n, size_t *running, strvec *failed,
                    FILE *out)
{
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
        if (errno == ECHILD)
            *running = 0;
        for (size_t i = 0; errno == EINTR && cancel_pending() != CANCEL_NONE && i < n; i++)
            if (pids[i] > 0)
                kill(pids[i], SIGTERM);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (pids[i] != pid)
            continue;
        pids[i] = 0;
        (*running)--;
        if (WIFSIGNALED(status)) {
            fprintf(out,
                    "%s: stopped before the end (interrupted or timed out): run again to "
                    "finish\n",
                    o->hosts->items[i]->str);
            fflush(out);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            strvec_push(failed, o->hosts->items[i]->str);
    }
}

int rm_apply(const rm_opts *o, const bundle *b, FILE *out, strbuf *err)
{
    rm_payload p = {NULL, 0, 0, STRBUF_INIT, STRVEC_INIT};
    if (rm_payload_make(b, &p, 0, err) < 0) {
        rm_payload_free(&p);
        return 2;
    }
    /* A missing source, or no libarchive, fails here once, not per host. */
    ctx *check = ctx_new(p.es, p.n, err);
    if (!check) {
        rm_payload_free(&p);
        return 1;
    }
    ctx_free(check);
    rm_payload_sha(); /* once, not in every worker */
    fflush(out);
    size_t n = o->hosts->n, next = 0, running = 0;
    pid_t *pids = xcalloc(n, sizeof *pids);
    strvec failed = STRVEC_INIT;
    while ((next < n || running > 0)) {
        if (next < n && running < o->jobs && cancel_pending() == CANCEL_NONE) {
            pid_t pid = fork();
            if (pid == 0)
                rm_worker(o, &p, next, fileno(out));
            if (pid < 0) {
                sb_addf(err, "blueprint: cannot start a worker: %s", strerror(errno));
                break;
            }
            pids[next++] = pid, running++;
            continue;
        }
        if (running == 0)
            break;
        rm_reap(o, pids, n, &running, &failed, out);
    }
    while (running > 0)
        rm_reap(o, pids, n, &running, &failed, out);
    int rc = 0;
    if (cancel_pending() != CANCEL_NONE) {
        rc = cancel_exit_status(1, err);
    } else if (failed.nr || next < n) {
        sb_addf(err, "blueprint: %zu of %zu host%s failed:", failed.nr, n, n == 1 ? "" : "s");
        for (size_t i = 0; i < failed.nr; i++)
            sb_addf(err, "%s %s", i ? "," : "", failed.v[i]);
        rc = 1;
    }
    strvec_clear(&failed);
    free(pids);
    rm_payload_free(&p);
    return rc;
}

int rm_dry_run(const rm_opts *o, const bundle *b, FILE *out, strbuf *err)
{
    fprintf(out, "# fuse -n: would apply to");
    for (size_t i = 0; i < o->hosts->n; i++)
        fprintf(out, "%s %s", i ? "," : "", o->hosts->items[i]->str);
    if (o->user)
        fprintf(out, " as %s", o->user);
    fprintf(out, "%s%s, %u at once\n", o->sudo ? " with sudo" : "",
            o->simulate ? " (simulated)" : "", o->jobs);
    rm_payload p = {NULL, 0, 0, STRBUF_INIT, STRVEC_INIT};
    int rc = rm_payload_make(b, &p, BUNDLE_PRETTY | BUNDLE_REDACT, err);
    if (rc == 0)
        fprintf(out, "%s\n", p.json.buf);
    rm_payload_free(&p);
    return rc == 0 ? 0 : 2;
}

/* main.c -- the fuse command: parse the command line, load the task files,
 * list, display or run tasks (fuse(1)).
 *
 * Exit status: 0 success, 1 a task failed, 2 usage or task-file error,
 * 130 interrupted. Errors go to stderr as "fuse: <one line>", detail after. */
#include "cancel.h"
#include "cli.h"
#include "dkbuild.h"
#include "endpoint.h"
#include "lazy.h"
#include "strbuf.h"
#include "taskfile.h"
#include "term.h"

#include <lua.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_version.h>

#define FUSE_USAGE "usage: fuse [OPTIONS] TASK[:KEY=VALUE[,KEY=VALUE...]] [TASK[:...] ...]\n"

/* SIGINT must not kill fuse mid-transfer: the Docker client stops at its next
 * callback, the daemon cancels the build, and the old tag stays in place.
 * SA_RESETHAND lets a second ^C end fuse at once if something hangs. */
static void fuse_on_sigint(int sig)
{
    (void)sig;
    cancel_request(CANCEL_INTERRUPT);
}

/* --timeout: the Lua hook stops a runaway task file, sh() ends its command,
 * and a build in flight is cancelled exactly as by ^C; cancel_exit_status()
 * then words the error as a timeout, exit 1. */
static void fuse_on_alarm(int sig)
{
    (void)sig;
    cancel_request(CANCEL_TIMEOUT);
}

static void fuse_signals(unsigned timeout)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fuse_on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    if (timeout) {
        /* No SA_RESTART: a waitpid() in sh() must return to end the command. */
        sa.sa_handler = fuse_on_alarm;
        sa.sa_flags = 0;
        sigaction(SIGALRM, &sa, NULL);
        cancel_set_timeout(timeout);
        alarm(timeout);
    }
}

/* Prints err as "fuse: first line", then any detail lines as they are. */
static void fuse_error(const strbuf *err)
{
    const char *msg = err->len ? err->buf : "failed (no message)";
    const char *nl = strchr(msg, '\n');
    int first = nl ? (int)(nl - msg) : (int)strlen(msg);
    term_progress_end(); /* a progress line left open on stdout */
    fprintf(stderr, "%sfuse:%s %.*s\n", term_on(stderr, TERM_RED), term_off(stderr), first, msg);
    if (nl && nl[1])
        fprintf(stderr, "%s%s", nl + 1, msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

static void fuse_help(void)
{
    fputs(FUSE_USAGE
          "Build container images from Lua task files (fusefile.lua, tasks/*.lua).\n"
          "\n"
          "Options:\n"
          "  -l, --list            list the tasks with their descriptions\n"
          "      --shortlist       list task names only, one per line\n"
          "  -d, --display TASK    show a task: description, file, accepted arguments\n"
          "  -f, --fusefile PATH   load this task file instead of searching upwards\n"
          "  -n, --dry-run         print the Dockerfile and the bundle; touch nothing\n"
          "      --no-cache        build without Docker's layer cache\n"
          "      --plan            say which steps are cached and why the others\n"
          "                        would run; build nothing\n"
          "      --no-keep-failed  keep no fuse-failed/TASK:STEP image of a failed step\n"
          "      --pull            look for a newer base image before building\n"
          "      --push            push every tag of each task after its build\n"
          "      --timeout SECONDS stop task files and builds running longer\n"
          "      --iidfile FILE    write the built image's ID to FILE\n"
          "  -j, --jobs N          build up to N independent tasks at once,\n"
          "                        or apply a blueprint to N hosts at once\n"
          "      --engine ENGINE   with -j: build on this engine too (repeatable)\n"
          "      --prune-caches    empty the tasks' caches instead of building\n"
          "  -H, --host URL        the engine: unix://, tcp:// or ssh://[user@]host\n"
          "      --context NAME    the engine of this docker context\n"
          "  -v, --verbose         show the full build output\n"
          "  -q, --quiet           show errors only\n"
          "      --version         print the versions of fuse and its libraries\n"
          "                        (with -v, the engine fuse would talk to and\n"
          "                        the builder it would use)\n"
          "  -h, --help            print this help\n"
          "\n"
          "Task arguments: ',' separates, the first '=' splits key and value, ';'\n"
          "separates list items; \\, \\= \\; \\\\ escape. Example:\n"
          "  fuse app_server:tag=mytag,ports=8000;53/udp\n"
          "\n"
          "See fuse(1), fusefile(5), fuse-resources(7).\n",
          stdout);
}

/* --version -v: the builder a build would use now, which asks the engine. */
static void fuse_version_builder(void)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    dk_client *c = dk_open(&err);
    if (c && dkb_describe(c, &out, &err) == 0)
        printf("builder: %s\n", out.buf);
    else
        printf("builder: unknown: %s\n", err.buf);
    dk_close(c);
    sb_release(&out);
    sb_release(&err);
}

/* Loads libcurl and libarchive (lazy.h) to ask them their versions; one
 * that cannot be loaded is printed as missing, with the reason. */
static int fuse_version(int verbose, strbuf *err)
{
    strbuf cerr = STRBUF_INIT, aerr = STRBUF_INIT;
    const curl_version_info_data *cv =
        lz_curl_load(&cerr) == 0 ? lz_curl.version_info(CURLVERSION_NOW) : NULL;
    const char *av = lz_archive_load(&aerr) == 0 ? lz_archive.version_details() : NULL;
    int yv = yajl_version();
    printf("fuse %s\n", FUSE_VERSION);
    printf("%s, libcurl %s, yajl %d.%d.%d, %s\n", LUA_RELEASE, cv ? cv->version : "missing",
           yv / 10000, yv / 100 % 100, yv % 100, av ? av : "libarchive missing");
    if (cerr.len)
        fprintf(stderr, "fuse: %s\n", cerr.buf);
    if (aerr.len)
        fprintf(stderr, "fuse: %s\n", aerr.buf);
    sb_release(&cerr);
    sb_release(&aerr);
    if (!verbose)
        return 0;
    /* The engine is named from the settings alone; only the builder line
     * after it asks the engine (what it has decides the builder). */
    ep_endpoint e;
    int rc = ep_from_env(&e, err);
    if (rc == 0)
        printf("engine: %s (context %s)\n", e.host, e.context);
    ep_release(&e);
    if (rc == 0)
        fuse_version_builder();
    return rc == 0 ? 0 : FUSE_EXIT_FAILED;
}

/* -H and --context are settled before anything runs: one naming no engine
 * is a wrong command line (exit 2), found before a long build, as a task
 * name that does not exist. The environment's settings are read when a
 * build first needs the engine, and fail that task (exit 1) as a daemon
 * that is down would. */
static int fuse_engine_check(const cli_opts *o, strbuf *err)
{
    ep_set_cli(o->host, o->context);
    if (!o->host && !o->context)
        return 0;
    ep_endpoint e;
    int rc = ep_from_env(&e, err);
    ep_release(&e);
    return rc == 0 ? 0 : FUSE_EXIT_USAGE;
}

/* fabric's -l layout: names padded to one column, the description after. */
static void fuse_list(const tf_host *h)
{
    size_t n = tf_count(h), width = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tf_get(h, i)->name);
        width = len > width ? len : width;
    }
    printf("Available tasks:\n\n");
    for (size_t i = 0; i < n; i++) {
        const tf_info *t = tf_get(h, i);
        const char *d = t->description;
        if (d && *d) {
            /* Only the first line: the list must stay one line per task. */
            int dlen = (int)strcspn(d, "\n");
            printf("    %-*s    %.*s\n", (int)width, t->name, dlen, d);
        } else {
            printf("    %s\n", t->name);
        }
    }
}

static void fuse_shortlist(const tf_host *h)
{
    for (size_t i = 0, n = tf_count(h); i < n; i++)
        printf("%s\n", tf_get(h, i)->name);
}

/* Checks every task word (the name and its keys) before running the first
 * one, so a typo in the last word does not surface only after a long build. */
static int fuse_check_tasks(const tf_host *h, const cli_opts *o, strbuf *err)
{
    for (size_t i = 0; i < o->ntasks; i++)
        if (tf_check(h, &o->tasks[i], err) != 0)
            return FUSE_EXIT_USAGE;
    return 0;
}

static int fuse_run(tf_host *h, const cli_opts *o, strbuf *err)
{
    tf_flags f = {o->dry_run, o->verbose, o->quiet,          o->no_cache, o->pull,        o->push,
                  o->iidfile, o->plan,    o->no_keep_failed, o->jobs,     o->prune_caches};
    /* -n, --plan and blueprints go task after task, as without -j. */
    if (o->jobs && !o->dry_run && !o->plan && tf_jobs_applies(h, o))
        return tf_jobs_run(h, o, &f, stdout, err);
    int rc = fuse_check_tasks(h, o, err);
    for (size_t i = 0; rc == 0 && i < o->ntasks && cancel_pending() == CANCEL_NONE; i++) {
        rc = tf_run(h, &o->tasks[i], &f, stdout, err);
        fflush(stdout);
    }
    return rc;
}

static int fuse_main(const cli_opts *o, strbuf *err)
{
    if (o->help) {
        fuse_help();
        return 0;
    }
    int rc = fuse_engine_check(o, err);
    if (rc != 0)
        return rc;
    if (o->version)
        return fuse_version(o->verbose, err);
    tf_host *h = NULL;
    rc = tf_open(&h, o->fusefile, err);
    if (rc != 0)
        return rc;
    if (o->list)
        fuse_list(h);
    else if (o->shortlist)
        fuse_shortlist(h);
    else if (o->display)
        rc = tf_display(h, o->display, stdout, err);
    else
        rc = fuse_run(h, o, err);
    tf_close(h);
    return rc;
}

int main(int argc, char **argv)
{
    cli_opts o;
    strbuf err = STRBUF_INIT;
    int rc = cli_parse(argc, argv, &o, &err);
    if (rc != 0) {
        fuse_error(&err);
        fputs("try 'fuse --help'\n", stderr);
    } else {
        fuse_signals(o.timeout);
        rc = cancel_exit_status(fuse_main(&o, &err), &err);
        if (rc != 0)
            fuse_error(&err);
    }
    cli_opts_free(&o);
    sb_release(&err);
    return rc;
}

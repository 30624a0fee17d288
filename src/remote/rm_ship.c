/* rm_ship.c -- one host of a blueprint: the ssh process, the tar it carries,
 * the host's lines prefixed with its name, and its summary line.
 *
 * Why one ssh process and not ControlMaster: the host must first say
 * whether its cached fuse-apply is still good before we know what to send,
 * and a single session whose script prints that and then reads a tar from
 * stdin answers it in one connection, with nothing left running (a master
 * would outlive a killed fuse) and one process to wait for. */
#include "rm_int.h"

#include "context.h"
#include "mem.h"
#include "payload.h"
#include "rm_script.h"
#include "sha256.h"
#include "strvec.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The machine fuse-apply was built for, as the host's uname -m says it. */
#if defined(__x86_64__)
#define RM_ARCH "x86_64"
#elif defined(__aarch64__)
#define RM_ARCH "aarch64"
#elif defined(__i386__)
#define RM_ARCH "i686"
#elif defined(__arm__)
#define RM_ARCH "armv7l"
#else
#define RM_ARCH "unknown"
#endif

/* A line longer than this is cut: each line is one write(), which a pipe
 * keeps whole up to PIPE_BUF, so parallel hosts never interleave mid-line. */
#define RM_LINE_MAX 4000

static double rm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rm_say(const rm_job *j, const char *text, size_t len)
{
    strbuf line = STRBUF_INIT;
    if (len > RM_LINE_MAX)
        len = RM_LINE_MAX;
    sb_addf(&line, "%s: %.*s\n", j->word, (int)len, text);
    for (size_t off = 0; off < line.len;) {
        ssize_t n = write(j->outfd, line.buf + off, line.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    sb_release(&line);
}

/* The SHA-256 of the embedded fuse-apply in hex, which the host compares
 * with its cached copy's; computed once, before the workers fork. */
const char *rm_payload_sha(void)
{
    static strbuf hex = STRBUF_INIT;
    if (!hex.len)
        sha256_of(fuse_payload_start, payload_size(), &hex);
    return hex.buf;
}

/* The ssh command: $FUSE_SSH's words (a test's "ssh -F config"), or ssh. */
static void rm_ssh_argv(const rm_job *j, strvec *av)
{
    const char *env = getenv("FUSE_SSH");
    char *words = xstrdup(env && *env ? env : "ssh");
    for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t"))
        strvec_push(av, w);
    free(words);
    /* Host keys are never accepted silently, whatever the config says, and
     * nothing may wait for a password: the user is not there to type it.
     * ServerAlive notices a cut link instead of hanging forever. */
    static const char *const fixed[] = {"-T",
                                        "-o",
                                        "BatchMode=yes",
                                        "-o",
                                        "StrictHostKeyChecking=yes",
                                        "-o",
                                        "ConnectTimeout=20",
                                        "-o",
                                        "ServerAliveInterval=10",
                                        "-o",
                                        "ServerAliveCountMax=3",
                                        NULL};
    strvec_pushv(av, fixed);
    const char *user = j->host.user ? j->host.user : j->o->user;
    if (user) {
        strvec_push(av, "-l");
        strvec_push(av, user);
    }
    if (j->host.port) {
        strvec_push(av, "-p");
        strvec_push(av, j->host.port);
    }
    strvec_push(av, "--");
    strvec_push(av, j->host.name);
    strvec_pushf(av, "exec /bin/sh -c '%s' fuse-remote '%s' %s %d %d", RM_SCRIPT, FUSE_VERSION,
                 rm_payload_sha(), j->o->sudo, j->o->simulate);
}

/* Starts ssh with its stdin and merged stdout/stderr on pipes. */
static int rm_spawn(rm_job *j, strbuf *err)
{
    int in[2], out[2];
    if (pipe(in) < 0)
        goto fail;
    if (pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        goto fail;
    }
    strvec av = STRVEC_INIT;
    rm_ssh_argv(j, &av);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        signal(SIGPIPE, SIG_DFL);
        /* A worker ended by an interrupt or --timeout takes its ssh along. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execvp(av.v[0], av.v);
        fprintf(stderr, "FUSE-ERR cannot run %s: %s\n", av.v[0], strerror(errno));
        _exit(127);
    }
    strvec_clear(&av);
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        goto fail;
    }
    j->pid = pid;
    j->to = in[1];
    j->from = out[0];
    return 0;
fail:
    sb_addf(err, "cannot start ssh: %s", strerror(errno));
    return -1;
}

/* Reads the next line from the host into line (without its newline).
 * Returns 1, or 0 at the end. */
static int rm_getline(rm_job *j, strbuf *line)
{
    for (;;) {
        char *nl = memchr(j->buf.buf, '\n', j->buf.len);
        if (nl) {
            /* ssh ends its own messages with \r\n. */
            size_t len = (size_t)(nl - j->buf.buf);
            sb_reset(line);
            sb_add(line, j->buf.buf, len && nl[-1] == '\r' ? len - 1 : len);
            sb_consume(&j->buf, len + 1);
            return 1;
        }
        char tmp[4096];
        ssize_t n = read(j->from, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!j->buf.len)
                return 0;
            sb_reset(line);
            sb_addbuf(line, &j->buf);
            sb_reset(&j->buf);
            return 1;
        }
        sb_add(&j->buf, tmp, (size_t)n);
    }
}

static int rm_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* Sends "go" and the tar: fuse-apply when the host's copy is missing or
 * differs, then the bundle and its sources. A host that stopped reading
 * (tar failed, the link dropped) ends the sending; what it said is read
 * after. */
static void rm_send(rm_job *j, int need_payload)
{
    size_t n = j->nentries + 1;
    ctx_entry *es = xcalloc(n, sizeof *es);
    memcpy(es + 1, j->entries, j->nentries * sizeof *es);
    es[0] = (ctx_entry){
        .name = "fuse-apply", .data = fuse_payload_start, .len = payload_size(), .mode = 0700};
    strbuf err = STRBUF_INIT;
    ctx *c = need_payload ? ctx_new(es, n, &err) : ctx_new(es + 1, n - 1, &err);
    free(es);
    if (!c || rm_write_all(j->to, "go\n", 3) < 0) {
        if (!c)
            sb_addf(&j->error, "%s", err.buf);
        sb_release(&err);
        ctx_free(c);
        return;
    }
    char buf[65536];
    size_t got;
    while ((got = ctx_read(c, buf, sizeof buf)) > 0 && got != (size_t)-1)
        if (rm_write_all(j->to, buf, got) < 0)
            break;
    if (got == (size_t)-1)
        sb_addf(&j->error, "%s", ctx_error(c));
    ctx_free(c);
    sb_release(&err);
}

/* Waits for the host's FUSE-HELLO. Lines before it are ssh's own (or a
 * banner): kept for the failure line, shown with -v. Returns 1 when the
 * hello came and the tar should go, else 0 (j->error set or ssh failed). */
static int rm_handshake(rm_job *j, int *need_payload)
{
    strbuf line = STRBUF_INIT;
    int ok = 0;
    while (rm_getline(j, &line)) {
        char arch[64], have[80];
        if (sscanf(line.buf, "FUSE-HELLO %63s %79s", arch, have) == 2) {
            if (strcmp(arch, RM_ARCH) != 0) {
                sb_addf(&j->error,
                        "the host is %s (uname -m) and this fuse-apply runs on %s only: apply "
                        "from an %s machine",
                        arch, RM_ARCH, arch);
                break;
            }
            *need_payload = strcmp(have, rm_payload_sha()) != 0;
            ok = 1;
            break;
        }
        if (strncmp(line.buf, "FUSE-ERR ", 9) == 0) {
            sb_adds(&j->error, line.buf + 9);
            break;
        }
        if (j->o->verbose)
            rm_say(j, line.buf, line.len);
        sb_reset(&j->sshmsg);
        sb_addbuf(&j->sshmsg, &line);
        if (strstr(line.buf, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
            j->key_changed = 1;
        if (strstr(line.buf, "host key is known") || strstr(line.buf, "No matching host key"))
            j->key_unknown = 1;
    }
    sb_release(&line);
    return ok;
}

/* Streams the host's lines while fuse-apply runs; keeps its summary. */
static void rm_stream(rm_job *j)
{
    strbuf line = STRBUF_INIT;
    while (rm_getline(j, &line)) {
        if (rm_summary_parse(line.buf, line.len, &j->sum)) {
            j->have_sum = 1;
            continue;
        }
        if (strncmp(line.buf, "FUSE-ERR ", 9) == 0) {
            sb_reset(&j->error);
            sb_adds(&j->error, line.buf + 9);
            continue;
        }
        sb_reset(&j->sshmsg);
        sb_addbuf(&j->sshmsg, &line);
        if (!j->o->quiet)
            rm_say(j, line.buf, line.len);
    }
    sb_release(&line);
}

int rm_ship(rm_job *j)
{
    double t0 = rm_now();
    strbuf err = STRBUF_INIT;
    if (rm_spawn(j, &err) < 0) {
        rm_say(j, err.buf, err.len);
        sb_release(&err);
        return 1;
    }
    int need_payload = 0;
    j->connected = rm_handshake(j, &need_payload);
    if (j->connected)
        rm_send(j, need_payload);
    else if (j->error.len)
        rm_write_all(j->to, "stop\n", 5);
    close(j->to);
    if (j->connected)
        rm_stream(j);
    close(j->from);
    int status;
    while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
        ;
    j->ssh_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    j->seconds = rm_now() - t0;
    sb_release(&err);
    return rm_report(j);
}

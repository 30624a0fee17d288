/* sh.c -- sh(cmd): a shell command run from a task file. */
#include "host.h"

#include "cancel.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The command runs in a process group of its own, so that a timeout or ^C
 * can end everything it started (a plain kill of the shell leaves its
 * children running, parented to init). On a terminal the group is made the
 * foreground one while it runs, so it still reads the terminal and ^C
 * reaches it. */
static int sh_foreground(void)
{
    return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* tcsetpgrp from a background group raises SIGTTOU: ignored around the call. */
static void sh_give_terminal(pid_t pgrp)
{
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGTTOU, &ign, &old);
    (void)tcsetpgrp(STDIN_FILENO, pgrp);
    sigaction(SIGTTOU, &old, NULL);
}

static pid_t sh_spawn(const char *cmd, int fg)
{
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0) {
            /* Both sides set the group, so neither order of running races. */
            setpgid(pid, pid);
            if (fg)
                sh_give_terminal(pid);
        }
        return pid;
    }
    setpgid(0, 0);
    if (fg)
        sh_give_terminal(getpid());
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

/* Waits for the shell; when a cancel arrives meanwhile, passes it on to the
 * whole group (SIGINT for ^C, SIGTERM for --timeout) and, should the shell
 * outlive that by two seconds, SIGKILL. Whatever the group still holds once
 * the shell is gone is killed too. Returns 0 with *ws set, or -1. */
static int sh_wait(pid_t pid, int *ws)
{
    int sent = 0, waited = 0;
    for (;;) {
        pid_t r = waitpid(pid, ws, sent ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        cancel_reason why = cancel_pending();
        if (!sent && why != CANCEL_NONE) {
            kill(-pid, why == CANCEL_INTERRUPT ? SIGINT : SIGTERM);
            sent = 1;
        } else if (sent) {
            const struct timespec tick = {0, 50 * 1000 * 1000};
            if (++waited == 40)
                kill(-pid, SIGKILL);
            nanosleep(&tick, NULL);
        }
    }
    kill(-pid, SIGKILL);
    return 0;
}

/* sh(cmd): runs /bin/sh -c cmd with the terminal's stdin/stdout/stderr.
 * Returns true; raises "sh: command exited with status 3: false". With -n
 * it only prints the command. */
static int tf_sh(lua_State *L)
{
    tf_host *h = tf_of(L);
    const char *cmd = luaL_checkstring(L, 1);
    if (h->flags && h->flags->dry_run) {
        h->dry_sh++;
        fprintf(h->out ? h->out : stdout, "sh: %s\n", cmd);
        lua_pushboolean(L, 1);
        return 1;
    }
    fflush(NULL);
    int fg = sh_foreground();
    pid_t pid = sh_spawn(cmd, fg);
    if (pid < 0)
        return luaL_error(L, "sh: cannot fork: %s", strerror(errno));
    int ws;
    int rc = sh_wait(pid, &ws);
    if (fg)
        sh_give_terminal(getpgrp());
    if (rc < 0)
        return luaL_error(L, "sh: waitpid: %s", strerror(errno));
    if (cancel_pending() == CANCEL_TIMEOUT)
        return tf_timeout_error(L);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    /* ^C reached the command (the terminal's foreground group): the run was
     * interrupted, not failed. */
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGINT)
        cancel_request(CANCEL_INTERRUPT);
    strbuf msg = STRBUF_INIT;
    if (tf_where(L, 1, &msg))
        sb_adds(&msg, ": ");
    if (WIFEXITED(ws))
        sb_addf(&msg, "sh: command exited with status %d: ", WEXITSTATUS(ws));
    else
        sb_addf(&msg, "sh: command killed by signal %d: ", WTERMSIG(ws));
    /* The command may span lines; the message's first line must stay one. */
    size_t len = strcspn(cmd, "\n");
    sb_add(&msg, cmd, len > 200 ? 200 : len);
    if (cmd[len] || len > 200)
        sb_adds(&msg, " ...");
    lua_pushlstring(L, msg.buf, msg.len);
    sb_release(&msg);
    return lua_error(L);
}

void tf_sh_open(lua_State *L)
{
    lua_pushcfunction(L, tf_sh);
    lua_setfield(L, -2, "sh");
}

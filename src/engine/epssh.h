/* epssh.h -- ssh:// engines: the OpenSSH client runs `docker system
 * dial-stdio` on the remote host, and HTTP goes over that pipe.
 *
 * As the docker CLI does it: ssh [-l USER] [-p PORT] -o ConnectTimeout=30
 * -T -- HOST docker [--host=unix://PATH] system dial-stdio, in a session
 * of its own (no terminal: a ProxyCommand works, ^C reaches fuse alone).
 * Nothing else is passed: ~/.ssh/config, the agent and known_hosts decide.
 *
 * The HTTP client connects to a unix socket this module listens on, in a
 * directory of a random name made for that moment (mode 0700, removed as
 * soon as the connection is accepted); the connection it accepts (from
 * fuse's own pid only) becomes ssh's stdin and stdout, so no byte is
 * relayed by fuse. Handing libcurl an already-connected socketpair would
 * be simpler, but libcurl 7.88 (Debian 12's) still calls connect() on
 * such a socket and fails; and it never reuses a connection to an
 * abstract socket, whose name it reads as an empty address. ssh's stderr
 * goes to an unlinked temp file, read only when the connection failed. */
#ifndef FUSE_EPSSH_H
#define FUSE_EPSSH_H

#include "strbuf.h"
#include "strvec.h"

#include <sys/types.h>

typedef struct ep_ssh {
    strvec argv;    /* "ssh", its options, HOST and the remote command */
    char path[108]; /* the socket the client connects to: DIR/s */
    int listener;   /* listening on name while a connection is being made, or -1 */
    pid_t pid;      /* the running ssh, or -1 */
    int errfd;      /* the last ssh's stderr, or -1 */
    int status;     /* the last ssh's exit status (128+N for signal N), -1 while running */
} ep_ssh;

/* Parses ssh://[USER@]HOST[:PORT][/SOCKET]; what names the setting in
 * messages ("DOCKER_HOST=ssh://x"). Returns a new ep_ssh, or NULL with one
 * line in err. */
ep_ssh *ep_ssh_new(const char *url, const char *what, strbuf *err);
void ep_ssh_free(ep_ssh *s);

/* Before the client connects to path: listens there, and returns a new
 * socket for the client to connect with, or -1 with err set. */
int ep_ssh_listen(ep_ssh *s, strbuf *err);
/* After the client connected (or reused a connection): accepts the
 * connection waiting on the listener, if any, and starts ssh on it.
 * Returns 0, or -1 with err set. */
int ep_ssh_start(ep_ssh *s, strbuf *err);
/* Closes the client's socket and ends ssh: one that hung up already is
 * waited for (its status tells why); one that did not is sent SIGTERM,
 * then SIGKILL, as the docker CLI ends it. */
void ep_ssh_disconnect(ep_ssh *s, int fd);

/* After a failed request: 1 when ssh ended with an error, and err holds why
 * in one line naming host (the URL), ssh's own words after it; else 0. */
int ep_ssh_failed(ep_ssh *s, const char *host, strbuf *err);

#endif

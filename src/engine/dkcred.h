/* dkcred.h -- the credential of a registry, found as the docker CLI finds it.
 *
 * Order for one registry: credHelpers[registry], else credsStore, else
 * config.json's auths. A helper is the program docker-credential-NAME on
 * PATH, spoken to as the docker CLI does: "get" with the registry on stdin
 * answers {"ServerURL","Username","Secret"} (Username "<token>" means
 * Secret is an identity token); "list" answers {URL: username, ...}. A
 * helper that is missing, fails or answers garbage is one line naming it;
 * "credentials not found" is no credential, not an error. */
#ifndef FUSE_DKCRED_H
#define FUSE_DKCRED_H

#include "dkauth.h"
#include "strbuf.h"

#include <spawn.h>
#include <stddef.h>

/* Fills out for registry (normalised, dka_normalize). Returns 0 (out has
 * no secret when nothing is filed), or -1 with one line in err. */
int dkc_lookup(const dka_config *cfg, const char *registry, dka_cred *out, strbuf *err);

/* Every credential fuse can find (auths, the credsStore's list, each of
 * credHelpers), one per registry. Returns 0 with a new array, or -1. */
int dkc_all(const dka_config *cfg, dka_cred **out, size_t *n, strbuf *err);
void dkc_free_all(dka_cred *creds, size_t n);

/* Runs docker-credential-NAME VERB with input on stdin; its stdout goes to
 * out. Returns the exit status (0..255), or -1 with err set when it could
 * not run. Exposed for tests. */
int dkc_run(const char *name, const char *verb, const char *input, strbuf *out, strbuf *err);

/* The program's path on PATH (the default PATH when unset) into path; -1
 * when none is executable. Found here rather than by posix_spawnp: not
 * every implementation tells a missing program from one that exits 127. */
int dkc_find(const char *prog, strbuf *path);

/* Starts prog with argv, fds[0..2] as its stdin, stdout and stderr, no
 * signal blocked and SIGPIPE at its default whatever the calling thread
 * has (a DockerBuilder's build thread blocks every signal), and the
 * posix_spawn flags (POSIX_SPAWN_SETSID). Returns its pid, or -1 with the
 * error number in *spawn_errno. For credential helpers and ssh alike. */
pid_t dkc_spawn(const char *prog, char *const *argv, const int fds[3], short flags,
                int *spawn_errno);

#endif

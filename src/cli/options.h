/* options.h -- the options of docker_container and task (fusefile(5)).
 *
 * One table says which keys exist, their Lua types, and how a CLI string
 * converts to each (env=A=1;B=2, ports=8000;53/udp, cmd=shell words,
 * no_cache=yes...). The Lua host validates the declared options with it and
 * merges CLI overrides with it. */
#ifndef FUSE_OPTIONS_H
#define FUSE_OPTIONS_H

#include "cli.h"
#include "fv.h"
#include "strbuf.h"

/* The base image of a docker_container task that sets no from_image. */
#define OPT_DEFAULT_IMAGE "debian:bookworm"

/* The kinds of task, each with its own options: task { } (fn),
 * docker_container { } (fn) and blueprint { } (fn). */
typedef enum { OPT_TASK = 0, OPT_CONTAINER = 1, OPT_BLUEPRINT = 2 } opt_kind;

/* "task", "docker_container", "blueprint". */
const char *opt_kind_name(opt_kind kind);

/* Validates the options table given to docker_container, blueprint
 * or task: known keys, right types. On error returns -1 with one line in
 * err such as "docker_container: ports must be a list of numbers or strings like \"53/udp\"". */
int opt_check_decl(const fv *decl, opt_kind kind, strbuf *err);

/* The effective args of a task run: the declared options (with defaults,
 * from_image = "debian:bookworm") and params' defaults, overridden by the CLI
 * key/value pairs, each converted to its option's type (params stay strings).
 * A key that is neither an option nor a declared param fails with
 *   "the following parameters were not understood: nosuch (accepted: cmd, env, ...)"
 * Returns the new FV_MAP, or NULL with err set. */
fv *opt_merge(const fv *decl, opt_kind kind, const cli_kv *kv, size_t n, strbuf *err);

/* Checks one entry of ports: a number 1-65535, or a string "8000", "53/udp"
 * (tcp, udp, sctp). Returns 0, or -1 with the reason appended to why. The one
 * definition of port syntax: the Dockerfile generator uses it too. */
int opt_port_check(const fv *p, strbuf *why);

/* Appends the accepted keys, sorted, joined with ", ". */
void opt_accepted(const fv *decl, opt_kind kind, strbuf *out);

/* Whether key may be given to a run of the task: a CLI option of its kind
 * or one of its declared params. */
int opt_accepts(const fv *decl, opt_kind kind, const char *key);

/* Appends the one message for keys that are not accepted; bad lists them,
 * joined with ", ". */
void opt_not_understood(const fv *decl, opt_kind kind, const char *bad, strbuf *err);

#endif

/* fuzz_context.c -- a docker context's meta.json (epcontext.c) and the
 * engine URL it holds (endpoint.c, epssh.c).
 *
 * The input is meta.json's text. Invariants: a failure is one line naming
 * the file and a success leaves err empty; parsing is deterministic; a
 * Host holds no control character; a Host with a scheme is either refused
 * in one line naming it, or accepted with a base URL, and when it is
 * ssh:// the ssh command has exactly one "--", after which the host is
 * not an option and the remote command is docker's dial-stdio. */
#include "endpoint.h"
#include "epcontext.h"
#include "epssh.h"
#include "fuzz.h"

#include <string.h>

#define FZ_PATH "/fz/meta.json"

static void fz_check_ssh(const ep_ssh *s)
{
    size_t dashes = 0, at = 0;
    for (size_t i = 0; i < s->argv.nr; i++)
        if (strcmp(s->argv.v[i], "--") == 0)
            dashes++, at = i;
    FZ_ASSERT(dashes == 1, "%zu \"--\" in the ssh command", dashes);
    FZ_ASSERT(at + 1 < s->argv.nr && s->argv.v[at + 1][0] && s->argv.v[at + 1][0] != '-',
              "host after \"--\"");
    FZ_ASSERT(strcmp(s->argv.v[at + 2], "docker") == 0, "remote command is not docker");
    FZ_ASSERT(strcmp(s->argv.v[s->argv.nr - 1], "dial-stdio") == 0, "not dial-stdio");
}

static void fz_check_host(const char *host)
{
    for (const char *p = host; *p; p++)
        FZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f, "control character in Host");
    if (!strstr(host, "://"))
        return;
    ep_endpoint e;
    strbuf err = STRBUF_INIT;
    int rc = ep_resolve(&e, host, "engine", &err);
    strbuf what = STRBUF_INIT;
    sb_addf(&what, "engine %s", host);
    fz_check_result(rc, err.buf, what.buf);
    sb_release(&what);
    if (rc == 0) {
        FZ_ASSERT(e.base && strncmp(e.base, "http", 4) == 0, "no base URL");
        FZ_ASSERT(e.host && strcmp(e.host, host) == 0, "host not kept");
        if (e.ssh)
            fz_check_ssh(e.ssh);
    }
    ep_release(&e);
    sb_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ep_ctxmeta a, b;
    strbuf ea = STRBUF_INIT, eb = STRBUF_INIT;
    int ra = ep_meta_parse((const char *)data, size, FZ_PATH, &a, &ea);
    int rb = ep_meta_parse((const char *)data, size, FZ_PATH, &b, &eb);
    FZ_ASSERT(ra == rb && strcmp(ea.buf, eb.buf) == 0, "two parses differ");
    fz_check_result(ra, ea.buf, FZ_PATH);
    if (ra == 0) {
        FZ_ASSERT(a.host && strcmp(a.host, b.host) == 0 && a.skip_verify == b.skip_verify,
                  "two parses differ");
        fz_check_host(a.host);
    }
    ep_ctxmeta_release(&a);
    ep_ctxmeta_release(&b);
    sb_release(&ea);
    sb_release(&eb);
    return 0;
}

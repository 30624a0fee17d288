/* fuzz_rmhost.c -- the host words of a blueprint and fuse-apply's summary
 * line (src/remote/rm_host.c).
 *
 * Whatever the bytes: a host word that parses has a non-empty host name
 * that does not start with '-' and holds no space (ssh would read it as an
 * option or two words), a user likewise, and a port of digits only; a
 * refusal is one line naming the word. A summary line that parses keeps
 * its counts as given, and a line without the tag never parses. */
#include "fuzz.h"
#include "rm.h"

#include <string.h>

static void fz_host(const char *word)
{
    rm_host h;
    strbuf err = STRBUF_INIT;
    if (rm_host_parse(word, &h, &err) == 0) {
        FZ_ASSERT(h.name && *h.name && h.name[0] != '-', "host \"%s\"", h.name ? h.name : "");
        FZ_ASSERT(!strpbrk(h.name, " \t\n"), "host \"%s\" has a space", h.name);
        FZ_ASSERT(!h.user || (*h.user && h.user[0] != '-'), "user \"%s\"", h.user);
        FZ_ASSERT(!h.port || strspn(h.port, "0123456789") == strlen(h.port), "port \"%s\"", h.port);
        rm_host_free(&h);
    } else {
        FZ_ASSERT(err.len > 0 && !strchr(err.buf, '\n') == !strchr(word, '\n'), "message: %s",
                  err.buf);
        FZ_ASSERT(h.name == NULL, "a refused word left a name");
    }
    sb_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *word = malloc(size + 1);
    if (!word)
        return 0;
    memcpy(word, data, size);
    word[size] = '\0';
    fz_host(word);
    free(word);
    rm_summary s = {0, 0, 0, STRBUF_INIT, STRBUF_INIT};
    int rc = rm_summary_parse((const char *)data, size, &s);
    FZ_ASSERT(rc == 0 || rc == 1, "rc %d", rc);
    if (size < 19 || memcmp(data, "fuse-apply-summary ", 19) != 0)
        FZ_ASSERT(rc == 0, "a line without the tag parsed");
    if (rc == 1 && !s.failed.len)
        FZ_ASSERT(s.why.len == 0, "a reason without a failure");
    sb_release(&s.failed);
    sb_release(&s.why);
    return 0;
}

/* fuzz_ignore.c -- the exclude pattern matcher (ignore.c).
 *
 * Input: ignore-file text, a NUL, then paths one a line. Invariants: a
 * rejected text says why; a path's verdict does not depend on the call; a
 * directory excluded without any "!" pattern excludes everything below it;
 * a pattern that matches, added again after "!", re-includes the path.
 * Time stays bounded (run.sh's -timeout), whatever the stars. */
#include "fuzz.h"
#include "ignore.h"

#include <string.h>

static void fz_check_path(const ign_list *l, const char *path, int is_dir)
{
    int ex = ign_match(l, path, is_dir);
    FZ_ASSERT(ign_match(l, path, is_dir) == ex, "verdict changed for %s", path);
    if (ex && is_dir && !ign_has_negation(l)) {
        strbuf child = STRBUF_INIT;
        sb_addf(&child, "%s/child", path);
        FZ_ASSERT(ign_match(l, child.buf, 0), "%s excluded but not %s", path, child.buf);
        sb_release(&child);
    }
}

/* The last line of text as a pattern: with "!" in front, added last, it
 * must re-include every path it matches on its own. */
static void fz_check_negation(const char *pattern, const char *path, int is_dir)
{
    if (*pattern == '!' || *pattern == '#')
        return;
    ign_list *one = ign_new();
    strbuf err = STRBUF_INIT, neg = STRBUF_INIT;
    if (ign_add(one, pattern, &err) == 0 && ign_match(one, path, is_dir)) {
        sb_addf(&neg, "!%s", pattern);
        FZ_ASSERT(ign_add(one, neg.buf, &err) == 0, "!%s rejected: %s", pattern, err.buf);
        FZ_ASSERT(!ign_match(one, path, is_dir), "!%s does not re-include %s", pattern, path);
    }
    sb_release(&err);
    sb_release(&neg);
    ign_free(one);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t tlen = nul ? (size_t)(nul - text) : size;
    ign_list *l = ign_new();
    strbuf err = STRBUF_INIT;
    if (ign_add_text(l, text, tlen, "f", &err) < 0)
        FZ_ASSERT(err.len > 0 && !strchr(err.buf, '\n'), "rejected with \"%s\"", err.buf);
    else
        FZ_ASSERT(err.len == 0, "accepted with a message: %s", err.buf);
    strbuf last = STRBUF_INIT;
    const char *nl = tlen ? memchr(text, '\n', tlen) : NULL;
    sb_add(&last, text, nl ? (size_t)(nl - text) : tlen);
    if (nul) {
        const char *p = nul + 1, *end = text + size;
        strbuf path = STRBUF_INIT;
        while (p < end) {
            const char *e = memchr(p, '\n', (size_t)(end - p));
            size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
            sb_reset(&path);
            sb_add(&path, p, n);
            if (!memchr(path.buf, '\0', path.len)) {
                fz_check_path(l, path.buf, 0);
                fz_check_path(l, path.buf, 1);
                if (!memchr(last.buf, '\0', last.len))
                    fz_check_negation(last.buf, path.buf, path.len & 1);
            }
            p += n + 1;
        }
        sb_release(&path);
    }
    sb_release(&last);
    sb_release(&err);
    ign_free(l);
    return 0;
}

/* fuzz_template.c -- the {{ name }} parser of template(path, vars).
 *
 * Whatever the bytes, tpl_render either renders or fails with one message
 * line and a line number inside the input; a text without "{{" renders to itself; a
 * rendering of a text without the "{{{{" escape holds no "{{" (every
 * placeholder was replaced, and values here hold no brace); and escaping
 * any text with tpl_escape gives a template that renders back to it. */
#include "fuzz.h"
#include "template.h"

#include <string.h>

/* Names starting with m are missing, with x cannot be written; the rest
 * render as <name>. */
static int fz_lookup(const char *name, size_t len, strbuf *out, strbuf *why, void *ud)
{
    (void)ud;
    if (name[0] == 'm')
        return 1;
    if (name[0] == 'x') {
        sb_adds(why, "cannot be written");
        return -1;
    }
    sb_addc(out, '<');
    sb_add(out, name, len);
    sb_addc(out, '>');
    return 0;
}

static int fz_has(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

static void fz_round_trip(const uint8_t *data, size_t size)
{
    strbuf esc = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    size_t line = 0;
    tpl_escape((const char *)data, size, &esc);
    int rc = tpl_render(esc.buf, esc.len, fz_lookup, NULL, &out, &line, &err);
    FZ_ASSERT(rc == 0, "escaped text failed: %s", err.buf);
    FZ_ASSERT(out.len == size && memcmp(out.buf, data, size) == 0, "escaped text changed");
    sb_release(&esc);
    sb_release(&out);
    sb_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    size_t line = 0, lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    int rc = tpl_render((const char *)data, size, fz_lookup, NULL, &out, &line, &err);
    FZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc != 0) {
        /* One line: a placeholder never spans lines, so neither does its quote. */
        FZ_ASSERT(err.len > 0 && !memchr(err.buf, '\n', err.len), "message: %s", err.buf);
        FZ_ASSERT(line >= 1 && line <= lines, "line %zu of %zu", line, lines);
    }
    if (!fz_has(data, size, "{{")) {
        FZ_ASSERT(rc == 0, "plain text failed: %s", err.buf);
        FZ_ASSERT(out.len == size && memcmp(out.buf, data, size) == 0, "plain text changed");
    }
    if (rc == 0 && !fz_has(data, size, "{{{{"))
        FZ_ASSERT(!fz_has((const uint8_t *)out.buf, out.len, "{{"), "a {{ left in the output");
    sb_release(&out);
    sb_release(&err);
    fz_round_trip(data, size);
    return 0;
}

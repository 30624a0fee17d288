/* fuzz_bundle.c -- fuse-apply's bundle reader (bundle_load).
 *
 * Any bytes either fail with a message or load into resources whose JSON
 * (bundle_dump, compact and pretty) loads again into equal resources and
 * dumps to the very same bytes: what fuse writes, fuse-apply reads back
 * unchanged. */
#include "bundle.h"
#include "fuzz.h"

#include <string.h>

static void fz_check_equal(const bundle *a, const bundle *b, const char *how)
{
    FZ_ASSERT(a->n == b->n, "%s: %zu resources became %zu", how, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        FZ_ASSERT(a->items[i].type == b->items[i].type, "%s: resource %zu changed type", how,
                  i + 1);
        FZ_ASSERT(fv_equal(a->items[i].fields, b->items[i].fields),
                  "%s: resource %zu changed fields", how, i + 1);
    }
}

/* Dumps b with flags, loads it back, compares; returns the dump in out. */
static void fz_round_trip(const bundle *b, unsigned flags, strbuf *out)
{
    FZ_ASSERT(bundle_dump(b, out, flags) == 0, "bundle_dump failed (flags %u)", flags);
    bundle again;
    bundle_init(&again);
    strbuf err = STRBUF_INIT;
    FZ_ASSERT(bundle_load(&again, out->buf, out->len, &err) == 0, "reload: %s\n%s", err.buf,
              out->buf);
    fz_check_equal(b, &again, flags ? "pretty" : "compact");
    strbuf second = STRBUF_INIT;
    FZ_ASSERT(bundle_dump(&again, &second, flags) == 0, "second dump failed");
    FZ_ASSERT(second.len == out->len && memcmp(second.buf, out->buf, out->len) == 0,
              "dump not stable:\n%s\n%s", out->buf, second.buf);
    sb_release(&second);
    sb_release(&err);
    bundle_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bundle b;
    bundle_init(&b);
    strbuf err = STRBUF_INIT;
    if (bundle_load(&b, (const char *)data, size, &err) < 0) {
        FZ_ASSERT(err.len > 0, "bundle_load failed without a message");
    } else {
        FZ_ASSERT(err.len == 0, "bundle_load succeeded with a message: %s", err.buf);
        for (size_t i = 0; i < b.n; i++)
            FZ_ASSERT(b.items[i].type && b.items[i].fields && b.items[i].fields->kind == FV_MAP,
                      "resource %zu malformed", i + 1);
        strbuf compact = STRBUF_INIT, pretty = STRBUF_INIT;
        fz_round_trip(&b, 0, &compact);
        fz_round_trip(&b, BUNDLE_PRETTY, &pretty);
        sb_release(&compact);
        sb_release(&pretty);
    }
    sb_release(&err);
    bundle_free(&b);
    return 0;
}

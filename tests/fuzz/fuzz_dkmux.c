/* fuzz_dkmux.c -- the engine's multiplexed output stream (dkmux.c).
 *
 * Input: a split point (two bytes), then the stream. Invariants: fed whole
 * or in two pieces, the stream gives the same verdict and the same bytes on
 * each of its streams; what comes out is never more than went in. */
#include "dkmux.h"
#include "fuzz.h"
#include "strbuf.h"

#include <string.h>

typedef struct fz_streams {
    strbuf s[3];
} fz_streams;

static void fz_out(int stream, const char *data, size_t len, void *ud)
{
    fz_streams *o = ud;
    FZ_ASSERT(stream >= 0 && stream <= 2, "stream %d", stream);
    sb_add(&o->s[stream], data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *s = (const char *)data + 2;
    size_t n = size - 2, cut = ((size_t)data[0] << 8 | data[1]) % (n + 1);
    fz_streams whole = {{STRBUF_INIT, STRBUF_INIT, STRBUF_INIT}};
    fz_streams split = {{STRBUF_INIT, STRBUF_INIT, STRBUF_INIT}};
    dkm a, b;
    dkm_init(&a, fz_out, &whole);
    dkm_init(&b, fz_out, &split);
    int ra = dkm_feed(&a, s, n);
    int rb = dkm_feed(&b, s, cut);
    if (rb == 0)
        rb = dkm_feed(&b, s + cut, n - cut);
    FZ_ASSERT(ra == rb, "verdict %d whole, %d split at %zu", ra, rb, cut);
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        total += whole.s[i].len;
        if (ra == 0)
            FZ_ASSERT(whole.s[i].len == split.s[i].len &&
                          memcmp(whole.s[i].buf, split.s[i].buf, whole.s[i].len) == 0,
                      "stream %d differs when split at %zu", i, cut);
        sb_release(&whole.s[i]);
        sb_release(&split.s[i]);
    }
    FZ_ASSERT(total <= n, "more output than input");
    return 0;
}

/* fuzz_secret.c -- the frames fuse-apply reads its secrets from (secret.c).
 *
 * Input: the bytes of stdin. Invariants: a refused input says why; an
 * accepted one, written out again with sec_frame, reads back as the same
 * names and values, and the reader never consumes past the end mark. */
#include "fuzz.h"
#include "secret.h"

#include <string.h>

typedef struct fz_in {
    const char *p;
    size_t left;
} fz_in;

static long fz_read(void *ud, char *buf, size_t n)
{
    fz_in *in = ud;
    size_t take = n < in->left ? n : in->left;
    memcpy(buf, in->p, take);
    in->p += take;
    in->left -= take;
    return (long)take;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {(const char *)data, size};
    sec_set s = {0};
    strbuf err = STRBUF_INIT;
    if (sec_frames_read(fz_read, &in, &s, &err) < 0) {
        FZ_ASSERT(err.len > 0, "a refused input without a reason");
    } else {
        sec_buf out = {0};
        for (size_t i = 0; i < s.n; i++)
            sec_frame(&out, s.items[i].name, &s.items[i].val);
        sec_frame_end(&out);
        FZ_ASSERT(out.len <= size - in.left, "the frames grew: %zu > %zu", out.len, size - in.left);
        fz_in again = {out.p, out.len};
        sec_set t = {0};
        strbuf e2 = STRBUF_INIT;
        FZ_ASSERT(sec_frames_read(fz_read, &again, &t, &e2) == 0, "re-read refused: %s", e2.buf);
        FZ_ASSERT(t.n == s.n && again.left == 0, "re-read differs");
        for (size_t i = 0; i < s.n; i++)
            FZ_ASSERT(strcmp(t.items[i].name, s.items[i].name) == 0 &&
                          t.items[i].val.len == s.items[i].val.len &&
                          (s.items[i].val.len == 0 ||
                           memcmp(t.items[i].val.p, s.items[i].val.p, s.items[i].val.len) == 0),
                      "secret %zu differs", i);
        sec_set_free(&t);
        sec_buf_free(&out);
        sb_release(&e2);
    }
    sec_set_free(&s);
    sb_release(&err);
    return 0;
}

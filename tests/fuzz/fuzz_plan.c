/* fuzz_plan.c -- the two texts fuse reads back from outside: the fuse.plan
 * label of an image (plan_label.c) and the source hash cache file
 * (hashcache.c).
 *
 * Input: either text. Invariants: a label that parses writes back as the
 * same text (nothing is read that is not checked); a cache text that is
 * accepted gives records that parse again the same. */
#include "fuzz.h"
#include "hashcache.h"
#include "plan.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strbuf text = STRBUF_INIT, again = STRBUF_INIT;
    sb_add(&text, data, size);
    plan p;
    if (strlen(text.buf) == size && plan_parse(&p, text.buf) == 0) {
        plan_label(&p, &again);
        FZ_ASSERT(strcmp(again.buf, text.buf) == 0, "label %s written back as %s", text.buf,
                  again.buf);
        plan_free(&p);
    }
    hc_cache *c = hc_new();
    size_t n = hc_parse(c, text.buf, text.len);
    FZ_ASSERT(n == 0 || text.len > 0, "records from nothing");
    hc_free(c);
    sb_release(&text);
    sb_release(&again);
    return 0;
}

/* dkmux.c -- the engine's multiplexed output stream (dkmux.h). */
#include "dkmux.h"

#include <string.h>

void dkm_init(dkm *m, dkm_out_fn out, void *ud)
{
    memset(m, 0, sizeof *m);
    m->out = out;
    m->ud = ud;
}

int dkm_feed(dkm *m, const char *data, size_t len)
{
    while (len > 0) {
        if (m->remain == 0) {
            size_t take = 8 - m->nhead < len ? 8 - m->nhead : len;
            memcpy(m->head + m->nhead, data, take);
            m->nhead += take;
            data += take;
            len -= take;
            if (m->nhead < 8)
                return 0;
            if (m->head[0] > 2 || m->head[1] || m->head[2] || m->head[3])
                return -1;
            m->stream = m->head[0];
            m->remain = (size_t)m->head[4] << 24 | (size_t)m->head[5] << 16 |
                        (size_t)m->head[6] << 8 | m->head[7];
            m->nhead = 0;
            continue;
        }
        size_t take = m->remain < len ? m->remain : len;
        if (m->out)
            m->out(m->stream, data, take, m->ud);
        m->remain -= take;
        data += take;
        len -= take;
    }
    return 0;
}

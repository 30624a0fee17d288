/* dfmeta.c -- HEALTHCHECK and STOPSIGNAL (dfmeta.h).
 *
 *   HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["curl","-f","..."]
 *   HEALTHCHECK NONE                      (healthcheck = false)
 *   STOPSIGNAL SIGTERM
 *
 * Like CMD, the command is always written in exec form; a shell string runs
 * as ["/bin/sh","-c",...], so no value meets the Dockerfile's line syntax. */
#include "dfmeta.h"

#include "dockerfile.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Durations come checked ("1m30s"): digits and unit letters only. */
static int df_meta_flag(strbuf *t, const fv *hc, const char *key, const char *flag, strbuf *err)
{
    const fv *v = fv_get(hc, key);
    if (!v)
        return 0;
    if (v->kind == FV_NUM) {
        sb_addf(t, " --%s=%.0f", flag, v->num);
        return 0;
    }
    if (v->kind != FV_STR || v->len == 0 || strspn(v->str, "0123456789mhs") != v->len) {
        sb_addf(err, "healthcheck.%s is not a duration", key);
        return -1;
    }
    sb_addf(t, " --%s=%s", flag, v->str);
    return 0;
}

static int df_meta_words(strbuf *t, const fv *cmd, strbuf *err)
{
    if (cmd && cmd->kind == FV_STR && df_utf8_ok(cmd->str, cmd->len)) {
        sb_adds(t, "[\"/bin/sh\",\"-c\",");
        df_json_str(t, cmd->str, cmd->len);
        sb_addc(t, ']');
        return 0;
    }
    int ok = cmd && cmd->kind == FV_LIST && cmd->n > 0;
    for (size_t i = 0; ok && i < cmd->n; i++)
        ok = cmd->items[i]->kind == FV_STR && df_utf8_ok(cmd->items[i]->str, cmd->items[i]->len);
    if (!ok) {
        sb_adds(err, "healthcheck.cmd must be a non-empty list of strings or a string of "
                     "UTF-8 text");
        return -1;
    }
    df_json_list(t, cmd);
    return 0;
}

static int df_health(strbuf *t, const fv *hc, strbuf *err)
{
    if (hc->kind == FV_BOOL && !hc->b) {
        sb_adds(t, "HEALTHCHECK NONE\n");
        return 0;
    }
    if (hc->kind != FV_MAP) {
        sb_adds(err, "healthcheck must be a table or false");
        return -1;
    }
    strbuf line = STRBUF_INIT;
    sb_adds(&line, "HEALTHCHECK");
    int rc = df_meta_flag(&line, hc, "interval", "interval", err);
    if (rc == 0)
        rc = df_meta_flag(&line, hc, "timeout", "timeout", err);
    if (rc == 0)
        rc = df_meta_flag(&line, hc, "start_period", "start-period", err);
    if (rc == 0)
        rc = df_meta_flag(&line, hc, "retries", "retries", err);
    sb_adds(&line, " CMD ");
    if (rc == 0)
        rc = df_meta_words(&line, fv_get(hc, "cmd"), err);
    if (rc == 0) {
        sb_add(t, line.buf, line.len);
        sb_addc(t, '\n');
    }
    sb_release(&line);
    return rc;
}

/* Docker reads "term" and "SIGTERM" alike; the image records what the
 * Dockerfile says, so write the canonical name. */
static int df_stopsignal(strbuf *t, const fv *v, strbuf *err)
{
    if (v->kind == FV_NUM) {
        sb_addf(t, "STOPSIGNAL %.0f\n", v->num);
        return 0;
    }
    if (v->kind != FV_STR || v->len == 0 ||
        strspn(v->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "abcdefghijklmnopqrstuvwxyz"
                       "0123456789+-") != v->len) {
        sb_adds(err, "stopsignal is not a signal name");
        return -1;
    }
    sb_adds(t, "STOPSIGNAL ");
    if (strncasecmp(v->str, "SIG", 3) != 0)
        sb_adds(t, "SIG");
    for (size_t i = 0; i < v->len; i++)
        sb_addc(t, (char)toupper((unsigned char)v->str[i]));
    sb_addc(t, '\n');
    return 0;
}

int df_meta(strbuf *t, const fv *opts, size_t *n, strbuf *err)
{
    const fv *hc = fv_get(opts, "healthcheck");
    const fv *sig = fv_get(opts, "stopsignal");
    *n = 0;
    if (hc && df_health(t, hc, err) < 0)
        return -1;
    *n += hc != NULL;
    if (sig && df_stopsignal(t, sig, err) < 0)
        return -1;
    *n += sig != NULL;
    return 0;
}

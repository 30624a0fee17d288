/* optvalue.c -- checks and CLI conversions of tag lists, healthcheck and
 * stopsignal (optvalue.h). The table of options stays in options.c. */
#include "optvalue.h"

#include "cli.h"
#include "mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tag ---- */

/* An image reference holds only these; anything else (a blank, a comma, a
 * newline) would make Docker refuse the build after the context was sent,
 * or a second t= parameter out of one tag. */
static int opt_ref_ok(const char *s)
{
    if (!*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && !strchr("._-:/@", *p))
            return 0;
    return 1;
}

/* Docker refuses a repository path with capitals ("Team/app:1"); the
 * registry host in front ("Reg.example:5000/", a first part holding '.'
 * or ':', or "localhost") and the tag after the last part's ':' may have
 * them. */
static int opt_name_lower(const char *s)
{
    const char *slash = strrchr(s, '/');
    const char *colon = strchr(slash ? slash : s, ':');
    const char *end = colon ? colon : s + strcspn(s, "@");
    const char *first = strchr(s, '/');
    if (first && first < end &&
        (memchr(s, '.', (size_t)(first - s)) || memchr(s, ':', (size_t)(first - s)) ||
         (first - s == 9 && strncmp(s, "localhost", 9) == 0)))
        s = first + 1;
    for (const char *p = s; p < end; p++)
        if (*p >= 'A' && *p <= 'Z')
            return 0;
    return 1;
}

static int opt_tag_item(const fv *t, strbuf *err)
{
    if (t->kind != FV_STR) {
        sb_adds(err, "tag must be a string or a list of strings");
        return -1;
    }
    if (!opt_ref_ok(t->str)) {
        sb_addf(err, "tag: \"%s\" is not a valid image reference", t->str);
        return -1;
    }
    if (!opt_name_lower(t->str)) {
        sb_addf(err, "tag: \"%s\" is not a valid image reference (the name must be lowercase)",
                t->str);
        return -1;
    }
    return 0;
}

int opt_check_tags(const fv *v, strbuf *err)
{
    if (v->kind == FV_STR) /* "" means no tag, as it always did */
        return v->len == 0 ? 0 : opt_tag_item(v, err);
    /* An empty Lua table may arrive as a map as well as a list. */
    if ((v->kind == FV_LIST || v->kind == FV_MAP) && v->n == 0) {
        sb_adds(err, "tag must not be an empty list");
        return -1;
    }
    if (v->kind != FV_LIST) {
        sb_adds(err, "tag must be a string or a list of strings");
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (opt_tag_item(v->items[i], err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(v->items[j]->str, v->items[i]->str) == 0) {
                sb_addf(err, "tag: \"%s\" is given twice", v->items[i]->str);
                return -1;
            }
    }
    return 0;
}

static void opt_tag_push(const char *item, void *ud)
{
    fv_push(ud, fv_strz(item));
}

fv *opt_conv_tags(const char *value, strbuf *err)
{
    fv *list = fv_list();
    cli_split_list(value, opt_tag_push, list);
    fv *v = list;
    if (list->n == 0) {
        v = fv_strz("");
        fv_free(list);
    } else if (list->n == 1) {
        v = fv_copy(list->items[0]);
        fv_free(list);
    }
    if (opt_check_tags(v, err) != 0) {
        fv_free(v);
        return NULL;
    }
    return v;
}

/* ---- durations ---- */

/* Go's time.Duration tops out at 2562047h47m; Docker would refuse more. */
#define OPT_MAX_MS (2562047ULL * 3600 * 1000)

int opt_duration(const char *s, uint64_t *ms)
{
    uint64_t total = 0;
    if (!*s)
        return -1;
    while (*s) {
        uint64_t n = 0;
        const char *start = s;
        for (; *s >= '0' && *s <= '9'; s++) {
            n = n * 10 + (uint64_t)(*s - '0');
            if (n > OPT_MAX_MS)
                return -1;
        }
        uint64_t unit;
        if (s == start)
            return -1;
        if (s[0] == 'm' && s[1] == 's')
            unit = 1, s += 2;
        else if (*s == 's')
            unit = 1000, s++;
        else if (*s == 'm')
            unit = 60 * 1000, s++;
        else if (*s == 'h')
            unit = 3600 * 1000, s++;
        else
            return -1;
        if (n > (OPT_MAX_MS - total) / unit)
            return -1;
        total += n * unit;
    }
    *ms = total;
    return 0;
}

/* ---- healthcheck ---- */

static int opt_health_duration(const char *key, const fv *v, strbuf *err)
{
    uint64_t ms;
    if (v->kind != FV_STR || opt_duration(v->str, &ms) != 0) {
        if (v->kind == FV_STR)
            sb_addf(err,
                    "healthcheck.%s: \"%s\" is not a duration like \"30s\", \"1m30s\" or "
                    "\"500ms\"",
                    key, v->str);
        else
            sb_addf(err, "healthcheck.%s must be a duration string like \"30s\"", key);
        return -1;
    }
    /* 0 would silently mean Docker's default: leave the key out for that. */
    if (ms == 0) {
        sb_addf(err, "healthcheck.%s must be longer than 0 (leave it out for the default)", key);
        return -1;
    }
    return 0;
}

static int opt_health_cmd(const fv *v, strbuf *err)
{
    int ok = v->kind == FV_STR ? v->len > 0 : v->kind == FV_LIST && v->n > 0;
    for (size_t i = 0; ok && v->kind == FV_LIST && i < v->n; i++)
        ok = v->items[i]->kind == FV_STR;
    if (!ok)
        sb_adds(err, "healthcheck.cmd must be a non-empty list of strings (exec form) or a "
                     "string (shell form)");
    return ok ? 0 : -1;
}

static int opt_health_retries(const fv *v, strbuf *err)
{
    if (v->kind != FV_NUM || !fv_is_int(v) || v->num < 1 || v->num > 2147483647.0) {
        sb_adds(err, "healthcheck.retries must be a whole number from 1");
        return -1;
    }
    return 0;
}

static int opt_health_field(const char *key, const fv *v, strbuf *err)
{
    if (strcmp(key, "cmd") == 0)
        return opt_health_cmd(v, err);
    if (strcmp(key, "retries") == 0)
        return opt_health_retries(v, err);
    if (strcmp(key, "interval") == 0 || strcmp(key, "timeout") == 0 ||
        strcmp(key, "start_period") == 0)
        return opt_health_duration(key, v, err);
    sb_addf(err,
            "healthcheck: unknown field \"%s\" (accepted: cmd, interval, retries, start_period, "
            "timeout)",
            key);
    return -1;
}

int opt_check_health(const fv *v, strbuf *err)
{
    if (v->kind == FV_BOOL && !v->b)
        return 0;
    int empty = v->kind == FV_LIST && v->n == 0;
    if (v->kind != FV_MAP && !empty) {
        sb_adds(err, "healthcheck must be a table like { cmd = { \"/bin/check\" } } or false");
        return -1;
    }
    for (size_t i = 0; !empty && i < v->n; i++)
        if (opt_health_field(v->keys[i], v->items[i], err) != 0)
            return -1;
    if (empty || !fv_get(v, "cmd")) {
        sb_adds(err, "healthcheck.cmd is missing (healthcheck = false disables the base "
                     "image's)");
        return -1;
    }
    return 0;
}

/* ---- stopsignal ---- */

/* The names Docker's signal table knows on Linux, without "SIG". */
static const char *const opt_signals[] = {
    "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",   "ILL",
    "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",   "QUIT",
    "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU",
    "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
};

/* "RTMIN+3" (1-15) and "RTMAX-3" (1-14), as Docker's table has them. */
static int opt_rt_signal(const char *s)
{
    int plus = strncasecmp(s, "RTMIN+", 6) == 0, minus = strncasecmp(s, "RTMAX-", 6) == 0;
    if (!plus && !minus)
        return 0;
    char *end;
    long n = strtol(s + 6, &end, 10);
    return s[6] >= '1' && s[6] <= '9' && *end == '\0' && n >= 1 && n <= (plus ? 15 : 14);
}

static int opt_signal_name_ok(const char *s)
{
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof opt_signals / sizeof opt_signals[0]; i++)
        if (strcasecmp(s, opt_signals[i]) == 0)
            return 1;
    return opt_rt_signal(s);
}

int opt_check_signal(const fv *v, strbuf *err)
{
    if (v->kind == FV_NUM && fv_is_int(v) && v->num >= 1 && v->num <= 64)
        return 0;
    if (v->kind == FV_STR && opt_signal_name_ok(v->str))
        return 0;
    if (v->kind == FV_STR)
        sb_addf(err, "stopsignal: \"%s\" is not a signal like \"SIGTERM\" or 15", v->str);
    else
        sb_adds(err, "stopsignal must be a signal name like \"SIGTERM\" or a number from 1 to 64");
    return -1;
}

fv *opt_conv_signal(const char *value, strbuf *err)
{
    char *text = cli_unescape(value);
    size_t digits = strspn(text, "0123456789");
    fv *v = digits && !text[digits] && digits < 4 ? fv_num(strtol(text, NULL, 10)) : fv_strz(text);
    free(text);
    if (opt_check_signal(v, err) != 0) {
        fv_free(v);
        return NULL;
    }
    return v;
}

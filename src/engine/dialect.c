/* dialect.c -- what every dialect shares: terminal escapes removed. */
#include "dialect.h"

#include <string.h>

/* The end of the escape sequence starting at s (s[0] == ESC). */
static const char *dl_escape_end(const char *s)
{
    const char *p = s + 1;
    if (*p == '[') {
        /* CSI: parameter bytes, intermediate bytes, one final byte. */
        p++;
        while (*p >= 0x30 && *p <= 0x3f)
            p++;
        while (*p >= 0x20 && *p <= 0x2f)
            p++;
        return *p >= 0x40 && *p <= 0x7e ? p + 1 : p;
    }
    if (*p == ']') {
        /* OSC: up to BEL or ST (ESC \). */
        for (p++; *p; p++) {
            if (*p == '\a')
                return p + 1;
            if (p[0] == '\033' && p[1] == '\\')
                return p + 2;
        }
        return p;
    }
    /* nF and Fe: intermediate bytes, then one final byte ("\033(B"). */
    while (*p >= 0x20 && *p <= 0x2f)
        p++;
    return *p ? p + 1 : p;
}

void dl_strip_escapes(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == '\033') {
            r = dl_escape_end(r);
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

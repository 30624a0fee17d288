/* optwords.c -- shell words for cmd= and entrypoint= on the command line
 * (optvalue.h): POSIX-ish quoting, no expansion. */
#include "optvalue.h"

#include <string.h>

/* Inside "...", a backslash escapes only what POSIX sh lets it escape there;
 * elsewhere it stays a backslash. */
static const char *opt_dquote(const char *s, strbuf *word)
{
    for (; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
            s++;
        sb_addc(word, *s);
    }
    return *s ? s : NULL;
}

static int opt_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int opt_shell_words(const char *s, fv *list, strbuf *err)
{
    strbuf word = STRBUF_INIT;
    int in_word = 0; /* '' is a word too, so emptiness alone does not say */
    int rc = -1;
    for (;; s++) {
        if (*s == '\0' || opt_is_space(*s)) {
            if (in_word)
                fv_push(list, fv_str(word.buf, word.len));
            sb_reset(&word);
            in_word = 0;
            if (*s == '\0') {
                rc = 0;
                break;
            }
            continue;
        }
        in_word = 1;
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (!end) {
                sb_adds(err, "unterminated ' quote");
                break;
            }
            sb_add(&word, s + 1, (size_t)(end - s - 1));
            s = end;
        } else if (*s == '"') {
            s = opt_dquote(s + 1, &word);
            if (!s) {
                sb_adds(err, "unterminated \" quote");
                break;
            }
        } else if (*s == '\\') {
            if (s[1] == '\0') {
                sb_adds(err, "trailing backslash");
                break;
            }
            sb_addc(&word, *++s);
        } else {
            sb_addc(&word, *s);
        }
    }
    sb_release(&word);
    return rc;
}

/* cli.c -- fuse's command line: options with getopt_long, task words with
 * fabric 1.x's grammar (fuse(1)).
 *
 * A task word is TASK[:KEY=VALUE[,KEY=VALUE...]]. Unlike fabric we reject
 * positional arguments and duplicate keys, and any backslash sequence other
 * than \, \= \; \\ : a typo should stop the run before a long build, not be
 * passed on silently. */
#include "cli.h"

#include "mem.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get values outside the char range so they never clash
 * with a short option in getopt's optopt. */
enum {
    CLI_SHORTLIST = 256,
    CLI_NO_CACHE,
    CLI_PLAN,
    CLI_NO_KEEP_FAILED,
    CLI_VERSION,
    CLI_TIMEOUT,
    CLI_PULL,
    CLI_PUSH,
    CLI_IIDFILE,
    CLI_PRUNE_CACHES,
    CLI_ENGINE,
    CLI_CONTEXT
};

static const char cli_shortopts[] = "+:ld:f:nvqhj:H:";

static const struct option cli_longopts[] = {
    {"list", no_argument, NULL, 'l'},
    {"shortlist", no_argument, NULL, CLI_SHORTLIST},
    {"display", required_argument, NULL, 'd'},
    {"fusefile", required_argument, NULL, 'f'},
    {"dry-run", no_argument, NULL, 'n'},
    {"no-cache", no_argument, NULL, CLI_NO_CACHE},
    {"plan", no_argument, NULL, CLI_PLAN},
    {"no-keep-failed", no_argument, NULL, CLI_NO_KEEP_FAILED},
    {"pull", no_argument, NULL, CLI_PULL},
    {"push", no_argument, NULL, CLI_PUSH},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, CLI_VERSION},
    {"timeout", required_argument, NULL, CLI_TIMEOUT},
    {"iidfile", required_argument, NULL, CLI_IIDFILE},
    {"prune-caches", no_argument, NULL, CLI_PRUNE_CACHES},
    {"jobs", required_argument, NULL, 'j'},
    {"engine", required_argument, NULL, CLI_ENGINE},
    {"host", required_argument, NULL, 'H'},
    {"context", required_argument, NULL, CLI_CONTEXT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* ---- task words ---- */

/* One KEY=VALUE being scanned: the key and value so far, where the raw text
 * of the pair starts (for messages), and whether '=' was seen. */
typedef struct cli_pair {
    strbuf key, value;
    const char *start;
    int has_eq;
} cli_pair;

static void cli_pair_reset(cli_pair *p, const char *start)
{
    sb_reset(&p->key);
    sb_reset(&p->value);
    p->start = start;
    p->has_eq = 0;
}

static int cli_has_key(const cli_task *t, const char *key)
{
    for (size_t i = 0; i < t->nargs; i++)
        if (strcmp(t->args[i].key, key) == 0)
            return 1;
    return 0;
}

/* Ends the pair that runs from p->start to end and appends it to t. */
static int cli_pair_finish(cli_pair *p, const char *end, const char *word, cli_task *t, strbuf *err)
{
    int rawlen = (int)(end - p->start);
    if (!p->has_eq && p->key.len == 0) {
        sb_addf(err, "%s: empty argument in \"%s\"", t->name, word);
        return 2;
    }
    if (!p->has_eq) {
        sb_addf(err, "%s: positional argument \"%.*s\" is not supported; use KEY=VALUE", t->name,
                rawlen, p->start);
        return 2;
    }
    if (p->key.len == 0) {
        sb_addf(err, "%s: argument \"%.*s\" has no key", t->name, rawlen, p->start);
        return 2;
    }
    if (cli_has_key(t, p->key.buf)) {
        sb_addf(err, "%s: argument \"%s\" given twice", t->name, p->key.buf);
        return 2;
    }
    ALLOC_GROW(t->args, t->nargs + 1, t->args_alloc);
    t->args[t->nargs].key = xstrdup(p->key.buf);
    t->args[t->nargs].value = xstrdup(p->value.buf);
    t->nargs++;
    return 0;
}

/* Handles the backslash at *s. "\;" and "\\" stay escaped in a value so
 * cli_split_list can still tell separators from data. Returns the number of
 * bytes consumed, or 0 with err set. */
static size_t cli_escape(const char *s, cli_pair *p, const char *word, strbuf *err)
{
    strbuf *dst = p->has_eq ? &p->value : &p->key;
    switch (s[1]) {
    case ',':
    case '=':
        sb_addc(dst, s[1]);
        return 2;
    case ';':
    case '\\':
        if (p->has_eq)
            sb_addc(dst, '\\');
        sb_addc(dst, s[1]);
        return 2;
    case '\0':
        sb_addf(err, "trailing backslash in argument \"%s\"", word);
        return 0;
    default:
        sb_addf(err, "bad escape \"\\%c\" in argument \"%s\"", s[1], word);
        return 0;
    }
}

static int cli_parse_args(const char *word, const char *argstr, cli_task *t, strbuf *err)
{
    cli_pair p = {STRBUF_INIT, STRBUF_INIT, argstr, 0};
    int rc = 0;
    const char *s = argstr;
    while (rc == 0) {
        if (*s == '\\') {
            size_t n = cli_escape(s, &p, word, err);
            if (n == 0)
                rc = 2;
            s += n;
        } else if (*s == ',' || *s == '\0') {
            rc = cli_pair_finish(&p, s, word, t, err);
            if (*s == '\0')
                break;
            cli_pair_reset(&p, ++s);
        } else if (*s == '=' && !p.has_eq) {
            p.has_eq = 1;
            s++;
        } else {
            sb_addc(p.has_eq ? &p.value : &p.key, *s++);
        }
    }
    sb_release(&p.key);
    sb_release(&p.value);
    return rc;
}

int cli_parse_task(const char *word, cli_task *t, strbuf *err)
{
    memset(t, 0, sizeof *t);
    /* Task names are Lua identifiers joined by dots: the first ':' ends the
     * name, as in fabric. */
    const char *colon = strchr(word, ':');
    size_t namelen = colon ? (size_t)(colon - word) : strlen(word);
    if (namelen == 0) {
        sb_addf(err, "missing task name in argument \"%s\"", word);
        return 2;
    }
    t->name = xmemdup(word, namelen);
    /* "task:" with nothing after the colon has no arguments. */
    if (!colon || colon[1] == '\0')
        return 0;
    int rc = cli_parse_args(word, colon + 1, t, err);
    if (rc != 0)
        cli_task_free(t);
    return rc;
}

void cli_split_list(const char *value, void (*each)(const char *item, void *ud), void *ud)
{
    if (*value == '\0')
        return;
    strbuf item = STRBUF_INIT;
    for (const char *s = value;; s++) {
        if (*s == '\\' && (s[1] == ';' || s[1] == '\\')) {
            sb_addc(&item, *++s);
        } else if (*s == ';' || *s == '\0') {
            each(item.buf, ud);
            sb_reset(&item);
            if (*s == '\0')
                break;
        } else {
            sb_addc(&item, *s);
        }
    }
    sb_release(&item);
}

char *cli_unescape(const char *value)
{
    strbuf out = STRBUF_INIT;
    for (const char *s = value; *s; s++) {
        if (*s == '\\' && (s[1] == ';' || s[1] == '\\'))
            s++;
        sb_addc(&out, *s);
    }
    return sb_detach(&out, NULL);
}

void cli_task_free(cli_task *t)
{
    for (size_t i = 0; i < t->nargs; i++) {
        free(t->args[i].key);
        free(t->args[i].value);
    }
    free(t->args);
    free(t->name);
    memset(t, 0, sizeof *t);
}

void cli_opts_free(cli_opts *o)
{
    for (size_t i = 0; i < o->ntasks; i++)
        cli_task_free(&o->tasks[i]);
    free(o->tasks);
    free(o->display);
    free(o->fusefile);
    free(o->iidfile);
    strvec_clear(&o->engines);
    free(o->host);
    free(o->context);
    memset(o, 0, sizeof *o);
    strvec_init(&o->engines);
}

/* ---- options ---- */

/* The long options whose names start with the given prefix (getopt_long
 * accepts unique abbreviations such as --dry); appends them to names. */
static int cli_long_matches(const char *prefix, size_t len, strbuf *names)
{
    int n = 0;
    for (const struct option *lo = cli_longopts; lo->name; lo++) {
        if (strncmp(lo->name, prefix, len) != 0)
            continue;
        if (strlen(lo->name) == len)
            return 1; /* an exact match is never ambiguous */
        sb_addf(names, "%s--%s", n ? ", " : "", lo->name);
        n++;
    }
    return n;
}

/* getopt_long reports an unknown, ambiguous or argument-taking-when-it-should-
 * not long option as '?' with optopt 0 or the option's value; the offending
 * word is the one it just consumed. */
static void cli_bad_long(const char *arg, strbuf *err)
{
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    strbuf names = STRBUF_INIT;
    int n = cli_long_matches(name, len, &names);
    if (n > 1)
        sb_addf(err, "ambiguous option --%.*s (could be %s)", (int)len, name, names.buf);
    else if (n == 1 && eq)
        sb_addf(err, "option --%.*s takes no value", (int)len, name);
    else
        sb_addf(err, "unknown option --%.*s", (int)len, name);
    sb_release(&names);
}

static int cli_is_known(int c)
{
    if (c >= 256)
        return 1;
    return c > 0 && c != ':' && c != '+' && strchr(cli_shortopts, c) != NULL;
}

static int cli_getopt_error(int c, int argc, char **argv, strbuf *err)
{
    if (c == ':') {
        /* A missing argument can only be at the end of argv. */
        const char *arg = argv[argc - 1];
        if (strncmp(arg, "--", 2) == 0)
            sb_addf(err, "option %s needs an argument", arg);
        else
            sb_addf(err, "option -%c needs an argument", optopt);
    } else if (optopt == 0 || cli_is_known(optopt)) {
        cli_bad_long(argv[optind - 1], err);
    } else if (optopt >= 0x20 && optopt < 0x7f) {
        sb_addf(err, "unknown option -%c", optopt);
    } else {
        sb_addf(err, "unknown option -\\x%02x", optopt & 0xff);
    }
    return 2;
}

static void cli_set_str(char **dst, const char *val)
{
    free(*dst);
    *dst = xstrdup(val);
}

/* A whole number from 1 to max for option name; a typo like "5m" or "0"
 * must not be read as something else. */
static int cli_count(const char *name, const char *val, unsigned long max, const char *unit,
                     unsigned *out, strbuf *err)
{
    unsigned long n = 0;
    const char *s = val;
    for (; *s >= '0' && *s <= '9' && n <= max; s++)
        n = n * 10 + (unsigned long)(*s - '0');
    if (s == val || *s || n < 1 || n > max) {
        sb_addf(err, "option %s: expected %s from 1 to %lu, got \"%s\"", name, unit, max, val);
        return 2;
    }
    *out = (unsigned)n;
    return 0;
}

/* --timeout: alarm() takes an unsigned count of seconds; at most a day. */
#define CLI_MAX_TIMEOUT 86400
/* -j: each job is a process with its own engine connection; more than this
 * is a typo, not a build farm. */
#define CLI_MAX_JOBS 64

/* The options that take a value needing a check; 0 or 2 with err set. */
static int cli_check_value(int c, cli_opts *o, strbuf *err)
{
    switch (c) {
    case CLI_TIMEOUT:
        return cli_count("--timeout", optarg, CLI_MAX_TIMEOUT, "whole seconds", &o->timeout, err);
    case 'j':
        return cli_count("-j/--jobs", optarg, CLI_MAX_JOBS, "a number of jobs", &o->jobs, err);
    case CLI_IIDFILE:
        if (!*optarg) {
            sb_adds(err, "option --iidfile: expected a file name");
            return 2;
        }
        return 0;
    case CLI_ENGINE:
        if (!*optarg) {
            sb_adds(err, "option --engine: expected an engine URL or context name");
            return 2;
        }
        return 0;
    }
    return 0;
}

static void cli_apply(int c, cli_opts *o)
{
    switch (c) {
    case 'l':
        o->list = 1;
        break;
    case CLI_SHORTLIST:
        o->shortlist = 1;
        break;
    case 'd':
        cli_set_str(&o->display, optarg);
        break;
    case 'f':
        cli_set_str(&o->fusefile, optarg);
        break;
    case 'n':
        o->dry_run = 1;
        break;
    case CLI_NO_CACHE:
        o->no_cache = 1;
        break;
    case CLI_PLAN:
        o->plan = 1;
        break;
    case CLI_NO_KEEP_FAILED:
        o->no_keep_failed = 1;
        break;
    case CLI_PULL:
        o->pull = 1;
        break;
    case CLI_PUSH:
        o->push = 1;
        break;
    case 'v':
        o->verbose = 1;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case CLI_VERSION:
        o->version = 1;
        break;
    case CLI_IIDFILE:
        cli_set_str(&o->iidfile, optarg);
        break;
    case CLI_PRUNE_CACHES:
        o->prune_caches = 1;
        break;
    case 'h':
        o->help = 1;
        break;
    case CLI_ENGINE:
        strvec_push(&o->engines, optarg);
        break;
    case 'H':
        cli_set_str(&o->host, optarg);
        break;
    case CLI_CONTEXT:
        cli_set_str(&o->context, optarg);
        break;
    }
}

/* -H and --context: one value each, never both (the docker CLI's rules). */
static int cli_engine(int c, const cli_opts *o, strbuf *err)
{
    if (c != 'H' && c != CLI_CONTEXT)
        return 0;
    const char *name = c == 'H' ? "-H/--host" : "--context";
    if (!*optarg) {
        sb_addf(err, "option %s: expected %s", name, c == 'H' ? "a URL" : "a context name");
        return 2;
    }
    if ((c == 'H' && o->host) || (c == CLI_CONTEXT && o->context)) {
        sb_addf(err, "option %s given twice: name one engine", name);
        return 2;
    }
    if ((c == 'H' && o->context) || (c == CLI_CONTEXT && o->host)) {
        sb_adds(err, "conflicting options: cannot specify both --host and --context");
        return 2;
    }
    return 0;
}

static int cli_parse_tasks(int first, int argc, char **argv, cli_opts *o, strbuf *err)
{
    o->tasks = xcalloc((size_t)(argc - first) + 1, sizeof *o->tasks);
    for (int i = first; i < argc; i++) {
        if (cli_parse_task(argv[i], &o->tasks[o->ntasks], err) != 0)
            return 2;
        o->ntasks++;
    }
    return 0;
}

int cli_parse(int argc, char **argv, cli_opts *o, strbuf *err)
{
    memset(o, 0, sizeof *o);
    strvec_init(&o->engines);
    /* optind = 0 makes glibc reinitialise, so cli_parse can run more than once
     * (tests); opterr = 0 because we word the messages ourselves. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, cli_shortopts, cli_longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return cli_getopt_error(c, argc, argv, err);
        if (cli_check_value(c, o, err) != 0)
            return 2;
        if (cli_engine(c, o, err) != 0)
            return 2;
        cli_apply(c, o);
    }
    if (o->verbose && o->quiet) {
        sb_adds(err, "options -v and -q cannot be used together");
        return 2;
    }
    if (o->jobs && o->iidfile) {
        sb_adds(err, "option --iidfile names one image; it cannot be used with -j");
        return 2;
    }
    if (cli_parse_tasks(optind, argc, argv, o, err) != 0)
        return 2;
    if (o->ntasks == 0 && !o->list && !o->shortlist && !o->display && !o->version && !o->help) {
        sb_adds(err, "no task given");
        return 2;
    }
    return 0;
}

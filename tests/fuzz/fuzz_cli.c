/* fuzz_cli.c -- the task-argument grammar: TASK[:KEY=VALUE[,KEY=VALUE...]].
 *
 * Whatever the word, cli_parse_task either fails with one line or gives a
 * task that, written back with escapes, parses to the same task; every value
 * splits into list items that join back into the value; and opt_merge with a
 * fixed declaration either fails with a message or holds every given key. */
#include "cli.h"
#include "fuzz.h"
#include "mem.h"
#include "options.h"

#include <string.h>

static fv *fz_decl;

/* A docker_container declaration with params, like examples/hello's. */
static fv *fz_make_decl(void)
{
    fv *d = fv_map();
    fv_set(d, "tag", fv_strz("fuzz:cli"));
    fv *ports = fv_list();
    fv_push(ports, fv_num(8000));
    fv_set(d, "ports", ports);
    fv *params = fv_map();
    fv_set(params, "greeting", fv_strz("hello"));
    fv_set(params, "count", fv_num(3));
    fv_set(d, "params", params);
    return d;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_decl = fz_make_decl();
    strbuf err = STRBUF_INIT;
    FZ_ASSERT(opt_check_decl(fz_decl, 1, &err) == 0, "%s", err.buf);
    sb_release(&err);
    return 0;
}

/* Collects list items re-escaped and joined with ';' (should give the value
 * back) and plainly joined (should give cli_unescape of the value). */
typedef struct fz_join {
    strbuf escaped, plain;
    size_t n;
} fz_join;

static void fz_each(const char *item, void *ud)
{
    fz_join *j = ud;
    if (j->n++) {
        sb_addc(&j->escaped, ';');
        sb_addc(&j->plain, ';');
    }
    for (const char *s = item; *s; s++) {
        if (*s == ';' || *s == '\\')
            sb_addc(&j->escaped, '\\');
        sb_addc(&j->escaped, *s);
    }
    sb_adds(&j->plain, item);
}

static void fz_check_value(const char *value)
{
    fz_join j = {STRBUF_INIT, STRBUF_INIT, 0};
    cli_split_list(value, fz_each, &j);
    FZ_ASSERT(strcmp(j.escaped.buf, value) == 0, "split+join gave \"%s\" for \"%s\"", j.escaped.buf,
              value);
    char *u = cli_unescape(value);
    FZ_ASSERT(strcmp(j.plain.buf, u) == 0, "items \"%s\", unescaped \"%s\"", j.plain.buf, u);
    free(u);
    sb_release(&j.escaped);
    sb_release(&j.plain);
}

/* The task written back in the grammar: keys fully escaped, values with
 * ',' escaped ("\;" and "\\" are still escaped in a parsed value). */
static void fz_unparse(const cli_task *t, strbuf *out)
{
    sb_adds(out, t->name);
    sb_addc(out, ':');
    for (size_t i = 0; i < t->nargs; i++) {
        if (i)
            sb_addc(out, ',');
        for (const char *s = t->args[i].key; *s; s++) {
            if (strchr(",=;\\", *s))
                sb_addc(out, '\\');
            sb_addc(out, *s);
        }
        sb_addc(out, '=');
        for (const char *s = t->args[i].value; *s; s++) {
            if (*s == ',')
                sb_addc(out, '\\');
            sb_addc(out, *s);
        }
    }
}

static void fz_check_same(const cli_task *a, const cli_task *b)
{
    FZ_ASSERT(strcmp(a->name, b->name) == 0, "name \"%s\" became \"%s\"", a->name, b->name);
    FZ_ASSERT(a->nargs == b->nargs, "%zu args became %zu", a->nargs, b->nargs);
    for (size_t i = 0; i < a->nargs; i++) {
        FZ_ASSERT(strcmp(a->args[i].key, b->args[i].key) == 0, "key %zu", i);
        FZ_ASSERT(strcmp(a->args[i].value, b->args[i].value) == 0, "value %zu", i);
    }
}

static void fz_check_merge(const cli_task *t)
{
    strbuf err = STRBUF_INIT;
    fv *out = opt_merge(fz_decl, 1, t->args, t->nargs, &err);
    if (!out) {
        FZ_ASSERT(err.len > 0, "opt_merge failed without a message");
    } else {
        FZ_ASSERT(out->kind == FV_MAP, "opt_merge gave a %s", fv_kind_name(out->kind));
        for (size_t i = 0; i < t->nargs; i++)
            FZ_ASSERT(fv_get(out, t->args[i].key), "merged args lack \"%s\"", t->args[i].key);
        fv_free(out);
    }
    sb_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A command-line word: no NUL inside. */
    char *word = xmemdup(data, size);
    strbuf err = STRBUF_INIT;
    cli_task t;
    int rc = cli_parse_task(word, &t, &err);
    if (rc != 0) {
        FZ_ASSERT(rc == 2, "status %d", rc);
        FZ_ASSERT((err.len > 0 && !memchr(err.buf, '\n', err.len)) || strchr(word, '\n'),
                  "error not one line: \"%s\"", err.buf);
        FZ_ASSERT(t.name == NULL && t.args == NULL, "failed parse left a task");
    } else {
        FZ_ASSERT(t.name && *t.name && !strchr(t.name, ':'), "bad name");
        for (size_t i = 0; i < t.nargs; i++) {
            FZ_ASSERT(*t.args[i].key, "empty key %zu", i);
            fz_check_value(t.args[i].value);
        }
        strbuf again = STRBUF_INIT;
        fz_unparse(&t, &again);
        cli_task t2;
        strbuf err2 = STRBUF_INIT;
        FZ_ASSERT(cli_parse_task(again.buf, &t2, &err2) == 0, "\"%s\" re-parse: %s", again.buf,
                  err2.buf);
        fz_check_same(&t, &t2);
        cli_task_free(&t2);
        sb_release(&err2);
        sb_release(&again);
        fz_check_merge(&t);
        cli_task_free(&t);
    }
    sb_release(&err);
    free(word);
    return 0;
}

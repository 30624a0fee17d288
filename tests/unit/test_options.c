/* test_options.c -- the option table: declared options checked, CLI strings
 * converted to their types, unknown keys named with the accepted ones. */
#include "options.h"
#include "optvalue.h"

#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Parses "task:k=v,..." into t (the grammar's own tests are in test_cli.c). */
static void args(cli_task *t, const char *word)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(cli_parse_task(word, t, &err), 0);
    sb_release(&err);
}

/* The merged args of word against decl, or NULL with err set. */
static fv *merge(const fv *decl, int is_container, const char *word, strbuf *err)
{
    cli_task t;
    args(&t, word);
    fv *out = opt_merge(decl, is_container, t.args, t.nargs, err);
    cli_task_free(&t);
    return out;
}

static void merge_err(const fv *decl, int is_container, const char *word, const char *want)
{
    strbuf err = STRBUF_INIT;
    fv *out = merge(decl, is_container, word, &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.buf, want);
    sb_release(&err);
}

static void decl_err(const fv *decl, int is_container, const char *want)
{
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(opt_check_decl(decl, is_container, &err), -1);
    ck_assert_str_eq(err.buf, want);
    sb_release(&err);
}

/* A declaration {key = val}. */
static fv *decl1(const char *key, fv *val)
{
    fv *d = fv_map();
    fv_set(d, key, val);
    return d;
}

static fv *strlist(int n, ...)
{
    fv *l = fv_list();
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        fv_push(l, fv_strz(va_arg(ap, const char *)));
    va_end(ap);
    return l;
}

/* The seed's app_server with a version param. */
static fv *app_server(void)
{
    fv *d = fv_map();
    fv_set(d, "description", fv_strz("Static page served by Python"));
    fv_set(d, "tag", fv_strz("myproject:appserver"));
    fv *ports = fv_list();
    fv_push(ports, fv_num(8000));
    fv_set(d, "ports", ports);
    fv_set(d, "cmd", strlist(4, "python3", "-m", "http.server", "8000"));
    fv *params = fv_map();
    fv_set(params, "version", fv_strz("1.0"));
    fv_set(d, "params", params);
    return d;
}

START_TEST(decl_ok)
{
    strbuf err = STRBUF_INIT;
    fv *d = app_server();
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    ck_assert_int_eq(opt_check_decl(NULL, 1, &err), 0);
    /* an empty Lua table may arrive as a list or a map */
    d = decl1("env", fv_list());
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    d = decl1("volumes", fv_map());
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    d = decl1("cmd", fv_strz("python3 -m http.server"));
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    fv *ports = fv_list();
    fv_push(ports, fv_num(53));
    fv_push(ports, fv_strz("53/udp"));
    fv_push(ports, fv_strz("8080"));
    fv_push(ports, fv_strz("132/sctp"));
    d = decl1("ports", ports);
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    d = decl1("description", fv_strz("host task"));
    fv *params = fv_map();
    fv_set(params, "n", fv_num(3));
    fv_set(params, "tag", fv_bool(1)); /* not an option of a plain task */
    fv_set(d, "params", params);
    ck_assert_int_eq(opt_check_decl(d, 0, &err), 0);
    fv_free(d);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(decl_errors)
{
    fv *d;
    d = decl1("prots", fv_list());
    decl_err(
        d, 1,
        "docker_container: unknown option \"prots\"\naccepted: caches, cmd, description, "
        "engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, params, "
        "ports, pull, push, secrets, stopsignal, tag, user, volumes, workdir");
    fv_free(d);
    d = decl1("tag", fv_strz("x"));
    decl_err(d, 0, "task: unknown option \"tag\"\naccepted: description, params");
    fv_free(d);
    d = decl1("ports", fv_strz("8000"));
    decl_err(d, 1, "docker_container: ports must be a list of numbers or strings like \"53/udp\"");
    fv_free(d);
    fv *ports = fv_list();
    fv_push(ports, fv_bool(1));
    d = decl1("ports", ports);
    decl_err(d, 1, "docker_container: ports must be a list of numbers or strings like \"53/udp\"");
    fv_free(d);
    ports = fv_list();
    fv_push(ports, fv_num(70000));
    d = decl1("ports", ports);
    decl_err(d, 1, "docker_container: ports: 70000 is not a port number (1-65535)");
    fv_free(d);
    ports = fv_list();
    fv_push(ports, fv_num(80.5));
    d = decl1("ports", ports);
    decl_err(d, 1, "docker_container: ports: 80.5 is not a port number (1-65535)");
    fv_free(d);
    ports = fv_list();
    fv_push(ports, fv_strz("53/xdp"));
    d = decl1("ports", ports);
    decl_err(d, 1,
             "docker_container: ports: \"53/xdp\" is not a port like 8000 or \"53/udp\" (tcp, udp, "
             "sctp)");
    fv_free(d);
    d = decl1("tag", fv_num(1));
    decl_err(d, 1, "docker_container: tag must be a string or a list of strings");
    fv_free(d);
    fv *env = fv_map();
    fv_set(env, "PORT", fv_num(8000));
    d = decl1("env", env);
    decl_err(d, 1, "docker_container: env must be a table of strings, like { KEY = \"value\" }");
    fv_free(d);
    d = decl1("labels", strlist(1, "a"));
    decl_err(d, 1, "docker_container: labels must be a table of strings, like { KEY = \"value\" }");
    fv_free(d);
    d = decl1("volumes", fv_strz("/data"));
    decl_err(d, 1, "docker_container: volumes must be a list of strings");
    fv_free(d);
    d = decl1("entrypoint", fv_num(1));
    decl_err(d, 1,
             "docker_container: entrypoint must be a list of strings (exec form) or a string "
             "(shell form)");
    fv_free(d);
    d = decl1("no_cache", fv_strz("yes"));
    decl_err(d, 1, "docker_container: no_cache must be true or false");
    fv_free(d);
    d = decl1("push", fv_strz("yes"));
    decl_err(d, 1, "docker_container: push must be true or false");
    fv_free(d);
    d = decl1("params", strlist(1, "version"));
    decl_err(d, 1,
             "docker_container: params must be a table of names to defaults, like { version = "
             "\"1.0\" }");
    fv_free(d);
    fv *params = fv_map();
    fv_set(params, "tag", fv_strz("x"));
    d = decl1("params", params);
    decl_err(d, 1, "docker_container: param \"tag\" has the name of an option");
    fv_free(d);
    params = fv_map();
    fv_set(params, "list", fv_list());
    d = decl1("params", params);
    decl_err(d, 0, "task: params.list must default to a string, number or boolean");
    fv_free(d);
    d = strlist(1, "x");
    decl_err(d, 1, "docker_container: options must be a table like { tag = \"name\" }");
    fv_free(d);
}
END_TEST

/* secrets: a name and exactly one non-empty source each. */
START_TEST(decl_secrets)
{
    strbuf err = STRBUF_INIT;
    fv *d = decl1("secrets", test_json("{\"tok\":{\"env\":\"T\"},\"k.1\":{\"file\":\"~/k\"},"
                                       "\"c\":{\"command\":\"pass x\"}}"));
    ck_assert_int_eq(opt_check_decl(d, 1, &err), 0);
    fv_free(d);
    const char *one = "docker_container: secrets.tok must be one of { env = \"VAR\" }, { file = "
                      "\"path\" }, { command = \"...\" }";
    d = decl1("secrets", test_json("{\"tok\":{\"env\":\"T\",\"file\":\"f\"}}"));
    decl_err(d, 1, one);
    fv_free(d);
    d = decl1("secrets", test_json("{\"tok\":{\"env\":\"\"}}"));
    decl_err(d, 1, one);
    fv_free(d);
    d = decl1("secrets", test_json("{\"tok\":{\"url\":\"x\"}}"));
    decl_err(d, 1, one);
    fv_free(d);
    d = decl1("secrets", test_json("{\"../x\":{\"env\":\"T\"}}"));
    decl_err(d, 1,
             "docker_container: secrets: \"../x\" is not a secret's name (letters, digits, _ . -)");
    fv_free(d);
    d = decl1("secrets", test_json("[\"tok\"]"));
    decl_err(d, 1,
             "docker_container: secrets must be a table like { token = { env = \"TOKEN\" } }");
    fv_free(d);
    sb_release(&err);
}
END_TEST

START_TEST(merge_defaults)
{
    strbuf err = STRBUF_INIT;
    fv *d = app_server();
    fv *a = merge(d, 1, "app_server", &err);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(fv_gets(a, "from_image"), "debian:bookworm");
    ck_assert_str_eq(fv_gets(a, "tag"), "myproject:appserver");
    ck_assert_str_eq(fv_gets(a, "version"), "1.0");
    ck_assert_ptr_null(fv_get(a, "params"));
    ck_assert_ptr_null(fv_get(a, "env")); /* unset stays unset */
    ck_assert_uint_eq(fv_get(a, "cmd")->n, 4);
    /* sorted keys */
    for (size_t i = 1; i < a->n; i++)
        ck_assert_int_lt(strcmp(a->keys[i - 1], a->keys[i]), 0);
    fv_free(a);
    fv_free(d);
    /* no declaration at all */
    a = merge(NULL, 1, "t", &err);
    ck_assert_uint_eq(a->n, 1);
    ck_assert_str_eq(fv_gets(a, "from_image"), "debian:bookworm");
    fv_free(a);
    /* a plain task gets no from_image */
    a = merge(NULL, 0, "t", &err);
    ck_assert_uint_eq(a->n, 0);
    fv_free(a);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

START_TEST(merge_types)
{
    strbuf err = STRBUF_INIT;
    fv *d = app_server();
    fv *a = merge(d, 1,
                  "app_server:tag=mytag,env=A=1;B=x=y,labels=a=1;b=,volumes=/a;/b\\;c,"
                  "ports=8000;53/udp;8001/tcp,no_cache=yes,version=2\\;3,from_image=busybox,"
                  "maintainer=Me <me@x>,user=www,workdir=/srv",
                  &err);
    ck_assert_msg(a != NULL, "%s", err.buf);
    ck_assert_str_eq(fv_gets(a, "tag"), "mytag");
    fv *env = fv_get(a, "env");
    ck_assert_int_eq(env->kind, FV_MAP);
    ck_assert_uint_eq(env->n, 2);
    ck_assert_str_eq(fv_gets(env, "A"), "1");
    ck_assert_str_eq(fv_gets(env, "B"), "x=y");
    fv *labels = fv_get(a, "labels");
    ck_assert_str_eq(fv_gets(labels, "a"), "1");
    ck_assert_str_eq(fv_gets(labels, "b"), "");
    fv *vol = fv_get(a, "volumes");
    ck_assert_int_eq(vol->kind, FV_LIST);
    ck_assert_uint_eq(vol->n, 2);
    ck_assert_str_eq(vol->items[0]->str, "/a");
    ck_assert_str_eq(vol->items[1]->str, "/b;c");
    fv *ports = fv_get(a, "ports");
    ck_assert_uint_eq(ports->n, 3);
    ck_assert_int_eq(ports->items[0]->kind, FV_NUM);
    ck_assert(fv_is_int(ports->items[0]) && ports->items[0]->num == 8000);
    ck_assert_str_eq(ports->items[1]->str, "53/udp");
    ck_assert_str_eq(ports->items[2]->str, "8001/tcp");
    ck_assert_int_eq(fv_get(a, "no_cache")->kind, FV_BOOL);
    ck_assert_int_eq(fv_get(a, "no_cache")->b, 1);
    /* params stay strings, escapes resolved */
    ck_assert_str_eq(fv_gets(a, "version"), "2;3");
    ck_assert_str_eq(fv_gets(a, "from_image"), "busybox");
    ck_assert_str_eq(fv_gets(a, "maintainer"), "Me <me@x>");
    ck_assert_str_eq(fv_gets(a, "user"), "www");
    ck_assert_str_eq(fv_gets(a, "workdir"), "/srv");
    fv_free(a);

    static const char *const yes[] = {"true", "YES", "1", "on"};
    static const char *const no[] = {"false", "No", "0", "off"};
    for (int i = 0; i < 4; i++) {
        char word[64];
        snprintf(word, sizeof word, "t:no_cache=%s", yes[i]);
        a = merge(d, 1, word, &err);
        ck_assert_int_eq(fv_get(a, "no_cache")->b, 1);
        fv_free(a);
        snprintf(word, sizeof word, "t:no_cache=%s", no[i]);
        a = merge(d, 1, word, &err);
        ck_assert_int_eq(fv_get(a, "no_cache")->kind, FV_BOOL);
        ck_assert_int_eq(fv_get(a, "no_cache")->b, 0);
        fv_free(a);
    }
    /* an empty list value empties the list */
    a = merge(d, 1, "t:ports=", &err);
    ck_assert_uint_eq(fv_get(a, "ports")->n, 0);
    fv_free(a);
    /* a string value keeps its semicolons */
    a = merge(d, 1, "t:maintainer=a;b\\;c\\\\d", &err);
    ck_assert_str_eq(fv_gets(a, "maintainer"), "a;b;c\\d");
    fv_free(a);
    fv_free(d);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

/* The cmd of word as "[w1][w2]...", or the error. */
static const char *words(strbuf *out, const char *word)
{
    strbuf err = STRBUF_INIT;
    sb_reset(out);
    fv *a = merge(NULL, 1, word, &err);
    if (!a) {
        sb_addf(out, "error: %s", err.buf);
    } else {
        fv *cmd = fv_get(a, "cmd") ? fv_get(a, "cmd") : fv_get(a, "entrypoint");
        ck_assert_int_eq(cmd->kind, FV_LIST);
        for (size_t i = 0; i < cmd->n; i++)
            sb_addf(out, "[%s]", cmd->items[i]->str);
    }
    fv_free(a);
    sb_release(&err);
    return out->buf;
}

START_TEST(merge_shell_words)
{
    strbuf sb = STRBUF_INIT;
    ck_assert_str_eq(words(&sb, "t:cmd=python3 -m http.server 8000"),
                     "[python3][-m][http.server][8000]");
    ck_assert_str_eq(words(&sb, "t:cmd=  a\tb  "), "[a][b]");
    ck_assert_str_eq(words(&sb, "t:cmd="), "");
    ck_assert_str_eq(words(&sb, "t:cmd=sh -c 'echo a;b \"c\"'"), "[sh][-c][echo a;b \"c\"]");
    ck_assert_str_eq(words(&sb, "t:entrypoint=echo \"a b\" \"x\\\\\\\\y\" ''"),
                     "[echo][a b][x\\y][]");
    ck_assert_str_eq(words(&sb, "t:cmd=a\\\\ b c"), "[a b][c]");
    ck_assert_str_eq(words(&sb, "t:cmd=a'b c'd"), "[ab cd]");
    ck_assert_str_eq(words(&sb, "t:cmd=\"a\\\\n\""), "[a\\n]");
    ck_assert_str_eq(words(&sb, "t:cmd=echo 'a b"),
                     "error: cmd: unterminated ' quote in \"echo 'a b\"");
    ck_assert_str_eq(words(&sb, "t:cmd=echo \"a"),
                     "error: cmd: unterminated \" quote in \"echo \"a\"");
    ck_assert_str_eq(words(&sb, "t:entrypoint=a\\\\"),
                     "error: entrypoint: trailing backslash in \"a\\\"");
    sb_release(&sb);
}
END_TEST

START_TEST(merge_errors)
{
    fv *d = app_server();
    merge_err(d, 1, "app_server:nosuch=1",
              "the following parameters were not understood: nosuch (accepted: caches, cmd, "
              "engine, entrypoint, "
              "env, from_image, healthcheck, labels, maintainer, no_cache, ports, pull, push, "
              "stopsignal, tag, user, version, volumes, workdir)");
    merge_err(
        d, 1, "app_server:tag=x,zz=1,description=d",
        "the following parameters were not understood: zz, description (accepted: caches, cmd, "
        "engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, ports, "
        "pull, push, stopsignal, tag, user, version, volumes, workdir)");
    merge_err(NULL, 0, "t:tag=x",
              "the following parameters were not understood: tag (accepted: none)");
    merge_err(d, 1, "t:ports=80x",
              "ports: \"80x\" is not a port like 8000 or \"53/udp\" (tcp, udp, sctp)");
    merge_err(d, 1, "t:ports=8000;70000", "ports: 70000 is not a port number (1-65535)");
    merge_err(d, 1, "t:ports=0", "ports: 0 is not a port number (1-65535)");
    merge_err(d, 1, "t:ports=99999999999999999999",
              "ports: 99999999999999999999 is not a port number (1-65535)");
    merge_err(d, 1, "t:ports=53/xdp",
              "ports: \"53/xdp\" is not a port like 8000 or \"53/udp\" (tcp, udp, sctp)");
    merge_err(d, 1, "t:ports=8000;",
              "ports: \"\" is not a port like 8000 or \"53/udp\" (tcp, udp, sctp)");
    merge_err(d, 1, "t:ports=/udp",
              "ports: \"/udp\" is not a port like 8000 or \"53/udp\" (tcp, udp, sctp)");
    merge_err(d, 1, "t:env=A=1;B", "env: \"B\" is not KEY=VALUE");
    merge_err(d, 1, "t:labels==x", "labels: \"=x\" is not KEY=VALUE");
    merge_err(d, 1, "t:volumes=/a;;/b", "volumes: empty item in list");
    merge_err(d, 1, "t:no_cache=maybe",
              "no_cache: \"maybe\" is not a boolean (true/false, yes/no, 1/0)");
    fv_free(d);
}
END_TEST

START_TEST(accepted)
{
    strbuf sb = STRBUF_INIT;
    opt_accepted(NULL, 1, &sb);
    ck_assert_str_eq(
        sb.buf,
        "caches, cmd, engine, entrypoint, env, from_image, healthcheck, labels, maintainer, "
        "no_cache, ports, pull, push, stopsignal, tag, user, volumes, workdir");
    sb_reset(&sb);
    fv *params = fv_map();
    fv_set(params, "zeta", fv_strz("1"));
    fv_set(params, "alpha", fv_strz("2"));
    fv *d = decl1("params", params);
    opt_accepted(d, 0, &sb);
    ck_assert_str_eq(sb.buf, "alpha, zeta");
    fv_free(d);
    sb_release(&sb);
}
END_TEST

START_TEST(task_params)
{
    strbuf err = STRBUF_INIT;
    fv *params = fv_map();
    fv_set(params, "n", fv_num(3));
    fv_set(params, "who", fv_strz("world"));
    fv *d = decl1("params", params);
    fv_set(d, "description", fv_strz("greets"));
    fv *a = merge(d, 0, "hello:who=you", &err);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(fv_get(a, "from_image"));
    ck_assert_str_eq(fv_gets(a, "who"), "you");
    /* an unset param keeps its default and its type */
    ck_assert_int_eq(fv_get(a, "n")->kind, FV_NUM);
    fv_free(a);
    /* a param given on the CLI is a string, whatever its default */
    a = merge(d, 0, "hello:n=5", &err);
    ck_assert_str_eq(fv_gets(a, "n"), "5");
    fv_free(a);
    fv_free(d);
    ck_assert_uint_eq(err.len, 0);
}
END_TEST

/* A healthcheck table from a cmd and then key/value pairs (NULL ends). */
static fv *health(fv *cmd, ...)
{
    fv *h = fv_map();
    fv_set(h, "cmd", cmd);
    va_list ap;
    va_start(ap, cmd);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL)
        fv_set(h, k, va_arg(ap, fv *));
    va_end(ap);
    return h;
}

static void decl_ok1(const char *key, fv *val)
{
    strbuf err = STRBUF_INIT;
    fv *d = decl1(key, val);
    ck_assert_msg(opt_check_decl(d, 1, &err) == 0, "%s: %s", key, err.buf);
    fv_free(d);
    sb_release(&err);
}

static void decl_err1(const char *key, fv *val, const char *want)
{
    fv *d = decl1(key, val);
    decl_err(d, 1, want);
    fv_free(d);
}

START_TEST(more_options_decl)
{
    decl_ok1("tag", strlist(2, "app:1.4", "app:latest"));
    decl_ok1("tag", fv_strz("registry.example:5000/team/app@sha256"));
    decl_ok1("tag", fv_strz("")); /* no tag, as before */
    decl_ok1("healthcheck",
             health(strlist(2, "curl", "-f"), "interval", fv_strz("1m30s"), "timeout",
                    fv_strz("5s"), "retries", fv_num(3), "start_period", fv_strz("500ms"), NULL));
    decl_ok1("healthcheck", health(fv_strz("curl -f http://localhost/ || exit 1"), NULL));
    decl_ok1("healthcheck", fv_bool(0));
    decl_ok1("stopsignal", fv_strz("SIGTERM"));
    decl_ok1("stopsignal", fv_strz("quit"));
    decl_ok1("stopsignal", fv_strz("SIGRTMIN+3"));
    decl_ok1("stopsignal", fv_num(9));
    decl_ok1("pull", fv_bool(1));

    decl_err1("tag", fv_list(), "docker_container: tag must not be an empty list");
    decl_err1("tag", strlist(2, "app:1", "app 2"),
              "docker_container: tag: \"app 2\" is not a valid image reference");
    decl_err1("tag", strlist(2, "app:1", "app:1"),
              "docker_container: tag: \"app:1\" is given twice");
    decl_ok1("tag", strlist(2, "localhost:5000/team/app:V1", "app:Latest"));
    decl_err1("tag", fv_strz("Team/app:1"),
              "docker_container: tag: \"Team/app:1\" is not a valid image reference (the name "
              "must be lowercase)");
    decl_ok1("tag", fv_strz("Reg.Example:5000/team/app:V1"));
    decl_err1("tag", fv_strz("reg.example:5000/Team/app"),
              "docker_container: tag: \"reg.example:5000/Team/app\" is not a valid image reference "
              "(the name must be lowercase)");
    decl_err1("tag", fv_strz("App"),
              "docker_container: tag: \"App\" is not a valid image reference (the name must be "
              "lowercase)");
    decl_err1("healthcheck", fv_bool(1),
              "docker_container: healthcheck must be a table like { cmd = { \"/bin/check\" } } or "
              "false");
    decl_err1("healthcheck", fv_strz("curl"),
              "docker_container: healthcheck must be a table like { cmd = { \"/bin/check\" } } or "
              "false");
    decl_err1("healthcheck", fv_map(),
              "docker_container: healthcheck.cmd is missing (healthcheck = false disables the base "
              "image's)");
    decl_err1("healthcheck", health(fv_list(), NULL),
              "docker_container: healthcheck.cmd must be a non-empty list of strings (exec form) "
              "or a string (shell form)");
    decl_err1("healthcheck", health(fv_strz("x"), "interval", fv_strz("30"), NULL),
              "docker_container: healthcheck.interval: \"30\" is not a duration like \"30s\", "
              "\"1m30s\" or \"500ms\"");
    decl_err1("healthcheck", health(fv_strz("x"), "timeout", fv_num(5), NULL),
              "docker_container: healthcheck.timeout must be a duration string like \"30s\"");
    decl_err1("healthcheck", health(fv_strz("x"), "start_period", fv_strz("0s"), NULL),
              "docker_container: healthcheck.start_period must be longer than 0 (leave it out for "
              "the default)");
    decl_err1("healthcheck", health(fv_strz("x"), "retries", fv_num(0), NULL),
              "docker_container: healthcheck.retries must be a whole number from 1");
    decl_err1("healthcheck", health(fv_strz("x"), "intervall", fv_strz("1s"), NULL),
              "docker_container: healthcheck: unknown field \"intervall\" (accepted: cmd, "
              "interval, retries, start_period, timeout)");
    decl_err1("stopsignal", fv_strz("SIGFOO"),
              "docker_container: stopsignal: \"SIGFOO\" is not a signal like \"SIGTERM\" or 15");
    decl_err1("stopsignal", fv_num(0),
              "docker_container: stopsignal must be a signal name like \"SIGTERM\" or a number "
              "from 1 to 64");
    decl_err1("stopsignal", fv_strz("RTMIN+16"),
              "docker_container: stopsignal: \"RTMIN+16\" is not a signal like \"SIGTERM\" or 15");
    decl_err1("pull", fv_strz("yes"), "docker_container: pull must be true or false");
}
END_TEST

START_TEST(durations)
{
    static const struct {
        const char *s;
        uint64_t ms; /* UINT64_MAX: rejected */
    } rows[] = {
        {"30s", 30000},
        {"1m30s", 90000},
        {"500ms", 500},
        {"2h", 7200000},
        {"1h1m1s1ms", 3661001},
        {"0s", 0},
        {"1s1h", 3601000},
        {"", UINT64_MAX},
        {"30", UINT64_MAX},
        {"1.5s", UINT64_MAX},
        {"s", UINT64_MAX},
        {"1us", UINT64_MAX},
        {"5 s", UINT64_MAX},
        {"-1s", UINT64_MAX},
        {"1d", UINT64_MAX},
        {"2562048h", UINT64_MAX},
        {"99999999999999999999s", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t ms = 0;
        int rc = opt_duration(rows[i].s, &ms);
        if (rows[i].ms == UINT64_MAX) {
            ck_assert_msg(rc == -1, "\"%s\" accepted", rows[i].s);
        } else {
            ck_assert_msg(rc == 0, "\"%s\" rejected", rows[i].s);
            ck_assert_uint_eq(ms, rows[i].ms);
        }
    }
}
END_TEST

START_TEST(more_options_merge)
{
    strbuf err = STRBUF_INIT;
    fv *a = merge(NULL, 1, "t:tag=app:1.4;app:latest", &err);
    const fv *tag = fv_get(a, "tag");
    ck_assert_int_eq(tag->kind, FV_LIST);
    ck_assert_uint_eq(tag->n, 2);
    ck_assert_str_eq(tag->items[0]->str, "app:1.4");
    ck_assert_str_eq(tag->items[1]->str, "app:latest");
    fv_free(a);
    /* one tag stays a string, so args.tag reads as it always did */
    a = merge(NULL, 1, "t:tag=app:1.4", &err);
    ck_assert_str_eq(fv_gets(a, "tag"), "app:1.4");
    fv_free(a);
    a = merge(NULL, 1, "t:healthcheck=none,stopsignal=9,pull=yes", &err);
    ck_assert_int_eq(fv_get(a, "healthcheck")->kind, FV_BOOL);
    ck_assert_int_eq(fv_get(a, "healthcheck")->b, 0);
    ck_assert_int_eq(fv_get(a, "stopsignal")->kind, FV_NUM);
    ck_assert_int_eq((int)fv_get(a, "stopsignal")->num, 9);
    ck_assert_int_eq(fv_get(a, "pull")->b, 1);
    fv_free(a);
    a = merge(NULL, 1, "t:healthcheck=curl -f 'http://localhost/',stopsignal=SIGQUIT", &err);
    const fv *cmd = fv_get(fv_get(a, "healthcheck"), "cmd");
    ck_assert_uint_eq(cmd->n, 3);
    ck_assert_str_eq(cmd->items[2]->str, "http://localhost/");
    ck_assert_str_eq(fv_gets(a, "stopsignal"), "SIGQUIT");
    /* what the CLI gives passes the declaration's check too */
    ck_assert_int_eq(opt_check_decl(a, 1, &err), 0);
    fv_free(a);
    ck_assert_uint_eq(err.len, 0);

    merge_err(NULL, 1, "t:tag=app:1;app 2", "tag: \"app 2\" is not a valid image reference");
    merge_err(NULL, 1, "t:tag=app:1;;app:2", "tag: \"\" is not a valid image reference");
    merge_err(NULL, 1, "t:tag=a;a", "tag: \"a\" is given twice");
    merge_err(NULL, 1, "t:healthcheck=",
              "healthcheck.cmd must be a non-empty list of strings (exec form) or a string (shell "
              "form)");
    merge_err(NULL, 1, "t:healthcheck=echo 'x", "healthcheck: unterminated ' quote in \"echo 'x\"");
    merge_err(NULL, 1, "t:stopsignal=0",
              "stopsignal must be a signal name like \"SIGTERM\" or a number from 1 to 64");
    merge_err(NULL, 1, "t:stopsignal=TERMINATE",
              "stopsignal: \"TERMINATE\" is not a signal like \"SIGTERM\" or 15");
    merge_err(NULL, 1, "t:pull=maybe",
              "pull: \"maybe\" is not a boolean (true/false, yes/no, 1/0)");
    sb_release(&err);
}
END_TEST

/* A blueprint has its own options; the container's are not its. */
START_TEST(blueprint_options)
{
    strbuf err = STRBUF_INIT;
    fv *decl = test_json("{\"hosts\": [\"web1\"], \"sudo\": true, \"user\": \"deploy\"}");
    ck_assert_int_eq(opt_check_decl(decl, OPT_BLUEPRINT, &err), 0);
    fv *out = merge(decl, OPT_BLUEPRINT, "t:hosts=a;b@c:22,simulate=yes,sudo=no", &err);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq((int)fv_get(out, "hosts")->n, 2);
    ck_assert_str_eq(fv_get(out, "hosts")->items[1]->str, "b@c:22");
    ck_assert_int_eq(fv_get(out, "simulate")->b, 1);
    ck_assert_int_eq(fv_get(out, "sudo")->b, 0);
    ck_assert_ptr_null(fv_get(out, "from_image"));
    fv_free(out);
    fv_free(decl);
    decl = test_json("{\"tag\": \"x\"}");
    decl_err(decl, OPT_BLUEPRINT,
             "blueprint: unknown option \"tag\"\naccepted: description, hosts, params, simulate, "
             "sudo, user");
    fv_free(decl);
    decl = test_json("{\"hosts\": \"web1\"}");
    decl_err(decl, OPT_BLUEPRINT, "blueprint: hosts must be a list of strings");
    fv_free(decl);
    decl = test_json("{\"hosts\": [\"a\"]}");
    decl_err(
        decl, OPT_CONTAINER,
        "docker_container: unknown option \"hosts\"\naccepted: caches, cmd, description, "
        "engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, params, "
        "ports, pull, push, secrets, stopsignal, tag, user, volumes, workdir");
    fv_free(decl);
    merge_err(NULL, OPT_BLUEPRINT, "t:tag=x",
              "the following parameters were not understood: tag (accepted: hosts, simulate, "
              "sudo, user)");
    sb_release(&err);
}
END_TEST

Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, decl_ok);
    tcase_add_test(tc, decl_errors);
    tcase_add_test(tc, decl_secrets);
    tcase_add_test(tc, merge_defaults);
    tcase_add_test(tc, merge_types);
    tcase_add_test(tc, merge_shell_words);
    tcase_add_test(tc, merge_errors);
    tcase_add_test(tc, accepted);
    tcase_add_test(tc, task_params);
    tcase_add_test(tc, more_options_decl);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, more_options_merge);
    tcase_add_test(tc, blueprint_options);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(options_suite)

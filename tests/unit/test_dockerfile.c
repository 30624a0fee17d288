/* test_dockerfile.c -- the generated Dockerfile: order, quoting, blobs, step map. */
#include "build.h"
#include "dockerfile.h"
#include "fvjson.h"
#include "mem.h"
#include "taskref.h"
#include "testutil.h"

#include <string.h>

static size_t count_lines(const char *text, const char *prefix);

static bundle B;
static fv *O;
static dockerfile D;
static strbuf E;

static void setup(void)
{
    bundle_init(&B);
    O = fv_map();
    fv_set(O, "from_image", fv_strz("debian:bookworm"));
    sb_init(&E);
    memset(&D, 0, sizeof D);
    sb_init(&D.text);
}

static void teardown(void)
{
    df_free(&D);
    fv_free(O);
    bundle_free(&B);
    sb_release(&E);
}

static void add(const char *type, fv *fields)
{
    strbuf err = STRBUF_INIT;
    int rc = bundle_add(&B, rt_find(type), fields, NULL, &err);
    ck_assert_msg(rc == 0, "bundle_add: %s", err.buf);
    sb_release(&err);
}

static void add_file(const char *name, const char *contents, size_t len)
{
    fv *f = fv_map();
    fv_set(f, "name", fv_strz(name));
    fv_set(f, "contents", fv_str(contents, len));
    add("File", f);
}

static fv *strlist(const char *a, const char *b, const char *c)
{
    fv *l = fv_list();
    const char *s[] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (s[i])
            fv_push(l, fv_strz(s[i]));
    return l;
}

static void gen_ok(void)
{
    int rc = df_generate(O, &B, &D, &E);
    ck_assert_msg(rc == 0, "df_generate: %s", E.buf);
}

static void gen_fails(const char *msg)
{
    ck_assert_int_eq(df_generate(O, &B, &D, &E), -1);
    ck_assert_str_eq(E.buf, msg);
}

/* The JSON argument of the RUN on line `line` (1-based), decoded. */
static fv *run_json(const char *text, int line)
{
    const char *p = text;
    for (int i = 1; i < line; i++)
        p = strchr(p, '\n') + 1;
    const char *end = strchr(p, '\n');
    ck_assert_msg(!strncmp(p, "RUN [", 5), "line %d is not a RUN: %.40s", line, p);
    strbuf err = STRBUF_INIT;
    fv *arr = fvj_parse(p + 4, (size_t)(end - p - 4), &err);
    ck_assert_msg(arr != NULL, "RUN line is not JSON: %s", err.buf);
    ck_assert_int_eq(arr->kind, FV_LIST);
    ck_assert_uint_ge(arr->n, 3);
    ck_assert_str_eq(arr->items[arr->n - 2]->str, "--json");
    const fv *js = arr->items[arr->n - 1];
    fv *res = fvj_parse(js->str, js->len, &err);
    ck_assert_msg(res != NULL, "resource is not JSON: %s", err.buf);
    fv_free(arr);
    sb_release(&err);
    return res;
}

START_TEST(test_hello)
{
    fv *p = fv_map();
    fv_set(p, "name", fv_strz("python3"));
    add("Package", p);
    add_file("/index.html", "HELLO WORLD!", 12);
    fv *ports = fv_list();
    fv_push(ports, fv_num(8000));
    fv_set(O, "ports", ports);
    fv_set(O, "cmd", strlist("python3", "-m", "http.server"));
    gen_ok();
    ck_assert_str_eq(D.text.buf,
                     "FROM debian:bookworm\n"
                     "COPY fuse /.fuse/\n"
                     "RUN "
                     "[\"/.fuse/fuse-apply\",\"--no-changes-ok\",\"--no-sync\",\"--json\","
                     "\"{\\\"Package\\\":{\\\"name\\\":\\\"python3\\\"}}\"]\n"
                     "RUN "
                     "[\"/.fuse/fuse-apply\",\"--no-changes-ok\",\"--no-sync\",\"--json\","
                     "\"{\\\"File\\\":{\\\"name\\\":\\\"/index.html\\\",\\\"contents\\\":\\\"HELLO "
                     "WORLD!\\\"}}\"]\n"
                     "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n"
                     "EXPOSE 8000\n"
                     "CMD [\"python3\",\"-m\",\"http.server\"]\n");
    ck_assert_uint_eq(D.nsteps, 7);
    long want[] = {-1, -1, 0, 1, -1, -1, -1};
    for (size_t i = 0; i < 7; i++)
        ck_assert_int_eq(D.step_res[i], want[i]);
    ck_assert_uint_eq(D.nblobs, 0);
}
END_TEST

/* The parts of a build with secrets (secstep.c): the first as the whole
 * starts, a later one FROM the image before with CMD (and ENTRYPOINT)
 * given back, only the last with the cleanup, the options and the record;
 * steps credited to their index in the whole bundle. */
START_TEST(test_parts)
{
    add_file("/a", "a", 1);
    add_file("/b", "b", 1);
    add_file("/c", "c", 1);
    fv_set(O, "cmd", strlist("sh", NULL, NULL));
    df_part first = {.from = 0, .to = 1};
    ck_assert_int_eq(df_generate_part(O, NULL, &B, &first, &D, &E), 0);
    ck_assert_int_eq(D.payload, 1);
    ck_assert_ptr_nonnull(strstr(D.text.buf, "/a"));
    ck_assert_ptr_null(strstr(D.text.buf, "/b"));
    ck_assert_ptr_null(strstr(D.text.buf, "--cleanup"));
    ck_assert_ptr_null(strstr(D.text.buf, "CMD"));
    df_free(&D);
    df_part last = {.from = 2,
                    .to = 3,
                    .from_id = "sha256:1234",
                    .entrypoint = "",
                    .cmd = "",
                    .last = 1,
                    .label = "fuse.secret-steps",
                    .label_value = "k=sha256:1234"};
    ck_assert_int_eq(df_generate_part(O, NULL, &B, &last, &D, &E), 0);
    ck_assert_int_eq(D.payload, 0);
    ck_assert_str_eq(D.text.buf,
                     "FROM sha256:1234\n"
                     "CMD []\n"
                     "RUN "
                     "[\"/.fuse/fuse-apply\",\"--no-changes-ok\",\"--no-sync\",\"--json\","
                     "\"{\\\"File\\\":{\\\"name\\\":\\\"/c\\\",\\\"contents\\\":\\\"c\\\"}}\"]\n"
                     "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n"
                     "LABEL fuse.secret-steps=\"k=sha256:1234\"\n"
                     "CMD [\"sh\"]\n");
    ck_assert_int_eq(D.step_res[2], 2);
    df_free(&D);
    last.entrypoint = "[\"/init\"]";
    last.cmd = "[\"x\"]";
    ck_assert_int_eq(df_generate_part(O, NULL, &B, &last, &D, &E), 0);
    ck_assert_ptr_nonnull(
        strstr(D.text.buf, "FROM sha256:1234\nENTRYPOINT [\"/init\"]\nCMD [\"x\"]\n"));
}
END_TEST

START_TEST(test_all_options_in_order)
{
    fv *env = fv_map();
    fv_set(env, "ZED", fv_strz("last"));
    fv_set(env, "A", fv_strz("x$y\\z\"q'w"));
    fv_set(O, "env", env);
    fv_set(O, "volumes", strlist("/data", "/a\"b'c $d\\e", NULL));
    fv *ports = fv_list();
    fv_push(ports, fv_num(8000));
    fv_push(ports, fv_num(8001));
    fv_push(ports, fv_strz("53/udp"));
    fv_set(O, "ports", ports);
    fv_set(O, "maintainer", fv_strz("Me <me@example.com>"));
    fv *labels = fv_map();
    fv_set(labels, "z.last", fv_strz("2"));
    fv_set(labels, "a.first", fv_strz("$1"));
    fv_set(O, "labels", labels);
    fv_set(O, "user", fv_strz("nobody"));
    fv_set(O, "workdir", fv_strz("/srv/my app"));
    fv_set(O, "entrypoint", strlist("/bin/tini", "--", NULL));
    fv_set(O, "cmd", fv_strz("echo \"$HOME\" && exit 0"));
    gen_ok();
    ck_assert_str_eq(D.text.buf, "FROM debian:bookworm\n"
                                 "USER root\n" /* user is set: the steps run as root */
                                 "ENV A=\"x\\$y\\\\z\\\"q'w\" ZED=\"last\"\n"
                                 "COPY fuse /.fuse/\n"
                                 "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n"
                                 "VOLUME [\"/data\",\"/a\\\\\\\"b\\\\'c \\\\$d\\\\\\\\e\"]\n"
                                 "EXPOSE 8000 8001 53/udp\n"
                                 "LABEL maintainer=\"Me <me@example.com>\" \"a.first\"=\"\\$1\" "
                                 "\"z.last\"=\"2\"\n"
                                 "USER \"nobody\"\n"
                                 "WORKDIR \"/srv/my app\"\n"
                                 "ENTRYPOINT [\"/bin/tini\",\"--\"]\n"
                                 "CMD [\"/bin/sh\",\"-c\",\"echo \\\"$HOME\\\" && exit 0\"]\n");
}
END_TEST

/* On a base whose USER is not root, the steps run as root and the image
 * ends as the base's user; a root base (however spelled) changes nothing. */
START_TEST(test_base_user)
{
    add_file("/a", "a", 1);
    const char *users[] = {"app", "1000:1000", "root:staff", "root", "0:0", "", NULL};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
        ck_assert_int_eq(df_generate_on(O, users[i], &B, &D, &E), 0);
        const char *t = D.text.buf;
        int nonroot = i < 3;
        const char *head = "FROM debian:bookworm\nUSER root\nCOPY fuse";
        ck_assert_msg((strncmp(t, head, strlen(head)) == 0) == nonroot, "%s", t);
        strbuf last = STRBUF_INIT;
        sb_addf(&last, "\nUSER \"%s\"\n", users[i] ? users[i] : "");
        const char *end = t + strlen(t) - last.len;
        ck_assert_msg((strcmp(end, last.buf) == 0) == nonroot, "%s", t);
        ck_assert_int_eq(count_lines(t, "USER"), nonroot ? 2 : 0);
        sb_release(&last);
        df_free(&D);
    }
    ck_assert(df_base_user_needed(O));
    fv_set(O, "user", fv_strz("me"));
    ck_assert(!df_base_user_needed(O));
    /* The user option wins over the base's USER. */
    ck_assert_int_eq(df_generate_on(O, "app", &B, &D, &E), 0);
    ck_assert_uint_eq(count_lines(D.text.buf, "USER \"me\""), 1);
    ck_assert_uint_eq(count_lines(D.text.buf, "USER \"app\""), 0);
}
END_TEST

START_TEST(test_default_from_image)
{
    fv_del(O, "from_image");
    gen_ok();
    ck_assert(!strncmp(D.text.buf, "FROM debian:bookworm\n", 21));
}
END_TEST

START_TEST(test_env_newline_rejected)
{
    fv *env = fv_map();
    fv_set(env, "A", fv_strz("one\ntwo"));
    fv_set(O, "env", env);
    gen_fails("env: value of A contains a line break, which a Dockerfile cannot hold");
}
END_TEST

START_TEST(test_env_bad_name)
{
    fv *env = fv_map();
    fv_set(env, "A B", fv_strz("1"));
    fv_set(O, "env", env);
    gen_fails("env: \"A B\" is not a valid variable name (letters, digits, _ . -)");
}
END_TEST

START_TEST(test_bad_port)
{
    fv *ports = fv_list();
    fv_push(ports, fv_strz("80; rm -rf /"));
    fv_set(O, "ports", ports);
    gen_fails("ports must be a list of port numbers or strings like \"53/udp\"");
}
END_TEST

START_TEST(test_port_out_of_range)
{
    fv *ports = fv_list();
    fv_push(ports, fv_num(70000));
    fv_set(O, "ports", ports);
    gen_fails("ports must be a list of port numbers or strings like \"53/udp\"");
}
END_TEST

START_TEST(test_bad_from_image)
{
    fv_set(O, "from_image", fv_strz("debian bookworm"));
    gen_fails("from_image: \"debian bookworm\" is not a valid image reference");
}
END_TEST

START_TEST(test_from_image_line_break)
{
    fv_set(O, "from_image", fv_strz("debian\nRUN evil"));
    gen_fails("from_image is not a valid image reference (it holds control characters)");
}
END_TEST

/* Contents that look like Dockerfile syntax stay inside one JSON string. */
START_TEST(test_injection_stays_in_json)
{
    const char *evil = "\"]\nRUN [\"/bin/sh\",\"-c\",\"touch /pwned\"]\n$HOME `id` \\";
    add_file("/etc/evil", evil, strlen(evil));
    gen_ok();
    int lines = 0;
    for (const char *p = D.text.buf; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 4); /* FROM, COPY, RUN, RUN cleanup */
    fv *res = run_json(D.text.buf, 3);
    ck_assert_str_eq(fv_gets(fv_get(res, "File"), "contents"), evil);
    fv_free(res);
}
END_TEST

/* The bundle a batch step carries, from its context file. */
static fv *batch_bundle(const char *name)
{
    for (size_t i = 0; i < D.nblobs; i++) {
        if (strcmp(D.blobs[i].name, name) == 0) {
            strbuf err = STRBUF_INIT;
            fv *v = fvj_parse(D.blobs[i].data, D.blobs[i].len, &err);
            ck_assert_msg(v != NULL, "%s is not JSON: %s", name, err.buf);
            sb_release(&err);
            return v;
        }
    }
    ck_abort_msg("no context file %s", name);
    return NULL;
}

/* A File whose contents cannot go on a line is a batch of one: a bundle
 * file holds it as written (contents and all), fuse-apply applies that, as
 * it would the same File inline; no COPY to its destination. */
static void check_blob(const char *contents, size_t len, int sensitive)
{
    add_file("/first", "small", 5);
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/secret"));
    fv_set(f, "contents", fv_str(contents, len));
    if (sensitive)
        fv_set(f, "sensitive", fv_bool(1));
    add("File", f);
    gen_ok();
    ck_assert_uint_eq(D.nblobs, 1);
    ck_assert_str_eq(D.blobs[0].name, ".fuse/steps/2/bundle.json");
    ck_assert_ptr_null(D.blobs[0].path);
    ck_assert_uint_eq(D.blobs[0].mode, 0600);
    fv *bundle = batch_bundle(".fuse/steps/2/bundle.json");
    const fv *res = fv_get(bundle, "resources");
    ck_assert_uint_eq(res->n, 1);
    const fv *c = fv_get(fv_get(res->items[0], "File"), "contents");
    ck_assert_uint_eq(c->len, len);
    ck_assert(!memcmp(c->str, contents, len));
    fv_free(bundle);
    const char *t = D.text.buf;
    ck_assert_ptr_nonnull(strstr(t, "\nCOPY .fuse/steps/2 /.fuse/steps/2\n"
                                    "RUN [\"/.fuse/fuse-apply\",\"--no-changes-ok\",\"--no-sync\","
                                    "\"/.fuse/steps/2/bundle.json\"]\n"
                                    "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n"));
    ck_assert_ptr_null(strstr(t, "COPY ["));
    /* FROM, COPY fuse, RUN /first, COPY + RUN (resource 1), cleanup. */
    ck_assert_uint_eq(D.nsteps, 6);
    ck_assert_int_eq(D.step_res[2], 0);
    ck_assert_int_eq(D.step_res[3], 1);
    ck_assert_int_eq(D.step_res[4], 1);
    ck_assert_int_eq(D.step_res[5], -1);
}

/* A File with a source: blob in /.fuse, fuse-apply copies it. */
static void check_blob_run(size_t res, const char *name)
{
    char copy[128], src[64];
    snprintf(copy, sizeof copy, "\nCOPY .fuse/blobs/%zu /.fuse/blobs/%zu\nRUN [", res + 1, res + 1);
    snprintf(src, sizeof src, "/.fuse/blobs/%zu", res + 1);
    const char *t = D.text.buf;
    const char *at = strstr(t, copy);
    ck_assert_msg(at != NULL, "no blob COPY + RUN in:\n%s", t);
    size_t line = 2;
    for (const char *p = t; p < at; p++)
        line += *p == '\n';
    /* line is the COPY's (1-based), its RUN the next one. */
    ck_assert_int_eq(D.step_res[line - 1], (long)res);
    ck_assert_int_eq(D.step_res[line], (long)res);
    fv *v = run_json(t, (int)line + 1);
    const fv *ff = fv_get(v, "File");
    ck_assert_ptr_null(fv_get(ff, "contents"));
    ck_assert_str_eq(fv_gets(ff, "source"), src);
    ck_assert_str_eq(fv_gets(ff, "name"), name);
    fv_free(v);
    for (size_t i = 0; i < D.nblobs; i++)
        if (!strcmp(D.blobs[i].name, src + 1))
            ck_assert_uint_eq(D.blobs[i].mode, 0600);
}

/* A File whose data comes from a source file on the host. */
static fv *src_file(const char *name)
{
    fv *f = fv_map();
    fv_set(f, "name", fv_strz(name));
    fv_set(f, "source", fv_strz("/home/me/data.bin"));
    return f;
}

/* A source File is never one COPY to its destination (COPY would make
 * missing parents and reset an existing file's owner and mode, which
 * fuse-apply does not): its fields reach fuse-apply as written. */
START_TEST(test_source_keeps_fields)
{
    fv *f = src_file("/srv/data.bin");
    fv_set(f, "mode", fv_strz("1640"));
    fv_set(f, "owner", fv_strz("www-data"));
    fv_set(f, "group", fv_num(42));
    add("File", f);
    add("File", src_file("/srv/a b/$HOME \"q\" 'x' \\z"));
    gen_ok();
    check_blob_run(0, "/srv/data.bin");
    check_blob_run(1, "/srv/a b/$HOME \"q\" 'x' \\z");
    fv *v = run_json(D.text.buf, 4);
    const fv *ff = fv_get(v, "File");
    ck_assert_str_eq(fv_gets(ff, "mode"), "1640");
    ck_assert_str_eq(fv_gets(ff, "owner"), "www-data");
    fv_free(v);
    ck_assert_ptr_null(strstr(D.text.buf, "COPY ["));
}
END_TEST

/* Whatever the File, the blob + RUN path. */
START_TEST(test_copy_fallbacks)
{
    struct {
        const char *name, *key, *val;
    } cases[] = {
        {"/dir/", NULL, NULL},       /* COPY would copy into a directory */
        {"/dir/.", NULL, NULL},      /* the same */
        {"/dir/..", NULL, NULL},     /* the same */
        {"/tab\there", NULL, NULL},  /* control character */
        {"/suid", "mode", "4755"},   /* COPY's chown clears set-ID bits */
        {"/sgid", "mode", "2750"},   /* the same */
        {"/o", "owner", "a:b"},      /* would split --chown */
        {"/g", "group", "a b"},      /* not a plain name */
        {"/h", "owner", "-1"},       /* not an ID */
        {"/a", "owner", "alice"},    /* alone: its primary group, fuse-apply's to find */
        {"/rm", "policy", "remove"}, /* only apply is a copy */
        {"/w", "watches", "/first"}, /* watchers need fuse-apply's markers */
    };
    add_file("/first", "small", 5);
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        fv *f = src_file(cases[i].name);
        if (cases[i].key && !strcmp(cases[i].key, "watches"))
            fv_set(f, "watches", strlist(cases[i].val, NULL, NULL));
        else if (cases[i].key)
            fv_set(f, cases[i].key, fv_strz(cases[i].val));
        add("File", f);
    }
    gen_ok();
    for (size_t i = 0; i < n; i++)
        check_blob_run(i + 1, cases[i].name);
    ck_assert_ptr_null(strstr(D.text.buf, "COPY ["));
}
END_TEST

START_TEST(test_sensitive_is_blob)
{
    const char *secret = "hunter2-password";
    check_blob(secret, strlen(secret), 1);
    ck_assert_ptr_null(strstr(D.text.buf, "hunter2"));
}
END_TEST

START_TEST(test_binary_is_blob)
{
    check_blob("\x00\xff\xfe binary", 10, 0);
}
END_TEST

START_TEST(test_large_is_blob)
{
    size_t n = DF_INLINE_MAX + 1;
    char *big = xmalloc(n);
    memset(big, 'x', n);
    check_blob(big, n, 0);
    free(big);
}
END_TEST

START_TEST(test_at_limit_is_inline)
{
    size_t n = DF_INLINE_MAX;
    char *big = xmalloc(n);
    memset(big, 'y', n);
    add_file("/big", big, n);
    gen_ok();
    ck_assert_uint_eq(D.nblobs, 0);
    free(big);
}
END_TEST

START_TEST(test_source_is_blob)
{
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/etc/app.conf"));
    fv_set(f, "source", fv_strz("/home/me/project/app.conf"));
    add("File", f);
    gen_ok();
    ck_assert_uint_eq(D.nblobs, 1);
    ck_assert_str_eq(D.blobs[0].path, "/home/me/project/app.conf");
    ck_assert_ptr_null(D.blobs[0].data);
    check_blob_run(0, "/etc/app.conf");
    ck_assert_ptr_null(strstr(D.text.buf, "/home/me"));
}
END_TEST

START_TEST(test_json_str_escapes)
{
    strbuf s = STRBUF_INIT;
    df_json_str(&s, "a\"b\\c\n\t\x01\x7f", 9);
    ck_assert_str_eq(s.buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
    sb_release(&s);
}
END_TEST

/* The Dockerfile's text check is fvjson's UTF-8 check (tested there) plus
 * no NUL, which no Dockerfile line can hold. */
START_TEST(test_utf8)
{
    fv_set(O, "cmd", fv_str("a\0b", 3));
    gen_fails("cmd is not valid UTF-8 text");
}
END_TEST

START_TEST(test_cmd_not_utf8)
{
    fv_set(O, "cmd", fv_str("\xff", 1));
    gen_fails("cmd is not valid UTF-8 text");
}
END_TEST

/* -n: the Dockerfile exactly as generated, then the bundle with secrets redacted. */
/* n Files /f1.../fn with contents "cI". */
static void add_files(size_t n)
{
    for (size_t i = 1; i <= n; i++) {
        char name[32], c[32];
        snprintf(name, sizeof name, "/f%zu", i);
        snprintf(c, sizeof c, "c%zu", i);
        add_file(name, c, strlen(c));
    }
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

START_TEST(test_watches_keep_state)
{
    add_file("/a", "a", 1);
    fv *e = fv_map();
    fv_set(e, "name", fv_strz("reload"));
    fv_set(e, "command", fv_strz("true"));
    fv_set(e, "watches", strlist("/a", NULL, NULL));
    add("Execute", e);
    gen_ok();
    ck_assert_ptr_nonnull(strstr(D.text.buf, "\"--no-sync\",\"--state\",\"/.fuse/state\","));
}
END_TEST

START_TEST(test_sixty_one_per_step)
{
    add_files(60);
    gen_ok();
    /* FROM, COPY fuse, 60 RUNs, cleanup. */
    ck_assert_uint_eq(count_lines(D.text.buf, "RUN "), 61);
    ck_assert_uint_eq(D.nblobs, 0);
    fv *last = run_json(D.text.buf, 62);
    ck_assert_str_eq(fv_gets(fv_get(last, "File"), "name"), "/f60");
    fv_free(last);
}
END_TEST

START_TEST(test_many_grouped)
{
    add_files(300);
    gen_ok();
    const char *t = D.text.buf;
    /* 10 batches (COPY + RUN) of the first 260, then the last 40 alone. */
    ck_assert_uint_eq(count_lines(t, "COPY .fuse/steps/"), 10);
    ck_assert_uint_eq(count_lines(t, "RUN "), 10 + 40 + 1);
    ck_assert_ptr_nonnull(strstr(t, "\nCOPY .fuse/steps/1 /.fuse/steps/1\nRUN "
                                    "[\"/.fuse/fuse-apply\",\"--no-changes-ok\",\"--no-sync\","
                                    "\"/.fuse/steps/1/bundle.json\"]\n"));
    ck_assert_ptr_nonnull(strstr(t, "\nCOPY .fuse/steps/235 /.fuse/steps/235\n"));
    ck_assert_uint_eq(D.nblobs, 10);
    fv *first = batch_bundle(".fuse/steps/1/bundle.json");
    const fv *res = fv_get(first, "resources");
    ck_assert_uint_eq(res->n, 26);
    ck_assert_str_eq(fv_gets(fv_get(res->items[25], "File"), "name"), "/f26");
    fv_free(first);
    fv *last_batch = batch_bundle(".fuse/steps/235/bundle.json");
    res = fv_get(last_batch, "resources");
    ck_assert_uint_eq(res->n, 26);
    ck_assert_str_eq(fv_gets(fv_get(res->items[25], "File"), "name"), "/f260");
    fv_free(last_batch);
    /* Every resource is in exactly one step, and the step map follows. */
    fv *r261 = run_json(t, 2 + 20 + 1);
    ck_assert_str_eq(fv_gets(fv_get(r261, "File"), "name"), "/f261");
    fv_free(r261);
    ck_assert_int_eq(D.step_res[2], 0);
    ck_assert_int_eq(D.step_res[3], 0);
    ck_assert_int_eq(D.step_res[4], 26);
    ck_assert_int_eq(D.step_res[22], 260);
    ck_assert_int_eq(D.step_res[D.nsteps - 2], 299);
}
END_TEST

/* Changing the last resource changes only the last step's line. */
START_TEST(test_many_edit_last)
{
    add_files(299);
    add_file("/last", "one", 3);
    gen_ok();
    strbuf before = STRBUF_INIT;
    sb_adds(&before, D.text.buf);
    df_free(&D);
    bundle_free(&B);
    bundle_init(&B);
    add_files(299);
    add_file("/last", "two", 3);
    gen_ok();
    /* Same lines but one: the last resource's RUN, before the cleanup. */
    const char *a = before.buf, *b = D.text.buf;
    size_t line = 0, diff = 0, where = 0;
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        line++;
        if (ea - a != eb - b || memcmp(a, b, (size_t)(ea - a)) != 0)
            diff++, where = line;
        a = ea + 1, b = eb + 1;
    }
    ck_assert(!*a && !*b);
    ck_assert_uint_eq(diff, 1);
    ck_assert_uint_eq(where, line - 1);
    sb_release(&before);
}
END_TEST

/* Batched Files keep their contents, binary ones too (base64 in the
 * bundle file); sources travel in their batch's directory. */
START_TEST(test_batch_blobs)
{
    add_file("/bin", "\xff\xfe", 2);
    add("File", src_file("/src"));
    add_files(100);
    gen_ok();
    fv *first = batch_bundle(".fuse/steps/1/bundle.json");
    const fv *f = fv_get(fv_get(first, "resources")->items[0], "File");
    ck_assert_ptr_null(fv_get(f, "source"));
    const fv *c = fv_get(f, "contents");
    ck_assert(c->len == 2 && !memcmp(c->str, "\xff\xfe", 2));
    f = fv_get(fv_get(first, "resources")->items[1], "File");
    ck_assert_str_eq(fv_gets(f, "source"), "/.fuse/steps/1/2");
    fv_free(first);
    int found = 0;
    for (size_t i = 0; i < D.nblobs; i++)
        if (!strcmp(D.blobs[i].name, ".fuse/steps/1/2"))
            found = !strcmp(D.blobs[i].path, "/home/me/data.bin");
    ck_assert(found);
}
END_TEST

/* 10,000 Files: every line stays under Docker's 64 KiB. */
START_TEST(test_ten_thousand_lines_short)
{
    add_files(10000);
    gen_ok();
    const char *t = D.text.buf;
    for (const char *p = t; *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_uint_lt((size_t)(nl - p), 60 * 1024);
        p = nl + 1;
    }
    ck_assert_uint_le(count_lines(t, "RUN ") + count_lines(t, "COPY "), 62);
}
END_TEST

START_TEST(test_dry_run)
{
    add_file("/index.html", "HELLO WORLD!", 12);
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/secret"));
    fv_set(f, "contents", fv_strz("hunter2"));
    fv_set(f, "sensitive", fv_bool(1));
    add("File", f);
    gen_ok();
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(build_dry_run(O, &B, 0, out, &E), BUILD_OK);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_uint_gt(len, D.text.len);
    ck_assert(!memcmp(buf, D.text.buf, D.text.len));
    ck_assert_ptr_null(strstr(buf, "hunter2"));
    const char *json = buf + D.text.len + 1;
    fv *v = fvj_parse(json, strlen(json), &E);
    ck_assert_msg(v != NULL, "%s", E.buf);
    const fv *res = fv_get(v, "resources");
    ck_assert_uint_eq(res->n, 2);
    ck_assert_str_eq(fv_gets(fv_get(res->items[1], "File"), "contents"), "<sensitive>");
    fv_free(v);
    free(buf);
}
END_TEST

START_TEST(test_dry_run_error)
{
    fv_set(O, "user", fv_strz("a\nb"));
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(build_dry_run(O, &B, 0, out, &E), BUILD_FAILED);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(E.buf, "user contains a line break, which a Dockerfile cannot hold");
    free(buf);
}
END_TEST

/* HEALTHCHECK and STOPSIGNAL close the Dockerfile, each a step of no
 * resource; the command is exec form whatever was given. */
START_TEST(test_healthcheck_stopsignal)
{
    fv *hc = fv_map();
    fv_set(hc, "cmd", strlist("/bin/check", "--url", "http://x/\"q\""));
    fv_set(hc, "interval", fv_strz("1m30s"));
    fv_set(hc, "timeout", fv_strz("5s"));
    fv_set(hc, "start_period", fv_strz("500ms"));
    fv_set(hc, "retries", fv_num(3));
    fv_set(O, "healthcheck", hc);
    fv_set(O, "stopsignal", fv_strz("quit"));
    fv_set(O, "cmd", strlist("app", NULL, NULL));
    gen_ok();
    ck_assert_str_eq(D.text.buf,
                     "FROM debian:bookworm\n"
                     "COPY fuse /.fuse/\n"
                     "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n"
                     "CMD [\"app\"]\n"
                     "HEALTHCHECK --interval=1m30s --timeout=5s --start-period=500ms "
                     "--retries=3 CMD [\"/bin/check\",\"--url\",\"http://x/\\\"q\\\"\"]\n"
                     "STOPSIGNAL SIGQUIT\n");
    ck_assert_uint_eq(D.nsteps, count_lines(D.text.buf, ""));
    ck_assert_int_eq(D.step_res[D.nsteps - 1], -1);
    ck_assert_int_eq(D.step_res[D.nsteps - 2], -1);
}
END_TEST

START_TEST(test_healthcheck_shell_none_signal_number)
{
    fv *hc = fv_map();
    fv_set(hc, "cmd", fv_strz("wget -q -O- http://localhost/ || exit 1"));
    fv_set(O, "healthcheck", hc);
    fv_set(O, "stopsignal", fv_num(9));
    gen_ok();
    ck_assert_uint_eq(count_lines(D.text.buf, "HEALTHCHECK CMD [\"/bin/sh\",\"-c\",\"wget -q -O- "
                                              "http://localhost/ || exit 1\"]"),
                      1);
    ck_assert_uint_eq(count_lines(D.text.buf, "STOPSIGNAL 9"), 1);
    df_free(&D);
    fv_set(O, "healthcheck", fv_bool(0));
    fv_set(O, "stopsignal", fv_strz("SIGRTMIN+3"));
    gen_ok();
    ck_assert_uint_eq(count_lines(D.text.buf, "HEALTHCHECK NONE"), 1);
    ck_assert_uint_eq(count_lines(D.text.buf, "STOPSIGNAL SIGRTMIN+3"), 1);
}
END_TEST

/* What options.c would have refused still cannot break the text. */
START_TEST(test_healthcheck_bad_values)
{
    fv *hc = fv_map();
    fv_set(hc, "cmd", strlist("x", NULL, NULL));
    fv_set(hc, "interval", fv_strz("1s\nRUN evil"));
    fv_set(O, "healthcheck", hc);
    gen_fails("healthcheck.interval is not a duration");
    sb_reset(&E);
    fv_set(O, "healthcheck", fv_bool(1));
    gen_fails("healthcheck must be a table or false");
    sb_reset(&E);
    fv_del(O, "healthcheck");
    fv_set(O, "stopsignal", fv_strz("TERM\nRUN evil"));
    gen_fails("stopsignal is not a signal name");
}
END_TEST

/* A task marker left in from_image (DockerBuilder's options) is refused. */
START_TEST(test_from_image_task_refused)
{
    fv_set(O, "from_image", taskref_new(3));
    gen_fails("from_image is a task, which is built first only for a docker_container task; give "
              "an image name here");
}
END_TEST

/* Artifacts: one stage per distinct image, first use first, each stage step
 * credited to the first resource using it; the resource is a COPY --from. */
START_TEST(test_artifact_stages)
{
    const char *from[] = {"sha256:0123abcd", "busybox", "sha256:0123abcd"};
    const char *name[] = {"/usr/local/bin/app", "/srv/www", "/etc/x"};
    for (int i = 0; i < 3; i++) {
        fv *f = fv_map();
        fv_set(f, "name", fv_strz(name[i]));
        fv_set(f, "from", fv_strz(from[i]));
        fv_set(f, "source", fv_strz(i == 1 ? "/out/www/" : "/out/$app"));
        if (i == 1) {
            fv_set(f, "owner", fv_strz("www-data"));
            fv_set(f, "group", fv_num(33));
        }
        add(i == 1 ? "Directory" : "File", f);
    }
    gen_ok();
    ck_assert_str_eq(D.text.buf,
                     "FROM sha256:0123abcd AS fuse-from-1\n"
                     "FROM busybox AS fuse-from-2\n"
                     "FROM debian:bookworm\n"
                     "COPY fuse /.fuse/\n"
                     "COPY --from=fuse-from-1 [\"/out/\\\\$app\",\"/usr/local/bin/app\"]\n"
                     "COPY --from=fuse-from-2 --chown=www-data:33 [\"/out/www/\",\"/srv/www\"]\n"
                     "COPY --from=fuse-from-1 [\"/out/\\\\$app\",\"/etc/x\"]\n"
                     "RUN [\"/.fuse/fuse-apply\",\"--cleanup\",\"/.fuse\"]\n");
    ck_assert_uint_eq(D.nblobs, 0);
    ck_assert_int_eq(D.step_res[0], 0);
    ck_assert_int_eq(D.step_res[1], 1);
    ck_assert_int_eq(D.step_res[2], -1);
    ck_assert_int_eq(D.step_res[4], 0);
    ck_assert_int_eq(D.step_res[6], 2);
}
END_TEST

/* An artifact after resources without from: their stage numbering skips
 * them (fuzz_dockerfile found it reading a missing from). */
START_TEST(test_artifact_after_plain)
{
    add_file("/a", "a", 1);
    fv *f = fv_map();
    fv_set(f, "name", fv_strz("/b"));
    fv_set(f, "from", fv_strz("busybox"));
    fv_set(f, "source", fv_strz("/bin/true"));
    add("File", f);
    gen_ok();
    ck_assert_ptr_nonnull(strstr(D.text.buf, "FROM busybox AS fuse-from-1\n"));
    ck_assert_ptr_nonnull(strstr(D.text.buf, "COPY --from=fuse-from-1 [\"/bin/true\",\"/b\"]\n"));
}
END_TEST

/* layer = "NAME": consecutive resources are one inline RUN of a list. */
START_TEST(test_layer_group)
{
    add_file("/a", "a", 1);
    for (int i = 0; i < 3; i++) {
        fv *f = fv_map();
        char n[16];
        snprintf(n, sizeof n, "/g%d", i);
        fv_set(f, "name", fv_strz(n));
        fv_set(f, "contents", fv_strz("g"));
        fv_set(f, "layer", fv_strz("build"));
        add("File", f);
    }
    add_file("/z", "z", 1);
    gen_ok();
    ck_assert_uint_eq(count_lines(D.text.buf, "RUN "), 4);
    fv *group = run_json(D.text.buf, 4);
    ck_assert_int_eq(group->kind, FV_LIST);
    ck_assert_uint_eq(group->n, 3);
    fv_free(group);
    ck_assert_int_eq(D.step_res[3], 1);
    ck_assert_int_eq(D.step_res[4], 4);
}
END_TEST

/* A layer name used again after another resource is refused by bundle_add. */
START_TEST(test_layer_not_consecutive)
{
    const char *names[] = {"/a", "/b", "/c"};
    for (int i = 0; i < 3; i++) {
        fv *f = fv_map();
        fv_set(f, "name", fv_strz(names[i]));
        if (i != 1)
            fv_set(f, "layer", fv_strz("x"));
        strbuf err = STRBUF_INIT;
        int rc = bundle_add(&B, rt_find("Directory"), f, i == 0 ? "f.lua:1" : NULL, &err);
        if (i < 2) {
            ck_assert_int_eq(rc, 0);
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_str_eq(err.buf, "Directory[/c]: layer \"x\" is on resources that are not "
                                      "consecutive: Directory[/a] (f.lua:1) is in it, "
                                      "Directory[/b] is not");
            fv_free(f);
        }
        sb_release(&err);
    }
}
END_TEST

Suite *dockerfile_suite(void)
{
    Suite *s = suite_create("dockerfile");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hello);
    tcase_add_test(tc, test_all_options_in_order);
    tcase_add_test(tc, test_base_user);
    tcase_add_test(tc, test_default_from_image);
    tcase_add_test(tc, test_env_newline_rejected);
    tcase_add_test(tc, test_env_bad_name);
    tcase_add_test(tc, test_bad_port);
    tcase_add_test(tc, test_port_out_of_range);
    tcase_add_test(tc, test_bad_from_image);
    tcase_add_test(tc, test_from_image_line_break);
    tcase_add_test(tc, test_injection_stays_in_json);
    tcase_add_test(tc, test_sensitive_is_blob);
    tcase_add_test(tc, test_binary_is_blob);
    tcase_add_test(tc, test_large_is_blob);
    tcase_add_test(tc, test_at_limit_is_inline);
    tcase_add_test(tc, test_source_is_blob);
    tcase_add_test(tc, test_source_keeps_fields);
    tcase_add_test(tc, test_copy_fallbacks);
    tcase_add_test(tc, test_json_str_escapes);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_cmd_not_utf8);
    tcase_add_test(tc, test_watches_keep_state);
    tcase_add_test(tc, test_sixty_one_per_step);
    tcase_add_test(tc, test_many_grouped);
    tcase_add_test(tc, test_many_edit_last);
    tcase_add_test(tc, test_batch_blobs);
    tcase_add_test(tc, test_ten_thousand_lines_short);
    tcase_add_test(tc, test_dry_run);
    tcase_add_test(tc, test_dry_run_error);
    tcase_add_test(tc, test_healthcheck_stopsignal);
    tcase_add_test(tc, test_healthcheck_shell_none_signal_number);
    tcase_add_test(tc, test_healthcheck_bad_values);
    tcase_add_test(tc, test_artifact_stages);
    tcase_add_test(tc, test_artifact_after_plain);
    tcase_add_test(tc, test_from_image_task_refused);
    tcase_add_test(tc, test_layer_group);
    tcase_add_test(tc, test_parts);
    tcase_add_test(tc, test_layer_not_consecutive);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dockerfile_suite)

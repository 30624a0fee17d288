/* test_taskfile.c -- the Lua host: discovery, naming, globals, the yield
 * protocol, the programmatic API, and the exact first line and exit status
 * of every kind of mistake in a task file.
 *
 * Each test makes a project in a fresh temporary directory, chdirs into it
 * (Check runs every test in its own process) and calls tf_open/tf_run as
 * main.c does. Container tasks run with the dry-run flag, so no test needs
 * Docker: the Dockerfile and bundle JSON land in the captured output. */
#include "testutil.h"

#include "cli.h"
#include "mem.h"
#include "strbuf.h"
#include "taskfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char proj[PATH_MAX];

static void setup(void)
{
    test_tmpdir(proj, sizeof proj, "test-taskfile");
    /* mkdtemp under a symlinked /tmp would differ from getcwd's answer. */
    char *real = realpath(proj, NULL);
    ck_assert_ptr_nonnull(real);
    snprintf(proj, sizeof proj, "%s", real);
    free(real);
    ck_assert_int_eq(chdir(proj), 0);
}

static void teardown(void)
{
    if (test_rmtree(proj) != 0)
        fprintf(stderr, "cannot remove %s\n", proj);
}

/* Writes text to path (relative to the project), creating directories. */
static void put(const char *path, const char *text)
{
    test_mkparents(path);
    test_write(path, text, strlen(text));
}

/* The first line of err, for exact comparison. */
static char *first_line(const strbuf *err)
{
    const char *s = err->buf;
    return xmemdup(s, strcspn(s, "\n"));
}

/* Opens the project (fusefile NULL: discovery) and runs "TASK:k=v,...".
 * Returns the status of the first step that failed; out gets what the task
 * printed (the dry run's Dockerfile and bundle). */
static int run(const char *fusefile, const char *word, strbuf *out, strbuf *err)
{
    tf_host *h;
    int rc = tf_open(&h, fusefile, err);
    if (rc != 0)
        return rc;
    cli_task t;
    rc = cli_parse_task(word, &t, err);
    if (rc == 0) {
        tf_flags fl = {.dry_run = 1};
        FILE *f = tmpfile();
        ck_assert_ptr_nonnull(f);
        rc = tf_run(h, &t, &fl, f, err);
        rewind(f);
        char buf[4096];
        size_t n;
        while (out && (n = fread(buf, 1, sizeof buf, f)) > 0)
            sb_add(out, buf, n);
        fclose(f);
        cli_task_free(&t);
    }
    tf_close(h);
    return rc;
}

/* Runs and checks the status and the exact first line of the error. */
static void expect(const char *fusefile, const char *word, int status, const char *line)
{
    strbuf err = STRBUF_INIT;
    int rc = run(fusefile, word, NULL, &err);
    char *first = first_line(&err);
    ck_assert_msg(rc == status, "status %d, expected %d (error: %s)", rc, status, err.buf);
    ck_assert_str_eq(first, line);
    free(first);
    sb_release(&err);
}

static void expect_ok(const char *word, strbuf *out)
{
    strbuf err = STRBUF_INIT;
    int rc = run(NULL, word, out, &err);
    ck_assert_msg(rc == 0, "status %d: %s", rc, err.buf);
    sb_release(&err);
}

/* ---- bad inputs: one table, one Check test per row ---- */

typedef struct bad_case {
    const char *what;
    const char *fusefile; /* contents of fusefile.lua */
    const char *web;      /* contents of tasks/web.lua, or NULL */
    const char *word;     /* what the user typed */
    int status;
    const char *line; /* the exact first line of the error */
} bad_case;

#define APP                                                                                        \
    "app_server = docker_container { tag = \"x\" } (function (bundle, args)\n"                     \
    "  yield(Package { name = \"python3\" })\n"                                                    \
    "end)\n"

static const bad_case bad[] = {
    {"lua syntax error", "x = = 1\n", NULL, "x", 2, "fusefile.lua:1: unexpected symbol near '='"},
    {"runtime error in a task", "t = task(function ()\n  local f\n  f()\nend)\n", NULL, "t", 1,
     "fusefile.lua:3: attempt to call a nil value (local 'f')"},
    {"runtime error in a container task",
     "c = docker_container(function (bundle, args)\n  return args.nope.x\nend)\n", NULL, "c", 1,
     "fusefile.lua:2: attempt to index a nil value (field 'nope')"},
    {"unknown task", APP, NULL, "nosuch", 2, "unknown task \"nosuch\""},
    {"unknown key", APP, NULL, "app_server:nosuch=1", 2,
     "app_server: the following parameters were not understood: nosuch (accepted: caches, cmd, "
     "engine, entrypoint, env, from_image, healthcheck, labels, maintainer, no_cache, ports, pull, "
     "push, "
     "stopsignal, tag, user, volumes, "
     "workdir)"},
    {"positional argument", APP, NULL, "app_server:mytag", 2,
     "app_server: positional argument \"mytag\" is not supported; use KEY=VALUE"},
    {"bad escape", APP, NULL, "app_server:tag=a\\qb", 2,
     "bad escape \"\\q\" in argument \"app_server:tag=a\\qb\""},
    {"bad boolean from the command line", APP, NULL, "app_server:no_cache=maybe", 2,
     "app_server: no_cache: \"maybe\" is not a boolean (true/false, yes/no, 1/0)"},
    {"number as mode",
     "c = docker_container(function ()\n  yield(File { name = \"/x\", mode = 0644 })\nend)\n", NULL,
     "c", 2, "fusefile.lua:2: File: mode must be an octal string like \"0644\""},
    {"number as mode at load time", "local f = File { name = \"/x\", mode = 644 }\n", NULL, "c", 2,
     "fusefile.lua:1: File: mode must be an octal string like \"0644\""},
    {"relative path",
     "c = docker_container(function ()\n  yield(File { name = \"index.html\" })\nend)\n", NULL, "c",
     2, "fusefile.lua:2: File: name must be an absolute path, not \"index.html\""},
    {"missing required field",
     "c = docker_container(function ()\n  yield(Link { name = \"/a\" "
     "})\nend)\n",
     NULL, "c", 2, "fusefile.lua:2: Link: to is required"},
    {"watch on a later resource",
     "c = docker_container(function ()\n  yield(Execute { name = \"hook\", command = \"x\", "
     "watches = { \"File[/srv/conf]\" } })\n  yield(File { name = \"/srv/conf\" })\nend)\n",
     NULL, "c", 2,
     "fusefile.lua:2: Execute[hook]: watches \"File[/srv/conf]\", which is not an earlier "
     "resource"},
    {"unknown field",
     "c = docker_container(function ()\n\n  yield(Package { name = \"a\", "
     "colour = \"red\" })\nend)\n",
     NULL, "c", 2, "fusefile.lua:3: Package: unknown field \"colour\""},
    {"both contents and source",
     "c = docker_container(function ()\n  yield(File { name = \"/a\", contents = \"x\", source = "
     "\"a.txt\" })\nend)\n",
     NULL, "c", 2, "fusefile.lua:2: File: give contents or source, not both"},
    {"duplicate resource",
     "c = docker_container(function ()\n  yield(File { name = \"/index.html\" })\n  yield(File { "
     "name = \"/index.html\", contents = \"y\" })\nend)\n",
     NULL, "c", 2, "fusefile.lua:3: duplicate resource File[/index.html]"},
    {"duplicate task in one file",
     "app_server = task(function () end)\n\n\napp_server = docker_container(function () end)\n",
     NULL, "app_server", 2,
     "fusefile.lua:4: duplicate task \"app_server\" (first defined at fusefile.lua:1)"},
    {"duplicate task across files", "_ENV[\"web.api\"] = task(function () end)\n",
     "\napi = task(function () end)\n", "web.api", 2,
     "tasks/web.lua:2: duplicate task \"web.api\" (first defined at fusefile.lua:1)"},
    {"yield of a non-resource", "c = docker_container(function ()\n  yield(42)\nend)\n", NULL, "c",
     2, "fusefile.lua:2: yield expects a resource (File{...}, Package{...}, ...), got number"},
    {"yield of a plain table",
     "c = docker_container(function ()\n  yield { name = \"/x\" }\nend)\n", NULL, "c", 2,
     "fusefile.lua:2: yield expects a resource (File{...}, Package{...}, ...), got table"},
    {"wrong option type", "c = docker_container {\n  tag = 5,\n} (function () end)\n", NULL, "c", 2,
     "fusefile.lua:1: docker_container: tag must be a string or a list of strings"},
    {"unknown option", "c = docker_container { colour = \"red\" } (function () end)\n", NULL, "c",
     2, "fusefile.lua:1: docker_container: unknown option \"colour\""},
    {"container option on a plain task", "t = task { tag = \"x\" } (function () end)\n", NULL, "t",
     2, "fusefile.lua:1: task: unknown option \"tag\""},
    {"cyclic table",
     "local env = {}\nenv.self = env\nlocal e = Execute { name = \"x\", command = \"true\", "
     "environment = env }\n",
     NULL, "c", 2,
     "fusefile.lua:3: Execute: environment.self is a cyclic table (it contains itself)"},
    {"function as field value", "local f = File { name = \"/x\", contents = function () end }\n",
     NULL, "c", 2, "fusefile.lua:1: File: contents cannot be a function"},
    {"positional field", "local p = Package { \"curl\" }\n", NULL, "c", 2,
     "fusefile.lua:1: Package: fields are named (Package { name = ... }), not positional"},
    {"mixed table", "local p = Package { name = { \"a\", x = \"b\" } }\n", NULL, "c", 2,
     "fusefile.lua:1: Package: name mixes list items and named fields"},
    {"non-string key",
     "local e = Execute { name = \"x\", command = \"y\", environment = { [true] "
     "= \"1\" } }\n",
     NULL, "c", 2,
     "fusefile.lua:1: Execute: environment has a boolean key; table keys must be strings (or a "
     "list 1..n)"},
    {"constructor given a string", "local f = File \"/x\"\n", NULL, "c", 2,
     "fusefile.lua:1: File expects a table of fields (File { name = ... }), got string"},
    {"unknown policy", "local p = Package { name = \"a\", policy = \"nuke\" }\n", NULL, "c", 2,
     "fusefile.lua:1: Package: unknown policy \"nuke\" (accepted: install, uninstall)"},
    {"error after yielding",
     "c = docker_container(function ()\n  yield(Package { name = \"a\" })\n  "
     "error(\"boom\")\nend)\n",
     NULL, "c", 1, "fusefile.lua:3: boom"},
    {"error with a table value", "t = task(function ()\n  error({ code = 1 })\nend)\n", NULL, "t",
     1, "fusefile.lua:2: (error object is a table value)"},
    {"error object with __tostring",
     "local E = setmetatable({}, { __tostring = function () return \"custom failure\" end })\n"
     "t = task(function () error(E) end)\n",
     NULL, "t", 1, "custom failure"},
    {"multi-line error keeps one first line",
     "t = task(function ()\n  error(\"first\\nsecond\")\nend)\n", NULL, "t", 1,
     "fusefile.lua:2: first"},
    {"require of a missing module", "local m = require \"nosuch\"\n", NULL, "c", 2,
     "fusefile.lua:1: module 'nosuch' not found:"},
    {"docker_container without its function", "app = docker_container { tag = \"x\" }\n", NULL,
     "app", 2,
     "fusefile.lua:1: app: the task has no function: write docker_container { ... } (function "
     "(bundle, args) ... end)"},
    {"docker_container given a string", "app = docker_container \"x\"\n", NULL, "app", 2,
     "fusefile.lua:1: docker_container expects an options table or a function, got string"},
    {"run with an unknown argument",
     "a = task(function () end)\nb = task(function ()\n  a:run { nosuch = 1 }\nend)\n", NULL, "b",
     2, "fusefile.lua:3: the following parameters were not understood: nosuch (accepted: none)"},
    {"runtime error at load time", "local x = nil\nprint(x.y)\n", NULL, "c", 2,
     "fusefile.lua:2: attempt to index a nil value (local 'x')"},
    {"syntax error in tasks/", "ok = task(function () end)\n", "api = task(function ()\n", "ok", 2,
     "tasks/web.lua:2: 'end' expected (to close 'function' at line 1) near <eof>"},
    {"bundle:add of a number",
     "t = task(function ()\n  local b = require(\"fuse.bundle\")"
     ".ResourceBundle()\n  b:add(7)\nend)\n",
     NULL, "t", 2,
     "fusefile.lua:3: add expects a resource (File{...}, Package{...}, ...), got "
     "number"},
    {"DockerBuilder with a bad option",
     "local b = require(\"fuse.bundle\").ResourceBundle()\nlocal d = require(\"fuse.docker\")"
     ".DockerBuilder(b, { tag = {} })\n",
     NULL, "c", 2, "fusefile.lua:2: docker_container: tag must not be an empty list"},
};

START_TEST(test_bad_input)
{
    const bad_case *c = &bad[_i];
    put("fusefile.lua", c->fusefile);
    if (c->web)
        put("tasks/web.lua", c->web);
    strbuf err = STRBUF_INIT;
    int rc = run(NULL, c->word, NULL, &err);
    char *first = first_line(&err);
    ck_assert_msg(rc == c->status, "%s: status %d, expected %d (%s)", c->what, rc, c->status,
                  err.buf);
    ck_assert_msg(strcmp(first, c->line) == 0, "%s:\n got: %s\nwant: %s", c->what, first, c->line);
    free(first);
    sb_release(&err);
}
END_TEST

/* ---- errors that name the temporary directory ---- */

START_TEST(test_no_fusefile_found)
{
    ck_assert_int_eq(mkdir("empty", 0755), 0);
    ck_assert_int_eq(chdir("empty"), 0);
    char line[PATH_MAX + 80];
    snprintf(line, sizeof line,
             "no fusefile.lua or tasks/ found in %s/empty or any parent directory", proj);
    expect(NULL, "x", 2, line);
}
END_TEST

START_TEST(test_bad_f_path)
{
    expect("nosuch.lua", "x", 2, "cannot open nosuch.lua: No such file or directory");
    ck_assert_int_eq(mkdir("adir", 0755), 0);
    expect("adir", "x", 2, "cannot open adir: Is a directory");
}
END_TEST

START_TEST(test_f_error_names_path_as_given)
{
    put("sub/other.lua", "\nx = = 1\n");
    expect("sub/other.lua", "x", 2, "sub/other.lua:2: unexpected symbol near '='");
}
END_TEST

START_TEST(test_missing_source)
{
    put("fusefile.lua", "c = docker_container(function ()\n  yield(File { name = \"/a\", source = "
                        "\"files/a.txt\" })\nend)\n");
    char line[PATH_MAX + 120];
    snprintf(line, sizeof line,
             "fusefile.lua:2: File: cannot read source %s/files/a.txt: No such file or directory",
             proj);
    expect(NULL, "c", 2, line);
}
END_TEST

START_TEST(test_unknown_task_suggests)
{
    put("fusefile.lua", APP);
    put("tasks/web.lua", "api = task(function () end)\n");
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(run(NULL, "app_servr", NULL, &err), 2);
    ck_assert_str_eq(err.buf, "unknown task \"app_servr\"\ndid you mean \"app_server\"?");
    sb_reset(&err);
    ck_assert_int_eq(run(NULL, "api", NULL, &err), 2);
    ck_assert_str_eq(err.buf, "unknown task \"api\"\ndid you mean \"web.api\"?");
    sb_reset(&err);
    ck_assert_int_eq(run(NULL, "zzzzzzzzzzzz", NULL, &err), 2);
    ck_assert_str_eq(err.buf, "unknown task \"zzzzzzzzzzzz\"\nfuse -l lists the tasks");
    sb_release(&err);
}
END_TEST

START_TEST(test_duplicate_resource_detail)
{
    put("fusefile.lua",
        "c = docker_container(function ()\n  yield(File { name = \"/i\" })\n  yield(File { name = "
        "\"/i\" })\nend)\n");
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(run(NULL, "c", NULL, &err), 2);
    ck_assert_str_eq(
        err.buf, "fusefile.lua:3: duplicate resource File[/i]\nfirst defined at fusefile.lua:2");
    sb_release(&err);
}
END_TEST

/* A pcall in the task file catches a rejected yield: the task goes on, and
 * the resource is not in the bundle. */
START_TEST(test_rejection_can_be_caught)
{
    put("fusefile.lua", "c = docker_container(function ()\n"
                        "  local ok, msg = pcall(yield, File { name = \"/a\" })\n"
                        "  ok, msg = pcall(yield, File { name = \"/a\" })\n"
                        "  assert(not ok and msg:find(\"duplicate resource File%[/a%]\"), msg)\n"
                        "  yield(Package { name = \"after\" })\n"
                        "end)\n");
    strbuf out = STRBUF_INIT;
    expect_ok("c", &out);
    ck_assert_ptr_nonnull(strstr(out.buf, "\"name\": \"after\""));
    sb_release(&out);
}
END_TEST

/* ---- positive behaviour ---- */

START_TEST(test_hello_dry_run)
{
    put("fusefile.lua", "app_server = docker_container {\n"
                        "  description = \"Static page served by Python\",\n"
                        "  tag = \"myproject:appserver\",\n"
                        "  ports = { 8000 },\n"
                        "  cmd = { \"python3\", \"-m\", \"http.server\", \"8000\" },\n"
                        "} (function (bundle, args)\n"
                        "  yield(Package { name = \"python3\" })\n"
                        "  yield(File { name = \"/index.html\", contents = \"HELLO WORLD!\" })\n"
                        "end)\n");
    tf_host *h;
    strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_uint_eq(tf_count(h), 1);
    const tf_info *i = tf_get(h, 0);
    ck_assert_str_eq(i->name, "app_server");
    ck_assert_str_eq(i->description, "Static page served by Python");
    ck_assert_str_eq(i->where, "fusefile.lua:1");
    ck_assert_int_eq(i->kind, 1);
    ck_assert_ptr_eq(tf_find(h, "app_server"), i);
    ck_assert_ptr_null(tf_find(h, "nosuch"));
    tf_close(h);
    expect_ok("app_server:tag=mytag,ports=8000;8001", &out);
    char *first = first_line(&out);
    ck_assert_str_eq(first, "# fuse -n: the image would be tagged mytag");
    free(first);
    ck_assert_ptr_nonnull(strstr(out.buf, "EXPOSE 8000 8001\n"));
    ck_assert_ptr_nonnull(strstr(out.buf, "\"Package\""));
    ck_assert_ptr_nonnull(strstr(out.buf, "\"contents\": \"HELLO WORLD!\""));
    sb_release(&out);
    sb_release(&err);
}
END_TEST

START_TEST(test_discovery_from_subdirectory)
{
    put("fusefile.lua", "top = task(function () end)\n");
    put("a/b/c/keep", "");
    ck_assert_int_eq(chdir("a/b/c"), 0);
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_ptr_nonnull(tf_find(h, "top"));
    ck_assert_str_eq(tf_find(h, "top")->where, "fusefile.lua:1");
    tf_close(h);
    sb_release(&err);
}
END_TEST

START_TEST(test_discovery_tasks_only)
{
    put("tasks/db.lua", "migrate = task(function () end)\n");
    put("sub/keep", "");
    ck_assert_int_eq(chdir("sub"), 0);
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_uint_eq(tf_count(h), 1);
    ck_assert_str_eq(tf_get(h, 0)->name, "db.migrate");
    ck_assert_str_eq(tf_get(h, 0)->where, "tasks/db.lua:1");
    tf_close(h);
    sb_release(&err);
}
END_TEST

/* Tasks of tasks/NAME.lua are NAME.TASK; files load fusefile.lua first, then
 * tasks/ in name order; each file's globals are its own, but tasks files
 * can read fusefile.lua's. */
START_TEST(test_tasks_namespacing)
{
    put("fusefile.lua", "order = { \"fusefile\" }\nshared = 42\nz = task(function () end)\n");
    put("tasks/web.lua", "order[#order + 1] = \"web\"\nlocal_to_web = 1\n"
                         "api = task { description = \"the API\" } (function () end)\n");
    put("tasks/b.lua",
        "order[#order + 1] = \"b\"\n"
        "check = task(function ()\n"
        "  assert(shared == 42)\n"
        "  assert(local_to_web == nil, \"globals are per file\")\n"
        "  assert(table.concat(order, \",\") == \"fusefile,b,web\", table.concat(order, \",\"))\n"
        "end)\n");
    put("tasks/notes.txt", "not lua");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_uint_eq(tf_count(h), 3);
    ck_assert_str_eq(tf_get(h, 0)->name, "b.check");
    ck_assert_str_eq(tf_get(h, 1)->name, "web.api");
    ck_assert_str_eq(tf_get(h, 1)->description, "the API");
    ck_assert_str_eq(tf_get(h, 1)->where, "tasks/web.lua:3");
    ck_assert_str_eq(tf_get(h, 2)->name, "z");
    tf_close(h);
    expect_ok("b.check", NULL);
    sb_release(&err);
}
END_TEST

/* tasks["web.api"]: every task of every file, read-only, from any file. */
START_TEST(test_tasks_global)
{
    put("tasks/web.lua", "api = docker_container(function ()\n"
                         "  yield(File { name = \"/api\", contents = \"x\" })\nend)\n"
                         "up = task(function () end)\n");
    put("fusefile.lua",
        "t = task(function ()\n"
        "  local n = 0\n"
        "  for name, task in pairs(tasks) do n = n + 1 assert(tasks[name] == task) end\n"
        "  assert(n == 6, n)\n"
        "  tasks[\"web.api\"]:run()\n"
        "end)\n"
        "u = task(function ()\n  return tasks[\"web.apx\"]\nend)\n"
        "v = task(function ()\n  tasks.x = 1\nend)\n"
        "w = task(function ()\n  return tasks[1]\nend)\n");
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    expect_ok("t", &out);
    ck_assert_ptr_nonnull(strstr(out.buf, "/api"));
    expect(NULL, "u", 2, "fusefile.lua:8: unknown task \"web.apx\"");
    ck_assert_int_eq(run(NULL, "u", NULL, &err), 2);
    ck_assert_ptr_nonnull(strstr(err.buf, "did you mean \"web.api\"?"));
    expect(NULL, "v", 2,
           "fusefile.lua:11: tasks is read-only: a task is defined by assigning it to a name in "
           "its task file");
    expect(NULL, "w", 2,
           "fusefile.lua:14: tasks: a task name is a string like \"web.api\", not number");
    sb_release(&out);
    sb_release(&err);
}
END_TEST

START_TEST(test_f_loads_exactly_that_file)
{
    put("fusefile.lua", "ignored = task(function () end)\n");
    put("tasks/web.lua", "api = task(function () end)\n");
    put("other/build.lua", "only = task(function () end)\n");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, "other/build.lua", &err), 0);
    ck_assert_uint_eq(tf_count(h), 1);
    ck_assert_str_eq(tf_get(h, 0)->name, "only");
    ck_assert_str_eq(tf_get(h, 0)->where, "other/build.lua:1");
    tf_close(h);
    sb_release(&err);
}
END_TEST

START_TEST(test_globals_present)
{
    put("fusefile.lua",
        "t = task(function ()\n"
        "  for _, name in ipairs { \"docker_container\", \"task\", \"yield\", \"sh\", "
        "\"Package\",\n"
        "      \"File\", \"Directory\", \"Link\", \"Execute\", \"User\", \"Group\", \"Line\",\n"
        "      \"Checkout\", \"string\", \"table\", \"io\", \"os\", \"math\", \"coroutine\" } do\n"
        "    assert(_ENV[name] ~= nil, name)\n"
        "  end\n"
        "  local r, d = require \"fuse.resources\", require \"fuse.docker\"\n"
        "  assert(r.File == File and r.Checkout == Checkout)\n"
        "  assert(d.docker_container == docker_container and d.yield == yield)\n"
        "  assert(require(\"fuse.bundle\").ResourceBundle)\n"
        "  assert(tostring(File { name = \"/x\" }) == \"File[/x]\")\n"
        "end)\n");
    expect_ok("t", NULL);
    /* The same check fails when a name is missing: the test can fail. */
    put("fusefile.lua",
        "t = task(function () assert(_ENV.NoSuchResource ~= nil, \"missing\") end)\n");
    expect(NULL, "t", 1, "fusefile.lua:1: missing");
}
END_TEST

START_TEST(test_programmatic_bundle)
{
    put("fusefile.lua",
        "t = task(function ()\n"
        "  local b = require(\"fuse.bundle\").ResourceBundle()\n"
        "  local res = require \"fuse.resources\"\n"
        "  assert(b:add(res.Package { name = \"x\" }).name == \"x\")\n"
        "  b:add(res.Directory { name = \"/srv\", mode = \"0700\" })\n"
        "  assert(#b == 2)\n"
        "  local f = assert(io.open(\"out.json\", \"w\"))\n"
        "  f:write(b:dumps())\n"
        "  f:close()\n"
        "  local builder = require(\"fuse.docker\").DockerBuilder(b, { from_image = "
        "\"debian:bookworm\", tag = \"t\" })\n"
        "  assert(builder.build)\n"
        "end)\n");
    expect_ok("t", NULL);
    char *json = test_slurp("out.json");
    ck_assert_ptr_nonnull(json);
    ck_assert_str_eq(json, "{\"version\":1,\"resources\":[{\"Package\":{\"name\":\"x\"}},"
                           "{\"Directory\":{\"name\":\"/srv\",\"mode\":\"0700\"}}]}");
    free(json);
}
END_TEST

/* The bundle passed to the generator is the one being built: bundle:add and
 * yield append to the same list, in order; yield returns the resource. */
START_TEST(test_yield_and_add_share_the_bundle)
{
    put("fusefile.lua", "c = docker_container(function (bundle, args)\n"
                        "  local p = yield(Package { name = \"one\" })\n"
                        "  assert(p.name == \"one\")\n"
                        "  bundle:add(Package { name = \"two\" })\n"
                        "  assert(#bundle == 2)\n"
                        "  yield(Package { name = \"three\" })\n"
                        "end)\n");
    strbuf out = STRBUF_INIT;
    expect_ok("c", &out);
    const char *s = out.buf;
    const char *one = strstr(s, "\"one\""), *two = strstr(s, "\"two\""),
               *three = strstr(s, "\"three\"");
    ck_assert(one && two && three && one < two && two < three);
    sb_release(&out);
}
END_TEST

START_TEST(test_relative_source)
{
    put("tasks/files/a.txt", "data");
    put("tasks/web.lua", "site = docker_container(function ()\n"
                         "  yield(File { name = \"/a\", source = \"files/a.txt\" })\n"
                         "end)\n"
                         "probe = task(function ()\n"
                         "  local f = assert(io.open(\"src.txt\", \"w\"))\n"
                         "  f:write(File { name = \"/b\", source = \"./files/a.txt\" }.source)\n"
                         "  f:close()\n"
                         "end)\n");
    strbuf out = STRBUF_INIT;
    expect_ok("web.site", &out);
    expect_ok("web.probe", NULL);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s/tasks/files/a.txt", proj);
    char *got = test_slurp("src.txt");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
    sb_release(&out);
}
END_TEST

START_TEST(test_params_and_run)
{
    put("fusefile.lua", "greet = task { params = { who = \"world\", n = 1 } } (function (args)\n"
                        "  local f = assert(io.open(\"greeting\", \"a\"))\n"
                        "  f:write(args.who, \":\", tostring(args.n), \";\")\n"
                        "  f:close()\n"
                        "end)\n"
                        "both = task(function ()\n"
                        "  greet:run()\n"
                        "  greet:run { who = \"a;b\\\\c\", n = 2 }\n"
                        "end)\n");
    expect_ok("greet", NULL);
    expect_ok("greet:who=cli", NULL);
    expect_ok("both", NULL);
    char *got = test_slurp("greeting");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "world:1;cli:1;world:1;a;b\\c:2;");
    free(got);
}
END_TEST

/* other:run on a container task runs its generator and its (dry-run) build. */
START_TEST(test_run_container_from_task)
{
    put("fusefile.lua", "img = docker_container { tag = \"a\" } (function (bundle, args)\n"
                        "  yield(Package { name = args.tag })\n"
                        "end)\n"
                        "all = task(function () img:run { tag = \"from-run\" } end)\n");
    strbuf out = STRBUF_INIT;
    expect_ok("all", &out);
    ck_assert_ptr_nonnull(strstr(out.buf, "\"name\": \"from-run\""));
    sb_release(&out);
}
END_TEST

START_TEST(test_args_of_container)
{
    put("fusefile.lua",
        "c = docker_container { tag = \"t\", env = { A = \"1\" }, params = { v = \"9\" } } "
        "(function (bundle, args)\n"
        "  assert(args.from_image == \"debian:bookworm\", args.from_image)\n"
        "  assert(args.tag == \"cli\" and args.env.A == \"1\" and args.v == \"2\")\n"
        "  yield(Package { name = \"p\" .. args.v })\n"
        "end)\n");
    strbuf out = STRBUF_INIT;
    expect_ok("c:tag=cli,v=2", &out);
    ck_assert_ptr_nonnull(strstr(out.buf, "\"name\": \"p2\""));
    sb_release(&out);
}
END_TEST

START_TEST(test_sh)
{
    put("fusefile.lua", "t = task(function ()\n"
                        "  assert(sh(\"echo hi > sh.out\") == true)\n"
                        "end)\n");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    cli_task t = {.name = "t"};
    tf_flags real = {0};
    ck_assert_int_eq(tf_run(h, &t, &real, stdout, &err), 0);
    char *got = test_slurp("sh.out");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, "hi\n");
    free(got);
    ck_assert_int_eq(unlink("sh.out"), 0);
    /* With -n, sh only says what it would run. */
    FILE *f = tmpfile();
    tf_flags dry = {.dry_run = 1};
    ck_assert_int_eq(tf_run(h, &t, &dry, f, &err), 0);
    rewind(f);
    char line[128] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "sh: echo hi > sh.out\n");
    fclose(f);
    ck_assert_int_eq(access("sh.out", F_OK), -1);
    /* A failing command ends the task with exit status 1, naming the code. */
    put("fail.lua", "t = task(function ()\n  sh(\"exit 3\")\nend)\n");
    tf_close(h);
    ck_assert_int_eq(tf_open(&h, "fail.lua", &err), 0);
    ck_assert_int_eq(tf_run(h, &t, &real, stdout, &err), 1);
    ck_assert_str_eq(err.buf, "fail.lua:2: sh: command exited with status 3: exit 3");
    tf_close(h);
    sb_release(&err);
}
END_TEST

START_TEST(test_display)
{
    put("fusefile.lua", "web = task { description = \"Serve it\\nfor real\", params = { port = "
                        "\"80\" } } (function () end)\n");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    FILE *f = tmpfile();
    ck_assert_int_eq(tf_display(h, "web", f, &err), 0);
    rewind(f);
    char buf[1024] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_str_eq(buf, "web\n    Serve it\n    for real\n\n    task, defined at fusefile.lua:1\n"
                          "    arguments: port\n    param defaults: port=80\n");
    ck_assert_int_eq(tf_display(h, "wbe", stdout, &err), 2);
    ck_assert_str_eq(err.buf, "unknown task \"wbe\"\ndid you mean \"web\"?");
    put("fusefile.lua",
        "img = docker_container { tag = \"app:1\", params = { v = 2, dbg = false } } "
        "(function () end)\nbare = docker_container(function () end)\n");
    tf_close(h);
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    f = tmpfile();
    ck_assert_int_eq(tf_display(h, "img", f, &err), 0);
    ck_assert_int_eq(tf_display(h, "bare", f, &err), 0);
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "    tag: app:1\n    param defaults: dbg=false, v=2\n"));
    ck_assert_ptr_nonnull(strstr(buf, "bare\n"));
    ck_assert_ptr_nonnull(
        strstr(buf, "    tag: none (the image is known by its ID; give tag=NAME)\n"));
    tf_close(h);
    sb_release(&err);
}
END_TEST

/* Task files can require their own modules from lua/ under the root. */
START_TEST(test_require_own_module)
{
    put("lua/helpers.lua", "return { page = function (text)\n"
                           "  return File { name = \"/index.html\", contents = text }\n"
                           "end }\n");
    put("lua/site/init.lua", "return { name = \"site\" }\n");
    put("fusefile.lua", "local h = require \"helpers\"\n"
                        "assert(require(\"site\").name == \"site\")\n"
                        "c = docker_container(function () yield(h.page(\"from module\")) end)\n");
    put("deep/keep", "");
    ck_assert_int_eq(chdir("deep"), 0);
    strbuf out = STRBUF_INIT;
    expect_ok("c", &out);
    ck_assert_ptr_nonnull(strstr(out.buf, "from module"));
    sb_release(&out);
}
END_TEST

START_TEST(test_reassign_and_alias)
{
    put("fusefile.lua", "gone = task(function () end)\n"
                        "gone = nil\n"
                        "a = task(function () end)\n"
                        "b = a\n"
                        "a = a\n");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_uint_eq(tf_count(h), 2);
    ck_assert_str_eq(tf_get(h, 0)->name, "a");
    ck_assert_str_eq(tf_get(h, 1)->name, "b");
    tf_close(h);
    sb_release(&err);
}
END_TEST

START_TEST(test_shebang_and_binary_contents)
{
    put("fusefile.lua", "#!/usr/bin/env fuse\n"
                        "c = docker_container(function ()\n"
                        "  yield(File { name = \"/bin.dat\", contents = \"\\0\\255\\1\" })\n"
                        "end)\n"
                        "t = task(function ()\n"
                        "  local b = require(\"fuse.bundle\").ResourceBundle()\n"
                        "  b:add(File { name = \"/bin.dat\", contents = \"\\0\\255\\1\" })\n"
                        "  assert(b:dumps():find('\"$base64\"', 1, true), b:dumps())\n"
                        "end)\n");
    tf_host *h;
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(tf_open(&h, NULL, &err), 0);
    ck_assert_str_eq(tf_find(h, "c")->where, "fusefile.lua:2");
    tf_close(h);
    expect_ok("c", NULL);
    expect_ok("t", NULL);
    sb_release(&err);
}
END_TEST

/* here() and template() follow the calling file (a task file of tasks/ or a
 * module of lua/), whatever the current directory; project_root is the
 * root. */
START_TEST(test_here_project_root_template)
{
    put("tasks/conf/app.tmpl", "port={{ port }}\n{{app.name}}={{ on }}/{{ n }}\n{{{{ raw }}\n");
    put("lua/conf/mod.tmpl", "module {{ who }}\n");
    put("lua/mod.lua",
        "return { dir = here(\"conf\"),\n"
        "  text = function () return template(\"conf/mod.tmpl\", { who = \"m\" }) end }\n");
    put("tasks/web.lua",
        "local m = require \"mod\"\n"
        "probe = task(function ()\n"
        "  local f = assert(io.open(project_root .. \"/out.txt\", \"w\"))\n"
        "  f:write(here(\"conf\"), \"\\n\", here(\"/abs\"), \"\\n\", here(\".\"), \"\\n\",\n"
        "    project_root, \"\\n\", m.dir, \"\\n\", m.text(),\n"
        "    template(\"./conf/app.tmpl\", { port = 80, app = { name = \"web\" }, on = true, n = 2 "
        "}))\n"
        "  f:close()\n"
        "end)\n");
    put("deep/keep", "");
    ck_assert_int_eq(chdir("deep"), 0);
    expect_ok("web.probe", NULL);
    char *got = test_slurp("../out.txt");
    ck_assert_ptr_nonnull(got);
    strbuf want = STRBUF_INIT;
    sb_addf(&want,
            "%s/tasks/conf\n/abs\n%s/tasks\n%s\n%s/lua/conf\nmodule m\nport=80\nweb=true/2\n{{ raw "
            "}}\n",
            proj, proj, proj, proj);
    ck_assert_str_eq(got, want.buf);
    free(got);
    sb_release(&want);
}
END_TEST

/* Each template mistake: exit 2, the caller's line, then the template's. */
START_TEST(test_template_errors)
{
    static const struct {
        const char *tmpl, *call, *line;
    } rows[] = {
        {"a\n{{ nope }}\n", "{}", "fusefile.lua:2: template t.tmpl:2: no value for {{ nope }}"},
        {"{{ a.b.c }}", "{ a = { b = {} } }",
         "fusefile.lua:2: template t.tmpl:1: no value for {{ a.b.c }}"},
        {"{{ a.b }}", "{ a = \"s\" }",
         "fusefile.lua:2: template t.tmpl:1: {{ a.b }}: a is a string, not a table"},
        {"\n\n{{ a", "{ a = 1 }",
         "fusefile.lua:2: template t.tmpl:3: unclosed {{ (a literal {{ is written {{{{)"},
        {"{{ 1a }}", "{}",
         "fusefile.lua:2: template t.tmpl:1: bad placeholder {{ 1a }}: a name is letters, "
         "digits and _, parts joined by '.' (a literal {{ is written {{{{)"},
        {"{{ f }}", "{ f = print }",
         "fusefile.lua:2: template t.tmpl:1: {{ f }}: the value is a function, not a string, "
         "number or boolean"},
        {"x", "1", "fusefile.lua:2: template: vars must be a table, got number"},
    };
    char lua[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        put("t.tmpl", rows[i].tmpl);
        snprintf(lua, sizeof lua, "t = task(function ()\n  return template(\"t.tmpl\", %s)\nend)\n",
                 rows[i].call);
        put("fusefile.lua", lua);
        expect(NULL, "t", 2, rows[i].line);
    }
    put("fusefile.lua", "x = template(\"missing.tmpl\")\n");
    expect(NULL, "t", 2,
           "fusefile.lua:1: template: cannot read missing.tmpl: No such file or directory");
    put("fusefile.lua", "x = here()\n");
    expect(NULL, "t", 2, "fusefile.lua:1: here: expected a path string, got no value");
}
END_TEST

Suite *taskfile_suite(void)
{
    Suite *s = suite_create("taskfile");
    TCase *tc = tcase_create("bad input");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_no_fusefile_found);
    tcase_add_test(tc, test_bad_f_path);
    tcase_add_test(tc, test_f_error_names_path_as_given);
    tcase_add_test(tc, test_missing_source);
    tcase_add_test(tc, test_unknown_task_suggests);
    tcase_add_test(tc, test_duplicate_resource_detail);
    tcase_add_test(tc, test_rejection_can_be_caught);
    suite_add_tcase(s, tc);

    tc = tcase_create("behaviour");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_hello_dry_run);
    tcase_add_test(tc, test_discovery_from_subdirectory);
    tcase_add_test(tc, test_discovery_tasks_only);
    tcase_add_test(tc, test_tasks_namespacing);
    tcase_add_test(tc, test_f_loads_exactly_that_file);
    tcase_add_test(tc, test_globals_present);
    tcase_add_test(tc, test_programmatic_bundle);
    tcase_add_test(tc, test_yield_and_add_share_the_bundle);
    tcase_add_test(tc, test_relative_source);
    tcase_add_test(tc, test_params_and_run);
    tcase_add_test(tc, test_run_container_from_task);
    tcase_add_test(tc, test_args_of_container);
    tcase_add_test(tc, test_sh);
    tcase_add_test(tc, test_display);
    tcase_add_test(tc, test_require_own_module);
    tcase_add_test(tc, test_tasks_global);
    tcase_add_test(tc, test_reassign_and_alias);
    tcase_add_test(tc, test_shebang_and_binary_contents);
    tcase_add_test(tc, test_here_project_root_template);
    tcase_add_test(tc, test_template_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(taskfile_suite)

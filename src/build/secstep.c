/* secstep.c -- a build whose steps list secrets (fusefile(5), the secrets option).
 *
 * The classic /build has no mounts, and whatever travels in the context or
 * a RUN line stays in a layer or the history. So each unit (a resource, or
 * a layer group) that lists secrets runs as a container of its own, from
 * the image of the step before: a tmpfs at /run/secrets, fuse-apply as the
 * entrypoint with --secrets, the values written to its attached stdin
 * (secret.h's frames, which fuse-apply writes into the tmpfs before it
 * applies), then wait, commit, remove. The tmpfs is never part of the
 * container's file system, so the commit cannot hold it, and nothing of a
 * value is in the context, the command line, the config or a label.
 *
 * The rest is /build parts between those steps (build.c), each FROM the
 * image before; a later part first gives the image its own CMD (and
 * ENTRYPOINT) again, which the commit kept as fuse-apply's. An image
 * without a CMD ends with CMD [], the same to a container.
 *
 * The cache: a committed image is no /build step, so the engine's cache
 * cannot find it. It is labelled fuse.secret-step=KEY, KEY a SHA-256 of
 * the image it started from and of its command line (the resources, with
 * the names of their secrets, never the values), and the next build with
 * the same key takes that image again, so the /build parts after it hit
 * the engine's cache too. A descendant inherits the label: the image found
 * must also be a child of the image the step starts from. Listing images
 * costs a few hundred milliseconds on an engine with thousands, so the
 * final image also records every step as fuse.secret-steps="KEY=ID ...":
 * a rebuild of the tag reads that once and checks each ID's own label.
 * A changed value therefore reruns nothing; --no-cache and no_cache do. */
#include "build_int.h"

#include "dkcontainer.h"
#include "secret.h"
#include "sha256.h"
#include "strvec.h"
#include "term.h"

#include <string.h>

#define SS_LABEL "fuse.secret-step"
#define SS_RECORD "fuse.secret-steps"
#define SS_DIR "/run/secrets"

typedef struct ss_state {
    dk_client *dk;
    const fv *opts;
    const char *user;
    const bundle *b;
    const build_flags *f;
    FILE *out;
    strbuf cur;             /* the image the next step starts from */
    strbuf entrypoint, cmd; /* of the image before the first secret step */
    int have_cmd;
    int committed;    /* cur is a commit: the next part gives ENTRYPOINT and CMD again */
    int base_missing; /* build_part's, for the first part */
    int first;        /* no part built yet */
    const char *plan_label;
    strbuf known;  /* the tagged image's SS_RECORD: "KEY=ID ..." */
    strbuf record; /* this build's */
} ss_state;

/* A /build part [from, to). */
static int ss_part(ss_state *st, size_t from, size_t to, int last, strbuf *err)
{
    strbuf img = STRBUF_INIT;
    df_part dp = {.from = from,
                  .to = to,
                  .from_id = st->first ? NULL : st->cur.buf,
                  .entrypoint = st->committed ? st->entrypoint.buf : NULL,
                  .cmd = st->cmd.buf,
                  .last = last,
                  .label = last && st->record.len ? SS_RECORD : NULL,
                  .label_value = st->record.buf};
    build_part part = {.first = st->first,
                       .last = last,
                       .image = &img,
                       .plan_label = st->plan_label,
                       .base_missing = st->first && st->base_missing};
    int rc = build_part_run(st->dk, st->opts, st->user, st->b, &dp, st->f, &part, st->out, err);
    if (rc == BUILD_OK && !last) {
        sb_reset(&st->cur);
        sb_addbuf(&st->cur, &img);
    }
    st->first = 0;
    st->committed = 0;
    sb_release(&img);
    return rc;
}

/* A step with secrets takes nothing from the context: the resources of its
 * unit must be whole in their JSON. */
static int ss_check_unit(const bundle *b, size_t from, size_t to, strbuf *err)
{
    for (size_t i = from; i < to; i++) {
        const bundle_res *r = &b->items[i];
        if (!df_needs_blob(r) && !df_is_tree(r) && !fv_get(r->fields, "from"))
            continue;
        sb_addf(err, "%s", r->ident ? r->ident : r->type->name);
        if (r->where)
            sb_addf(err, " (%s)", r->where);
        sb_adds(err, ": a step with secrets cannot copy data from the build context or another "
                     "image (a source, sensitive, large or binary contents, from); give it a step "
                     "of its own");
        return -1;
    }
    return 0;
}

/* fuse-apply's command line for the unit [from, to). */
static int ss_argv(const bundle *b, size_t from, size_t to, strvec *argv, strbuf *err)
{
    strbuf json = STRBUF_INIT;
    int rc = 0;
    if (to > from + 1)
        sb_addc(&json, '[');
    for (size_t i = from; i < to && rc == 0; i++) {
        if (i > from)
            sb_addc(&json, ',');
        rc = bundle_res_dump(&b->items[i], &json, 0);
    }
    if (to > from + 1)
        sb_addc(&json, ']');
    if (rc < 0) {
        sb_addf(err, "resource %zu (%s): cannot write its JSON", from + 1,
                b->items[from].type->name);
    } else {
        df_apply_argv(bundle_any_watches(b), argv);
        strvec_pushv(argv, (const char *const[]){"--secrets", SS_DIR, "--json", json.buf, NULL});
    }
    sb_release(&json);
    return rc < 0 ? -1 : 0;
}

/* KEY: the container's create request, which names the image the step
 * starts from and holds its command line (and no value). */
static void ss_key(const strbuf *create, strbuf *key)
{
    strbuf in = STRBUF_INIT;
    sb_adds(&in, "fuse secret step 1\n");
    sb_addbuf(&in, create);
    sha256_of(in.buf, in.len, key);
    sb_release(&in);
}

/* The frames of every secret the unit's resources list, each once. */
static int ss_frames(const ss_state *st, size_t from, size_t to, sec_buf *out, strbuf *err)
{
    strvec done = STRVEC_INIT;
    int rc = 0;
    for (size_t i = from; i < to && rc == 0; i++) {
        const fv *names = fv_get(st->b->items[i].fields, "secrets");
        for (size_t k = 0; names && names->kind == FV_LIST && k < names->n && rc == 0; k++) {
            const char *n = names->items[k]->str;
            int seen = 0;
            for (size_t d = 0; d < done.nr; d++)
                seen |= strcmp(done.v[d], n) == 0;
            if (seen)
                continue;
            const sec_item *it = st->f->secrets ? sec_set_get(st->f->secrets, n) : NULL;
            if (!it) {
                sb_addf(err, "secret %s has no value here (only a task's own build reads them)", n);
                rc = -1;
                break;
            }
            sec_frame(out, n, &it->val);
            strvec_push(&done, n);
        }
    }
    sec_frame_end(out);
    strvec_clear(&done);
    return rc;
}

/* The container's create request: fuse-apply as the command (as the
 * entrypoint when the image has one, which would run it otherwise), stdin
 * open for the frames, a tmpfs at SS_DIR. */
static void ss_create_json(const char *image, int entrypoint, const strvec *argv, strbuf *json)
{
    sb_adds(json, "{\"Image\":");
    df_json_str(json, image, strlen(image));
    if (entrypoint) {
        sb_adds(json, ",\"Entrypoint\":[");
        df_json_str(json, argv->v[0], strlen(argv->v[0]));
        sb_addc(json, ']');
    }
    sb_adds(json, ",\"Cmd\":[");
    for (size_t i = entrypoint ? 1 : 0; i < argv->nr; i++) {
        if (i > (entrypoint ? 1u : 0u))
            sb_addc(json, ',');
        df_json_str(json, argv->v[i], strlen(argv->v[i]));
    }
    sb_adds(json, "],\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,"
                  "\"OpenStdin\":true,\"StdinOnce\":true,\"Tty\":false,"
                  "\"HostConfig\":{\"Tmpfs\":{\"" SS_DIR "\":\"mode=0755,size=16m\"}}}");
}

typedef struct ss_output {
    strbuf text;
    FILE *show; /* -v: the output as it comes, or NULL */
} ss_output;

static void ss_on_output(int stream, const char *data, size_t len, void *ud)
{
    ss_output *o = ud;
    (void)stream;
    if (o->show) {
        fwrite(data, 1, len, o->show);
        fflush(o->show);
    }
    build_keep_tail(&o->text);
    sb_add(&o->text, data, len);
}

/* Attaches, starts, hands the frames over, follows the output, waits. */
static int ss_attach_run(ss_state *st, const char *id, const sec_buf *frames, ss_output *o,
                         long *code, strbuf *err)
{
    dkct_attach *a = NULL;
    int rc = dkct_attach_open(st->dk, id, &a, err);
    if (rc == 0)
        rc = dkct_start(st->dk, id, err);
    if (rc == 0)
        rc = dkct_attach_send(a, frames->p, frames->len, err);
    if (rc == 0)
        rc = dkct_attach_read(a, ss_on_output, o, err);
    dkct_attach_close(a);
    if (rc == 0)
        rc = dkct_wait(st->dk, id, code, err);
    return rc;
}

/* Runs the unit in a container from st->cur; commits it labelled key. */
static int ss_run(ss_state *st, size_t from, const strbuf *json, const sec_buf *frames,
                  const char *key, strbuf *err)
{
    strbuf id = STRBUF_INIT, img = STRBUF_INIT;
    ss_output o = {.text = STRBUF_INIT, .show = st->f->verbose ? st->out : NULL};
    long code = -1;
    int rc = dkct_create(st->dk, json->buf, &id, err);
    if (rc == 0)
        rc = ss_attach_run(st, id.buf, frames, &o, &code, err);
    if (rc == 0 && code != 0) {
        build_step_failed(st->b, (long)from, o.text.buf, (int)code, err);
        rc = -1;
    } else if (rc == 0) {
        strvec ch = STRVEC_INIT;
        strvec_pushf(&ch, "LABEL " SS_LABEL "=%s", key);
        rc = dkct_commit(st->dk, id.buf, &ch, &img, err);
        strvec_clear(&ch);
    }
    if (id.len)
        dkct_remove(st->dk, id.buf);
    if (rc == 0) {
        sb_reset(&st->cur);
        sb_addbuf(&st->cur, &img);
        st->committed = 1;
    }
    sb_release(&id);
    sb_release(&img);
    sb_release(&o.text);
    return rc;
}

static void ss_progress(const ss_state *st, size_t from, const char *note)
{
    const bundle_res *r = &st->b->items[from];
    if (st->f->quiet)
        return;
    strbuf label = STRBUF_INIT;
    build_res_label(r, &label);
    if (st->f->verbose) {
        fprintf(st->out, "fuse: [%zu/%zu] %s: a container with its secrets%s\n", from + 1, st->b->n,
                label.buf, note);
        fflush(st->out);
    } else {
        char head[48];
        snprintf(head, sizeof head, "[%zu/%zu]", from + 1, st->b->n);
        term_progress(st->out, head, label.buf);
    }
    sb_release(&label);
}

/* The image of an earlier run of the step keyed key: from the tagged
 * image's record when its ID still has that key, else from the engine's
 * images. Returns 0 (found), 1, -1 or -2. */
static int ss_lookup(ss_state *st, const char *key, strbuf *found, strbuf *err)
{
    size_t kl = strlen(key);
    for (const char *p = st->known.buf; (p = strstr(p, key)) != NULL; p += kl) {
        if ((p != st->known.buf && p[-1] != ' ') || p[kl] != '=')
            continue;
        strbuf id = STRBUF_INIT, has = STRBUF_INIT, why = STRBUF_INIT;
        sb_add(&id, p + kl + 1, strcspn(p + kl + 1, " "));
        int rc = dkct_image_label(st->dk, id.buf, SS_LABEL, &has, &why);
        if (rc == 0 && strcmp(has.buf, key) == 0)
            sb_addbuf(found, &id);
        sb_release(&has);
        sb_release(&why);
        sb_release(&id);
        if (rc == -2)
            return -2;
        if (found->len)
            return 0;
    }
    return dkct_find_image(st->dk, SS_LABEL, key, st->cur.buf, found, err);
}

/* The unit [from, to): the image of an earlier run with the same key, or a
 * new one. */
static int ss_step(ss_state *st, size_t from, size_t to, strbuf *err)
{
    strvec argv = STRVEC_INIT;
    strbuf key = STRBUF_INIT, found = STRBUF_INIT, json = STRBUF_INIT;
    sec_buf frames = {0};
    int rc = ss_check_unit(st->b, from, to, err) == 0 && ss_argv(st->b, from, to, &argv, err) == 0
                 ? 0
                 : -1;
    if (rc == 0) {
        ss_create_json(st->cur.buf, st->entrypoint.len > 0, &argv, &json);
        ss_key(&json, &key);
        const fv *nc = fv_get(st->opts, "no_cache");
        int no_cache = st->f->no_cache || (nc && nc->kind == FV_BOOL && nc->b) ||
                       (df_first_no_cache(st->b) >= 0 && (size_t)df_first_no_cache(st->b) < to);
        rc = no_cache ? 1 : ss_lookup(st, key.buf, &found, err);
    }
    if (rc == 0) {
        ss_progress(st, from, " (cached)");
        sb_reset(&st->cur);
        sb_addbuf(&st->cur, &found);
        st->committed = 1;
    } else if (rc == 1) {
        ss_progress(st, from, "");
        rc = ss_frames(st, from, to, &frames, err);
        if (rc == 0)
            rc = ss_run(st, from, &json, &frames, key.buf, err);
    }
    if (rc == 0)
        sb_addf(&st->record, "%s%s=%s", st->record.len ? " " : "", key.buf, st->cur.buf);
    sec_buf_free(&frames);
    strvec_clear(&argv);
    sb_release(&key);
    sb_release(&found);
    sb_release(&json);
    return rc;
}

static int ss_status(int rc, strbuf *err)
{
    if (rc == -2) {
        sb_reset(err);
        sb_adds(err, "interrupted; the build was cancelled");
        return BUILD_INTERRUPTED;
    }
    return rc == 0 ? BUILD_OK : BUILD_FAILED;
}

int ss_build(dk_client *dk, const fv *opts, const char *user, int base_missing, const bundle *b,
             const build_flags *f, const char *plan_label, FILE *out, strbuf *err)
{
    ss_state st = {.dk = dk,
                   .plan_label = plan_label,
                   .opts = opts,
                   .user = user,
                   .base_missing = base_missing,
                   .b = b,
                   .f = f,
                   .out = out,
                   .cur = STRBUF_INIT,
                   .entrypoint = STRBUF_INIT,
                   .cmd = STRBUF_INIT,
                   .known = STRBUF_INIT,
                   .record = STRBUF_INIT,
                   .first = 1};
    int rc = BUILD_OK;
    const char *tag = build_tag(opts, 0);
    if (tag) {
        strbuf why = STRBUF_INIT;
        rc = ss_status(dkct_image_label(dk, tag, SS_RECORD, &st.known, &why) == -2 ? -2 : 0, err);
        sb_release(&why);
    }
    size_t part_from = 0;
    for (size_t i = 0, j; i < b->n && rc == BUILD_OK; i = j) {
        j = df_unit_end(b, i);
        if (!df_unit_secrets(b, i, j))
            continue;
        if (st.first || part_from < i)
            rc = ss_part(&st, part_from, i, 0, err);
        if (rc == BUILD_OK && !st.have_cmd) {
            st.have_cmd = 1;
            rc = ss_status(dkct_image_cmd(dk, st.cur.buf, &st.cmd, &st.entrypoint, err), err);
        }
        if (rc == BUILD_OK) {
            rc = ss_status(ss_step(&st, i, j, err), err);
            term_progress_end();
        }
        part_from = j;
    }
    if (rc == BUILD_OK)
        rc = ss_part(&st, part_from, b->n, 1, err);
    sb_release(&st.cur);
    sb_release(&st.entrypoint);
    sb_release(&st.cmd);
    sb_release(&st.known);
    sb_release(&st.record);
    return rc;
}

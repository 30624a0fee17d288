/* dkcontainer.h -- the containers API, for a build step run outside
 * /build (src/build/secstep.c): create, attach (the connection taken over
 * for stdin and the multiplexed output), start, wait, commit, remove; and
 * finding an image by label. Requests go through docker.c's dk_call; the
 * attach has a connection of its own. */
#ifndef FUSE_DKCONTAINER_H
#define FUSE_DKCONTAINER_H

#include "dkmux.h"
#include "docker.h"
#include "strvec.h"

/* POST /containers/create with the JSON body; appends the new ID to id.
 * Returns 0, 1 when the image is gone, -1 with one line in err, -2
 * interrupted. */
int dkct_create(dk_client *c, const char *json, strbuf *id, strbuf *err);
int dkct_start(dk_client *c, const char *id, strbuf *err);
/* POST /containers/{id}/wait: *code is the exit status. */
int dkct_wait(dk_client *c, const char *id, long *code, strbuf *err);
/* POST /commit with each of changes as a change (Dockerfile instructions
 * such as LABEL); appends the image ID to image. */
int dkct_commit(dk_client *c, const char *id, const strvec *changes, strbuf *image, strbuf *err);
/* DELETE /containers/{id}?force=1&v=1, even after ^C (the container
 * holds the step's secrets while it runs); errors are not worth reporting. */
void dkct_remove(dk_client *c, const char *id);
/* The ID of an image labelled label=value whose parent is parent (a child
 * of it inherits the label, but not the parent), appended to id. Returns 0
 * found, 1 none, -1 with err, -2 interrupted. */
int dkct_find_image(dk_client *c, const char *label, const char *value, const char *parent,
                    strbuf *id, strbuf *err);
/* Config.Cmd and Config.Entrypoint of an image, as JSON arrays ("" when
 * the image has none). */
int dkct_image_cmd(dk_client *c, const char *image, strbuf *cmd, strbuf *entrypoint, strbuf *err);

/* Appends the value of image's label (nothing when it has none). Returns
 * 0, 1 when there is no such image, -1 with err, -2 interrupted. */
int dkct_image_label(dk_client *c, const char *image, const char *label, strbuf *value,
                     strbuf *err);

/* An attached container: its stdin written, its output read. */
typedef struct dkct_attach dkct_attach;
/* POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1 on a
 * connection of its own, taken over by the engine (HTTP 101). */
int dkct_attach_open(dk_client *c, const char *id, dkct_attach **out, strbuf *err);
int dkct_attach_send(dkct_attach *a, const void *data, size_t len, strbuf *err);
/* Reads the output until the engine closes the stream (the container
 * exited), each piece to out. Returns 0, -1 with err, -2 interrupted. */
int dkct_attach_read(dkct_attach *a, dkm_out_fn out, void *ud, strbuf *err);
void dkct_attach_close(dkct_attach *a);

#endif

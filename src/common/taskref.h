/* taskref.h -- how a task object travels inside an fv tree.
 *
 * `from_image = base` and `File { from = builder }` hold a docker_container
 * task, a Lua value that fv cannot carry. The Lua host converts it to this
 * marker, a map of one key holding the task's serial number, so that
 * options.c and restype.c can accept it without knowing Lua; the host turns
 * it back into the task (lc_push) and, before a build, into the image ID of
 * that task's build (deps.c). */
#ifndef FUSE_TASKREF_H
#define FUSE_TASKREF_H

#include "fv.h"

#define TASKREF_KEY "fuse.task"

static inline fv *taskref_new(long serial)
{
    fv *m = fv_map();
    fv_set(m, TASKREF_KEY, fv_num((double)serial));
    return m;
}

/* The serial of a marker, or -1 when v is not one. */
static inline long taskref_serial(const fv *v)
{
    if (!v || v->kind != FV_MAP || v->n != 1)
        return -1;
    const fv *s = fv_get(v, TASKREF_KEY);
    return s && fv_is_int(s) && s->num > 0 ? (long)s->num : -1;
}

#endif

/* build.c -- placeholder until the Docker build lands (issue 4). */
#include "build.h"

int build_run(const fv *opts, const bundle *b, const build_flags *f, FILE *out, strbuf *err)
{
    (void)opts, (void)b, (void)f, (void)out;
    sb_adds(err, "DockerBuilder: build is not yet implemented");
    return BUILD_FAILED;
}

int build_dry_run(const fv *opts, const bundle *b, FILE *out, strbuf *err)
{
    (void)opts, (void)b, (void)out;
    sb_adds(err, "dry run is not yet implemented");
    return BUILD_FAILED;
}

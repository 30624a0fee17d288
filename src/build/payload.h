/* payload.h -- the embedded fuse-apply binary (src/payload.S). */
#ifndef FUSE_PAYLOAD_H
#define FUSE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

extern const unsigned char fuse_payload_start[];
extern const unsigned char fuse_payload_end[];
/* Its size. The two symbols bound one array that C does not see (payload.S),
 * so the difference is taken on integers. */
static inline size_t payload_size(void)
{
    return (size_t)((uintptr_t)fuse_payload_end - (uintptr_t)fuse_payload_start);
}

#endif

/* payload.h -- the embedded fuse-apply binary (src/payload.S). */
#ifndef FUSE_PAYLOAD_H
#define FUSE_PAYLOAD_H

extern const unsigned char fuse_payload_start[];
extern const unsigned char fuse_payload_end[];

#endif

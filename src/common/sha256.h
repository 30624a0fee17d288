/* sha256.h -- SHA-256 (FIPS 180-4) of a byte string, as lowercase hex.
 *
 * The docker CLI files a context under the SHA-256 of its name
 * (contexts/meta/<hex>/meta.json); fuse needs the hash for nothing else
 * that must match another program bit for bit, and links no crypto
 * library, so the 70 lines are here. */
#ifndef FUSE_SHA256_H
#define FUSE_SHA256_H

#include <stddef.h>

#define SHA256_HEX_SIZE 65 /* 64 hex digits and the NUL */

/* Writes the hash of data[0..len) into hex as 64 lowercase digits. */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);

#endif

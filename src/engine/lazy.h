/* lazy.h -- libcurl and libarchive, loaded when a build needs them.
 *
 * Most fuse runs (-l, -d, -n, a task file error) never talk to Docker, yet
 * linking libcurl and libarchive made every run map ~46 shared libraries
 * (gnutls, krb5, ldap, ICU...): the dynamic loader was most of fuse's
 * startup time. So fuse links only Lua and yajl, and the modules that use
 * libcurl (docker.c) or libarchive (context.c) first call lz_curl_load() or
 * lz_archive_load(), which dlopen the library once and fill a table of
 * function pointers: lz_curl.easy_init() where the code said
 * curl_easy_init(). The headers still give the types and constants. */
#ifndef FUSE_LAZY_H
#define FUSE_LAZY_H

#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <stddef.h>

/* The sonames fuse was built against, and the Debian packages holding them
 * (named in the error when one is missing). */
#define LZ_CURL_SONAME "libcurl.so.4"
#define LZ_CURL_PKG "libcurl4"
#define LZ_ARCHIVE_SONAME "libarchive.so.13"
#define LZ_ARCHIVE_PKG "libarchive13"

/* The libcurl functions fuse calls, as (field, symbol). Each field's type
 * is taken from the header's own declaration, so it cannot drift from it.
 * easy_setopt and easy_getinfo are variadic in libcurl itself: calling them
 * through the pointer passes each argument exactly as a direct call would. */
#define LZ_CURL_FUNCS(X)                                                                           \
    X(global_init, curl_global_init)                                                               \
    X(global_cleanup, curl_global_cleanup)                                                         \
    X(easy_init, curl_easy_init)                                                                   \
    X(easy_cleanup, curl_easy_cleanup)                                                             \
    X(easy_reset, curl_easy_reset)                                                                 \
    X(easy_setopt, curl_easy_setopt)                                                               \
    X(easy_getinfo, curl_easy_getinfo)                                                             \
    X(easy_perform, curl_easy_perform)                                                             \
    X(easy_send, curl_easy_send)                                                                   \
    X(easy_recv, curl_easy_recv)                                                                   \
    X(easy_strerror, curl_easy_strerror)                                                           \
    X(slist_append, curl_slist_append)                                                             \
    X(slist_free_all, curl_slist_free_all)                                                         \
    X(version_info, curl_version_info)

/* The libarchive functions fuse calls (writing a tar). */
#define LZ_ARCHIVE_FUNCS(X)                                                                        \
    X(write_new, archive_write_new)                                                                \
    X(write_set_format_pax_restricted, archive_write_set_format_pax_restricted)                    \
    X(write_add_filter_none, archive_write_add_filter_none)                                        \
    X(write_set_bytes_per_block, archive_write_set_bytes_per_block)                                \
    X(write_open, archive_write_open)                                                              \
    X(write_header, archive_write_header)                                                          \
    X(write_data, archive_write_data)                                                              \
    X(write_finish_entry, archive_write_finish_entry)                                              \
    X(write_close, archive_write_close)                                                            \
    X(write_free, archive_write_free)                                                              \
    X(error_string, archive_error_string)                                                          \
    X(entry_new, archive_entry_new)                                                                \
    X(entry_free, archive_entry_free)                                                              \
    X(entry_set_pathname, archive_entry_set_pathname)                                              \
    X(entry_set_filetype, archive_entry_set_filetype)                                              \
    X(entry_set_symlink, archive_entry_set_symlink)                                                \
    X(entry_set_perm, archive_entry_set_perm)                                                      \
    X(entry_set_size, archive_entry_set_size)                                                      \
    X(entry_set_mtime, archive_entry_set_mtime)                                                    \
    X(entry_set_uid, archive_entry_set_uid)                                                        \
    X(entry_set_gid, archive_entry_set_gid)                                                        \
    X(version_details, archive_version_details)

#define LZ_FIELD(field, sym) __typeof__(&sym) field;
typedef struct {
    LZ_CURL_FUNCS(LZ_FIELD)
} lz_curl_api;
typedef struct {
    LZ_ARCHIVE_FUNCS(LZ_FIELD)
} lz_archive_api;
#undef LZ_FIELD

/* Filled by the loaders; valid only after one returned 0. */
extern lz_curl_api lz_curl;
extern lz_archive_api lz_archive;

/* Load the library once per process (later calls return 0 at once). On
 * failure: -1 and one line in err, "cannot load libcurl.so.4: <why>;
 * install libcurl4". The library stays loaded until exit. */
int lz_curl_load(strbuf *err);
int lz_archive_load(strbuf *err);

/* The loader both use, for tests: dlopen soname and resolve each name of
 * names[0..n) into the n pointer slots of table, in order. */
int lz_load(const char *soname, const char *pkg, const char *const *names, size_t n, void *table,
            strbuf *err);

#endif

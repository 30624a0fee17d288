/* lazy.c -- dlopen libcurl and libarchive on first use (see lazy.h). */
#include "lazy.h"

#include <dlfcn.h>
#include <string.h>

lz_curl_api lz_curl;
lz_archive_api lz_archive;

/* Every slot of the tables is one function pointer, so a table is an array
 * of n pointers filled in the order of its names. */
#define LZ_NAME(field, sym) #sym,
#define LZ_COUNT(field, sym) +1
static const char *const lz_curl_names[] = {LZ_CURL_FUNCS(LZ_NAME)};
static const char *const lz_archive_names[] = {LZ_ARCHIVE_FUNCS(LZ_NAME)};
_Static_assert(sizeof(lz_curl_api) == (0 LZ_CURL_FUNCS(LZ_COUNT)) * sizeof(void (*)(void)),
               "lz_curl_api holds exactly one pointer per name");
_Static_assert(sizeof(lz_archive_api) == (0 LZ_ARCHIVE_FUNCS(LZ_COUNT)) * sizeof(void (*)(void)),
               "lz_archive_api holds exactly one pointer per name");

int lz_load(const char *soname, const char *pkg, const char *const *names, size_t n, void *table,
            strbuf *err)
{
    /* RTLD_LOCAL: nothing else in fuse should resolve against these. */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        sb_addf(err, "cannot load %s: %s; install %s", soname, why ? why : "dlopen failed", pkg);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        dlerror();
        void *p = dlsym(h, names[i]);
        if (!p) {
            const char *why = dlerror();
            sb_addf(err, "cannot load %s: %s; install %s", soname,
                    why ? why : "a function is missing", pkg);
            dlclose(h);
            return -1;
        }
        /* POSIX guarantees a dlsym() result converts to a function pointer;
         * memcpy does so without a cast C11 leaves undefined. */
        memcpy((char *)table + i * sizeof p, &p, sizeof p);
    }
    return 0;
}

int lz_curl_load(strbuf *err)
{
    static int done;
    if (done)
        return 0;
    lz_curl_api t;
    if (lz_load(LZ_CURL_SONAME, LZ_CURL_PKG, lz_curl_names,
                sizeof lz_curl_names / sizeof *lz_curl_names, &t, err) != 0)
        return -1;
    lz_curl = t;
    done = 1;
    return 0;
}

int lz_archive_load(strbuf *err)
{
    static int done;
    if (done)
        return 0;
    lz_archive_api t;
    if (lz_load(LZ_ARCHIVE_SONAME, LZ_ARCHIVE_PKG, lz_archive_names,
                sizeof lz_archive_names / sizeof *lz_archive_names, &t, err) != 0)
        return -1;
    lz_archive = t;
    done = 1;
    return 0;
}

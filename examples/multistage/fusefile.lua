-- fusefile.lua -- a compiled program in a slim image: a multi-stage build.
--
--   fuse site                      build the builder, then fuse-example/site:1.0
--                                  and fuse-example/site:latest
--   fuse site:tag=web:1;web:latest the same, with other tags
--   docker run --rm -p 8080:8080 fuse-example/site
--
-- builder compiles src/site.c (a small HTTP server) with gcc on Debian; site
-- takes only the binary out of it (from = builder), on the busybox image, and
-- adds the pages of www/ as one tree and a configuration rendered from
-- site.conf.tmpl. None of the builder's layers (gcc, the C library's headers,
-- the sources) are in site's image.

-- The builder: gcc and the C library's headers, the sources, one compile.
-- gcc -static because the final image has no C library. No tag: site uses
-- the image by its ID (fusefile(5), DEPENDENCIES).
builder = docker_container {
  description = "compiles src/site.c with gcc",
  from_image = "debian:bookworm",
} (function ()
  yield(Package { name = { "gcc", "libc6-dev" } })
  yield(Directory { name = "/build/src", parents = true, source = "src" })
  yield(Execute {
    name = "compile",
    command = "gcc -std=c11 -Os -static -s -o /build/site src/site.c",
    cwd = "/build",
  })
end)

site = docker_container {
  description = "the static site, served by the binary builder compiled",
  from_image = "fuse-test/busybox",
  tag = { "fuse-example/site:1.0", "fuse-example/site:latest" },
  ports = { 8080 },
  user = "65534:65534", -- nobody; the server writes nothing
  cmd = { "/usr/local/bin/site" },
  healthcheck = {
    cmd = { "/usr/local/bin/site", "--check" },
    interval = "5s",
    timeout = "3s",
    retries = 3,
  },
} (function ()
  -- The artifact: one COPY --from of the builder's image, mode kept (0755).
  yield(File { name = "/usr/local/bin/site", from = builder, source = "/build/site" })

  -- The pages, a tree copied in one step. www/.fuseignore adds README.md to
  -- these patterns.
  yield(Directory {
    name = "/srv/www",
    source = "www",
    exclude = { "drafts/", "**/*.bak" },
  })

  -- The configuration, rendered now from the template next to this file.
  yield(Directory { name = "/etc/site" })
  yield(File {
    name = "/etc/site/site.conf",
    contents = template("site.conf.tmpl", {
      port = 8080,
      site = { root = "/srv/www", name = "multistage" },
    }),
    mode = "0644",
  })
end)

-- tasks/fuse.lua -- fuse builds fuse: this repository's own tasks.
--
--   make                          build/fuse and build/fuse-apply
--   fuse -l                       at the repository root: these tasks
--   fuse fuse.image               an image with fuse and fuse-apply, tagged fuse:dev
--   fuse fuse.check               build that image, run fuse --version in it
--   fuse fuse.check:build=/tmp/b,tag=me/fuse   binaries from another build dir
--
-- In the image, fuse reads the project mounted at /work:
--   docker run --rm -v "$PWD:/work" fuse:dev fuse -n app_server
-- and builds when given the engine's socket too
-- (-v /var/run/docker.sock:/var/run/docker.sock).

-- The shared libraries build/fuse links against (ldd build/fuse); fuse-apply
-- is static and needs nothing.
local RUNTIME = { "liblua5.4-0", "libcurl4", "libyajl2", "libarchive13" }

image = docker_container {
  description = "Image with fuse and fuse-apply from the build directory",
  from_image = "debian:bookworm",
  tag = "fuse:dev",
  workdir = "/work",
  cmd = { "fuse", "--help" },
  labels = { ["org.opencontainers.image.title"] = "fuse" },
  -- build: the directory holding fuse and fuse-apply; relative to tasks/.
  params = { build = "../build" },
} (function (bundle, args)
  yield(Package { name = RUNTIME })
  for _, bin in ipairs({ "fuse", "fuse-apply" }) do
    yield(File { name = "/usr/local/bin/" .. bin, source = args.build .. "/" .. bin, mode = "0755" })
  end
  -- The seed's example, so the image can show a dry run with nothing mounted.
  yield(Directory { name = "/usr/local/share/doc/fuse/examples/hello", parents = true })
  yield(File {
    name = "/usr/local/share/doc/fuse/examples/hello/fusefile.lua",
    source = "../examples/hello/fusefile.lua",
    mode = "0644",
  })
  yield(Directory { name = "/work" })
end)

-- Builds the image, then checks it from outside: fuse runs in the image
-- (its shared libraries are there) and plans the hello example's build
-- (a dry run needs no engine). sh raises on a non-zero exit: exit status 1.
check = task {
  description = "Build fuse.image and run fuse --version and a dry run in it",
  params = { build = "../build", tag = "fuse:dev" },
} (function (args)
  image:run { build = args.build, tag = args.tag }
  sh("docker run --rm " .. args.tag .. " fuse --version")
  sh("docker run --rm -w /usr/local/share/doc/fuse/examples/hello " .. args.tag
    .. " fuse -n app_server | grep -q '\"HELLO WORLD!\"'")
  print("fuse.check: the image runs fuse " .. args.tag)
end)

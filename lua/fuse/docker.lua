-- fuse.docker: tasks and the programmatic builder.
--
--   local builder = require("fuse.docker").DockerBuilder(b, { from_image = "debian:bookworm", tag = "x" })
--   for message in builder:build() do io.write(message.stream or "") end
local core = require "fuse.core"
local prelude = require "fuse.prelude"

return {
  DockerBuilder = core.DockerBuilder,
  docker_container = core.docker_container,
  task = core.task,
  sh = core.sh,
  yield = prelude.yield,
}

-- fuse.prelude: the globals of every task file (fusefile(5)).
--
-- The work happens in C (the internal module fuse.core): options, resources
-- and the bundle are validated there, against the same tables fuse-apply
-- uses. This file only names things, and holds yield, which must be Lua so
-- that a rejected resource is raised at the task file's line.
local core = require "fuse.core"

local prelude = {
  docker_container = core.docker_container,
  blueprint = core.blueprint,
  task = core.task,
  sh = core.sh,
  here = core.here,
  template = core.template,
  project_root = core.project_root,
}

-- yield(resource) hands one resource to the C side, which validates it and
-- appends it to the bundle, then resumes with true, or with false and the
-- reason. error(..., 2) puts the caller's position in front of the reason:
-- "fusefile.lua:7: duplicate resource File[/index.html]".
function prelude.yield(resource)
  if not coroutine.isyieldable() then
    error("yield: resources can only be yielded by a docker_container or blueprint task", 2)
  end
  local ok, reason = coroutine.yield(resource)
  if ok == false then
    error(reason, 2)
  end
  return resource
end

for name, constructor in pairs(core.resources) do
  prelude[name] = constructor
end

return prelude

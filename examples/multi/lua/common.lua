-- lua/common.lua -- helpers shared by the task files of this project
-- (task files require modules from lua/ under the project root).
local common = {}

-- Every image of the project starts from this one and is tagged under PREFIX.
common.BASE = "fuse-test/busybox"
common.PREFIX = "fuse-example/multi-"

-- The resources every image of the project has: a service user and an
-- /etc/motd naming the image.
function common.base(name)
  return {
    Group { name = "svc", gid = 1500 },
    User { name = "svc", uid = 1500, group = "svc", home = "/home/svc", shell = "/bin/sh" },
    File { name = "/etc/motd", contents = "multi: " .. name .. "\n" },
  }
end

return common

-- fuse.resources: the resource constructors (Package, File, Directory, Link,
-- Execute, User, Group, Line, Checkout). Each validates its table at once, so
-- a mistake is reported at the line that made it, and returns the table
-- marked as a resource of its type.
local core = require "fuse.core"

local resources = {}
for name, constructor in pairs(core.resources) do
  resources[name] = constructor
end
return resources

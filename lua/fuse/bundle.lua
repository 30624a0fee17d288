-- fuse.bundle: the seed's programmatic API.
--
--   local b = require("fuse.bundle").ResourceBundle()
--   b:add(Package { name = "python3" })
--   print(b:dumps())          -- fuselage's bundle JSON; b:dumps(true) indents
local core = require "fuse.core"

return {
  ResourceBundle = core.ResourceBundle,
}

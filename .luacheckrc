-- luacheck settings. Task files (fusefile.lua, tasks/*.lua, the examples)
-- see fuse's globals (fusefile(5)) and define tasks by assigning globals;
-- a docker_container function need not use both of (bundle, args).
-- The README's "Editor support" gives the snippet for a project of your own.
local fuse_globals = {
  "docker_container", "blueprint", "task", "yield", "sh", "tasks", "here", "template", "project_root",
  "Package", "File", "Directory", "Link", "Execute", "User", "Group", "Line", "Checkout",
}
stds.fuse = { read_globals = fuse_globals }

-- Globals defined at the top are the tasks: fuse uses them, not the file (131).
local task_files = { std = "+fuse", allow_defined_top = true, unused_args = false, ignore = { "131" } }
files["examples"] = task_files
files["tasks"] = task_files
files["fusefile.lua"] = task_files

-- The lua-language-server annotations declare fuse's globals as empty
-- functions and methods on tables nothing reads (241): that is the format.
files["lua/fuse/types.lua"] = { globals = fuse_globals, unused_args = false, ignore = { "241" } }

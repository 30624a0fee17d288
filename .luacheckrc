-- luacheck settings. Task files (fusefile.lua, tasks/*.lua, the examples)
-- see fuse's globals (fusefile(5)) and define tasks by assigning globals;
-- a docker_container function need not use both of (bundle, args).
stds.fuse = {
  read_globals = {
    "docker_container", "task", "yield", "sh",
    "Package", "File", "Directory", "Link", "Execute", "User", "Group", "Line", "Checkout",
  },
}

-- Globals defined at the top are the tasks: fuse uses them, not the file (131).
local task_files = { std = "+fuse", allow_defined_top = true, unused_args = false, ignore = { "131" } }
files["examples"] = task_files
files["tasks"] = task_files
files["fusefile.lua"] = task_files

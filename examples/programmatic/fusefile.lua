-- fusefile.lua -- the programmatic API: a bundle made by hand, built with
-- DockerBuilder, as fuselage's DockerBuilder(bundle, {...}).build() did.
--
--   fuse build                  build fuse-example/programmatic and run it
--   fuse build:name=Ada         the same, greeting Ada
--   fuse -n build               print the bundle and the commands, build nothing
local ResourceBundle = require("fuse.bundle").ResourceBundle
local DockerBuilder = require("fuse.docker").DockerBuilder

-- A bundle is a list of resources; here they come from a loop over data
-- rather than from yield.
local function make_bundle(name)
  local b = ResourceBundle()
  b:add(Directory { name = "/opt/hello", parents = true })
  for i, word in ipairs({ "one", "two", "three" }) do
    b:add(File { name = "/opt/hello/" .. i .. ".txt", contents = word .. "\n" })
  end
  b:add(File {
    name = "/opt/hello/greet",
    mode = "0755",
    contents = "#!/bin/sh\necho \"Hello, " .. name .. "!\"\ncat /opt/hello/*.txt\n",
  })
  return b
end

build = task {
  description = "Build an image from a hand-made bundle with DockerBuilder, then run it",
  params = { name = "world", tag = "fuse-example/programmatic" },
} (function (args)
  local b = make_bundle(args.name)
  print(("bundle: %d resources"):format(#b))
  print(b:dumps(true))

  local builder = DockerBuilder(b, {
    from_image = "fuse-test/busybox",
    tag = args.tag,
    cmd = { "/opt/hello/greet" },
  })
  -- build() returns an iterator over the engine's messages, each decoded
  -- into a table: {stream = "Step 1/9 ..."}, {aux = {ID = "sha256:..."}},
  -- ... (Podman's service words a step "STEP 1/9: ...").
  local id, steps = nil, 0
  for message in builder:build() do
    if message.stream then
      if message.stream:match("^[Ss][Tt][Ee][Pp] %d+/%d+") then
        steps = steps + 1
      end
      io.write(message.stream)
    elseif message.aux and message.aux.ID then
      id = message.aux.ID
    end
  end
  -- With fuse -n, build() prints the Dockerfile and builds nothing: no message.
  if id then
    print(("built %s as %s in %d Dockerfile steps"):format(id, args.tag, steps))
  else
    print("dry run: nothing built")
  end

  sh("docker run --rm " .. args.tag)
end)

-- tasks/images.lua -- the project's images: tasks images.api and images.worker,
-- and images.all, a plain task that builds both and smoke-tests them.
local common = require "common"

api = docker_container {
  description = "HTTP API: busybox httpd serving a greeting",
  from_image = common.BASE,
  tag = common.PREFIX .. "api",
  ports = { 8080 },
  user = "svc",
  cmd = { "httpd", "-f", "-p", "8080", "-h", "/srv/www" },
  params = { greeting = "hello" },
} (function (bundle, args)
  for _, r in ipairs(common.base("api")) do
    yield(r)
  end
  yield(Directory { name = "/srv/www", owner = "svc", parents = true })
  -- args.greeting is the param: its default, or fuse images.api:greeting=hi
  yield(File { name = "/srv/www/greeting", contents = args.greeting .. "\n", owner = "svc" })
  yield(File { name = "/srv/www/index.html", source = "files/index.html", owner = "svc" })
end)

worker = docker_container {
  description = "Batch worker: a shell script that counts its input lines",
  from_image = common.BASE,
  tag = common.PREFIX .. "worker",
  user = "svc",
  workdir = "/home/svc",
  cmd = { "/usr/local/bin/work" },
  params = { batch = "10" },
} (function (bundle, args)
  for _, r in ipairs(common.base("worker")) do
    yield(r)
  end
  yield(Directory { name = "/usr/local/bin", parents = true })
  yield(File { name = "/usr/local/bin/work", source = "files/work.sh", mode = "0755" })
  yield(File { name = "/etc/worker.conf", contents = "BATCH=" .. args.batch .. "\n" })
end)

-- A plain task: it runs on the host. It builds both images with chosen
-- options and params, then runs each one and checks what it answers; a
-- failing sh ends the task with exit status 1. prefix lets two runs (say,
-- two CI jobs on one engine) build under tags of their own.
all = task {
  description = "Build api and worker, then smoke-test both containers",
  params = { greeting = "hello from all", prefix = common.PREFIX },
} (function (args)
  local api_tag, worker_tag = args.prefix .. "api", args.prefix .. "worker"
  api:run { tag = api_tag, greeting = args.greeting }
  worker:run { tag = worker_tag, batch = "3" }

  -- api: start it, ask it over HTTP from a second container on its network.
  sh(table.concat({
    "set -e",
    "cid=$(docker run -d " .. api_tag .. ")",
    "trap 'docker rm -f $cid >/dev/null' EXIT",
    "ok=",
    "for i in 1 2 3 4 5 6 7 8 9 10; do",
    "  got=$(docker run --rm --network container:$cid " .. api_tag ..
      " wget -qO- http://127.0.0.1:8080/greeting) && ok=1 && break",
    "  sleep 0.5",
    "done",
    "test -n \"$ok\"",
    "echo \"api answered: $got\"",
    "test \"$got\" = '" .. args.greeting:gsub("'", "'\\''") .. "'",
  }, "\n"))
  -- worker: feed it five lines, expect its summary.
  sh("out=$(printf 'a\\nb\\nc\\nd\\ne\\n' | docker run --rm -i " .. worker_tag .. ")"
    .. " && echo \"worker answered: $out\""
    .. " && test \"$out\" = 'svc: 5 lines in batches of 3'")
  print("smoke test passed")
end)

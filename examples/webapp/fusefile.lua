-- fusefile.lua -- a small Python web app that runs as its own user.
--
--   fuse webapp                  build fuse-example/webapp
--   fuse webapp:tag=web:dev      the same, tagged web:dev
--   docker run --rm -p 8000:8000 fuse-example/webapp
--
-- files/app.conf is the app's configuration, files/server.py the app. The
-- page the app serves is rendered from the configuration by an Execute that
-- watches the configuration File: it runs when that File changed.

local APP = "/srv/webapp"     -- the code, owned by root: the app cannot change it
local DATA = "/var/lib/webapp" -- what the app writes, owned by the app's user

webapp = docker_container {
  description = "Python WSGI app as user webapp, page rendered from its config",
  tag = "fuse-example/webapp",
  ports = { 8000 },
  user = "webapp",
  workdir = DATA,
  cmd = { "python3", APP .. "/server.py" },
} (function (bundle, args)
  -- The same first steps as examples/hello (and no env, which comes before
  -- the resources; labels, user and workdir come after them): Docker's
  -- cache shares the python3 layer.
  yield(Package { name = "python3" })

  yield(Group { name = "webapp", system = true })
  yield(User {
    name = "webapp",
    group = "webapp",
    home = DATA,
    shell = "/usr/sbin/nologin",
    system = true,
    disabled_password = true,
  })

  yield(Directory { name = APP })
  yield(Directory { name = DATA, owner = "webapp", group = "webapp", mode = "0750" })
  yield(Directory { name = "/etc/webapp" })

  -- Relative sources resolve against this file's directory.
  yield(File { name = APP .. "/server.py", source = "files/server.py", mode = "0644" })
  yield(File {
    name = "/etc/webapp/app.conf",
    source = "files/app.conf",
    owner = "root",
    group = "webapp",
    mode = "0640",
  })

  -- Renders the page from the configuration, as the app's user, only when
  -- the configuration File above changed.
  yield(Execute {
    name = "render-page",
    command = "python3 " .. APP .. "/server.py --render",
    user = "webapp",
    group = "webapp",
    cwd = DATA,
    watches = { "File[/etc/webapp/app.conf]" },
  })
end)

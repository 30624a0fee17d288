-- A build step that downloads a private release with a token: the token is
-- at /run/secrets/token while that step runs, and in no layer, no history
-- entry, no label and no file on this host. See README.md.
release = docker_container {
  description = "fetches a private release with a token from the environment",
  from_image = "fuse-test/busybox",
  tag = "fuse-example/secrets",
  secrets = { token = { env = "RELEASE_TOKEN" } },
  params = { server = "172.17.0.1:8000" },
} (function (_, args)
  yield(Directory { name = "/srv/app", parents = true })
  yield(Execute {
    name = "fetch the release",
    command = "sh -c 'wget -q -O /srv/app/release.txt "
      .. "\"http://fuse:$(cat /run/secrets/token)@" .. args.server .. "/release.txt\"'",
    secrets = { "token" },
    creates = "/srv/app/release.txt",
  })
end)

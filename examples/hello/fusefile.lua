-- fusefile.lua
app_server = docker_container {
  description = "Static page served by Python",
  tag = "myproject:appserver",
  ports = { 8000 },
  cmd = { "python3", "-m", "http.server", "8000" },
} (function (bundle, args)
  yield(Package { name = "python3" })
  yield(File { name = "/index.html", contents = "HELLO WORLD!" })
end)

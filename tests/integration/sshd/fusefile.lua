-- An sshd host for tests/integration/test_blueprint.sh and
-- bench/cases_blueprint.sh, built by fuse itself: a login "deploy" with
-- passwordless sudo and one, "plain", whose sudo asks for a password, both
-- letting in the key in id.pub (which the caller puts beside this file).
-- python=yes adds python3, which Ansible (the bench's baseline) needs on
-- every host.
local function login(name)
  yield(User { name = name, system = false, create_home = true, home = "/home/" .. name })
  yield(Directory { name = "/home/" .. name .. "/.ssh", owner = name, mode = "0700" })
  yield(File { name = "/home/" .. name .. "/.ssh/authorized_keys", source = "id.pub",
               owner = name, mode = "0600" })
end

sshd = docker_container {
  cmd = { "/usr/sbin/sshd", "-D", "-e" },
  params = { python = "no" },
} (function (_, args)
  local packages = { "openssh-server", "sudo" }
  if args.python == "yes" then
    packages[#packages + 1] = "python3"
  end
  yield(Package { name = packages })
  yield(Directory { name = "/run/sshd", mode = "0755" })
  login("deploy")
  login("plain")
  yield(File { name = "/etc/sudoers.d/deploy", contents = "deploy ALL=(ALL) NOPASSWD: ALL\n",
               mode = "0440" })
  yield(File { name = "/etc/sudoers.d/plain", contents = "plain ALL=(ALL) ALL\n", mode = "0440" })
end)

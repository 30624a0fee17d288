---@meta
-- fuse.types: lua-language-server annotations for fuse's task files, so an
-- editor completes and type-checks fusefile.lua and tasks/*.lua. fuse never
-- loads this file (it is not embedded); `make install` puts it in
-- $(PREFIX)/share/fuse/types.lua. Point the language server at it, in the
-- project's .luarc.json:
--
--   { "runtime.version": "Lua 5.4",
--     "workspace.library": ["/usr/local/share/fuse"] }
--
-- Fields follow the table of resource types in src/common/restype.c (shared with
-- fuse-apply) and fuse-resources(7); options follow fusefile(5).

---An octal mode as a string: "0644" or "644". Lua has no octal literals, so
---a number is rejected.
---@alias fuse.Mode string

---A user or group, by name or by number.
---@alias fuse.Id string|integer

---What every resource takes besides its own fields.
---@class fuse.ResourceFields
---Replaces the name in the resource's identity ("File[conf]"), as in fuselage.
---@field id? string
---Resource identities ("File[/etc/app.conf]") whose change makes this one run.
---@field watches? string[]
---Consecutive resources of one layer name are applied in one build step.
---@field layer? string
---Names of the task's secrets present at /run/secrets/NAME while this step runs.
---@field secrets? string[]
---false: this step and every later one run on every build.
---@field cache? boolean

---A resource made by a constructor: its fields, marked with its type.
---tostring gives its identity, "File[/etc/motd]".
---@class fuse.Resource: fuse.ResourceFields

-- ---- resources (fuse-resources(7)) ------------------------------------

---@class fuse.PackageFields: fuse.ResourceFields
---@field name string|string[] the package, or several installed by one call
---@field version? string
---@field purge? boolean remove configuration files too (policy "uninstall")
---@field policy? "install"|"uninstall"

---@class fuse.Package: fuse.Resource, fuse.PackageFields

---@class fuse.FileFields: fuse.ResourceFields
---@field name string an absolute path
---@field contents? string any bytes; not with source
---@field source? string a local file, relative to the task file's directory; not with contents
---@field owner? fuse.Id
---@field group? fuse.Id
---@field mode? fuse.Mode
---@field sensitive? boolean keep contents out of progress, errors and fuse -n
---@field from? string|fuse.Task copy source (an absolute path) out of this image or task's image
---@field policy? "apply"|"remove"

---@class fuse.File: fuse.Resource, fuse.FileFields

---@class fuse.DirectoryFields: fuse.ResourceFields
---@field name string an absolute path
---@field owner? fuse.Id
---@field group? fuse.Id
---@field mode? fuse.Mode default "0755"
---@field parents? boolean make missing parent directories
---@field source? string a local tree to copy in (relative: to the task file); with from, a directory in that image
---@field exclude? string[] .dockerignore-style patterns left out of source
---@field from? string|fuse.Task copy source out of this image or task's image
---@field policy? "apply"|"remove"|"remove-recursive"

---@class fuse.Directory: fuse.Resource, fuse.DirectoryFields

---@class fuse.LinkFields: fuse.ResourceFields
---@field name string an absolute path: the link
---@field to? string what the link points at; required by policy "apply", refused by "remove"
---@field owner? fuse.Id
---@field group? fuse.Id
---@field policy? "apply"|"remove"

---@class fuse.Link: fuse.Resource, fuse.LinkFields

---@class fuse.ExecuteFields: fuse.ResourceFields
---@field name string names the command (its identity)
---@field command? string a shell command; or commands
---@field commands? string[] shell commands run in order
---@field cwd? string an absolute path
---@field environment? table<string, string>
---@field returncode? integer the expected exit status, default 0
---@field user? fuse.Id
---@field group? fuse.Id
---@field umask? fuse.Mode
---@field unless? string a shell command: skip when it succeeds
---@field creates? string an absolute path: skip when it exists
---@field touch? string an absolute path touched after a run
---@field policy? "execute"

---@class fuse.Execute: fuse.Resource, fuse.ExecuteFields

---@class fuse.UserFields: fuse.ResourceFields
---@field name string
---@field fullname? string
---@field home? string an absolute path
---@field uid? integer
---@field gid? integer
---@field group? string the primary group
---@field groups? string[] supplementary groups
---@field append? boolean add to groups instead of setting them, default true
---@field system? boolean default true: a uid below 1000
---@field shell? string default "/bin/bash" ("/bin/sh" where there is none)
---@field create_home? boolean default: only when home is given
---@field password? string an encrypted password
---@field disabled_password? boolean
---@field disabled_login? boolean
---@field policy? "apply"|"remove"

---@class fuse.User: fuse.Resource, fuse.UserFields

---@class fuse.GroupFields: fuse.ResourceFields
---@field name string
---@field gid? integer
---@field system? boolean
---@field password? string
---@field policy? "apply"|"remove"

---@class fuse.Group: fuse.Resource, fuse.GroupFields

---@class fuse.LineFields: fuse.ResourceFields
---@field name string an absolute path: the file holding the line
---@field line? string
---@field match? string a POSIX extended regex: the line to replace or remove
---@field sensitive? boolean keep the line out of progress, errors and fuse -n
---@field policy? "apply"|"remove"

---@class fuse.Line: fuse.Resource, fuse.LineFields

---@class fuse.CheckoutFields: fuse.ResourceFields
---@field name string an absolute path: where the working tree goes
---@field repository string
---@field branch? string
---@field tag? string
---@field revision? string
---@field scm? "git" default "git"
---@field user? fuse.Id
---@field group? fuse.Id
---@field mode? fuse.Mode
---@field policy? "sync"

---@class fuse.Checkout: fuse.Resource, fuse.CheckoutFields

---@param fields fuse.PackageFields
---@return fuse.Package
function Package(fields) end

---@param fields fuse.FileFields
---@return fuse.File
function File(fields) end

---@param fields fuse.DirectoryFields
---@return fuse.Directory
function Directory(fields) end

---@param fields fuse.LinkFields
---@return fuse.Link
function Link(fields) end

---@param fields fuse.ExecuteFields
---@return fuse.Execute
function Execute(fields) end

---@param fields fuse.UserFields
---@return fuse.User
function User(fields) end

---@param fields fuse.GroupFields
---@return fuse.Group
function Group(fields) end

---@param fields fuse.LineFields
---@return fuse.Line
function Line(fields) end

---@param fields fuse.CheckoutFields
---@return fuse.Checkout
function Checkout(fields) end

-- ---- tasks (fusefile(5)) ----------------------------------------------

---The options of a docker_container task; each but description and params
---can be overridden on the command line (fuse app:tag=x).
---A HEALTHCHECK: cmd is required; durations are NUMBER UNIT pairs with
---units ms, s, m, h ("30s", "1m30s"); omitted ones take Docker's defaults.
---@class fuse.Healthcheck
---@field cmd string[]|string exec form (list) or a shell string (run by /bin/sh -c)
---@field interval? string
---@field timeout? string
---@field start_period? string
---@field retries? integer from 1

---Where a secret's value is read when the task builds: exactly one of these.
---@class fuse.SecretSource
---@field env? string an environment variable
---@field file? string a file (relative to the task file, ~ expanded)
---@field command? string a shell command whose standard output is the value

---@class fuse.ContainerOptions
---@field from_image? string|fuse.Task the base image, default "debian:bookworm"; a task is built first
---@field tag? string|string[] one tag, or several (the first is the primary); applied only on success
---@field env? table<string, string> ENV, sorted by name
---@field volumes? string[] VOLUME, after the resource steps
---@field caches? string[] directories kept between builds, mounted in every step, never in a layer
---@field ports? (integer|string)[] EXPOSE: 8000, "53/udp"
---@field cmd? string[]|string exec form (list) or shell form (string)
---@field entrypoint? string[]|string
---@field maintainer? string LABEL maintainer=...
---@field user? string
---@field workdir? string
---@field labels? table<string, string>
---@field no_cache? boolean build without Docker's layer cache
---@field secrets? table<string, fuse.SecretSource> build secrets, never in the image
---@field pull? boolean look for a newer base image first
---@field push? boolean push every tag after a successful build (fuse --push)
---@field healthcheck? fuse.Healthcheck|false false writes HEALTHCHECK NONE
---@field stopsignal? string|integer STOPSIGNAL: "SIGTERM", "quit", 9
---@field engine? string with fuse -j: the engine it builds on, a URL or a docker context's name
---@field description? string shown by fuse -l and fuse -d
---@field params? table<string, string> extra arguments and their defaults

---The options of a blueprint (the resources applied to live hosts over
---SSH); all but description and params can be given on the command line
---(fuse web:hosts=a;b,simulate=true).
---@class fuse.BlueprintOptions
---@field hosts? string[] "web1", "deploy@10.0.0.7:2222": ssh's own names, ~/.ssh/config applies
---@field user? string the login for hosts that name none
---@field sudo? boolean run fuse-apply with sudo -n when the login is not root
---@field simulate? boolean report what would change, change nothing
---@field description? string shown by fuse -l and fuse -d
---@field params? table<string, string> extra arguments and their defaults

---The options of a plain task.
---@class fuse.TaskOptions
---@field description? string
---@field params? table<string, string>

---The effective options and params of a run: the declared ones, the
---defaults, and the command line's (params are strings).
---@class fuse.Args: fuse.ContainerOptions
---@field [string] any

---@class fuse.Task
local Task = {}

---Runs the task now, with these options and params; a container task builds
---its image. A failure raises an error in the caller.
---@param args? table<string, any>
---@return true
function Task:run(args) end

---The bundle of a docker_container task, or one made by ResourceBundle().
---#bundle is the number of resources.
---@class fuse.Bundle
---@operator len: integer
local Bundle = {}

---Adds a resource, with the same checks as yield; returns it.
---@generic R: fuse.Resource
---@param resource R
---@return R
function Bundle:add(resource) end

---The bundle as fuselage's JSON; pretty = true indents it.
---@param pretty? boolean
---@return string
function Bundle:dumps(pretty) end

---@alias fuse.ContainerFn fun(bundle: fuse.Bundle, args: fuse.Args)

---Makes a task that builds an image: fn(bundle, args) runs as a coroutine
---and yields resources.
---  app = docker_container { tag = "x" } (function (bundle, args) ... end)
---@overload fun(fn: fuse.ContainerFn): fuse.Task
---@param opts fuse.ContainerOptions
---@return fun(fn: fuse.ContainerFn): fuse.Task
function docker_container(opts) end

---Makes a blueprint: the same fn(bundle, args) as a docker_container, its
---resources applied to each host over SSH.
---  web = blueprint { hosts = { "web1" }, sudo = true } (function (bundle, args) ... end)
---@overload fun(fn: fuse.ContainerFn): fuse.Task
---@param opts fuse.BlueprintOptions
---@return fun(fn: fuse.ContainerFn): fuse.Task
function blueprint(opts) end

---Makes a plain task: fn(args) runs on the host.
---@overload fun(fn: fun(args: fuse.Args)): fuse.Task
---@param opts fuse.TaskOptions
---@return fun(fn: fun(args: fuse.Args)): fuse.Task
function task(opts) end

---Hands one resource to fuse, which validates it and adds it to the bundle;
---returns it. A rejected resource raises an error at this line. Only a
---docker_container task can yield.
---@generic R: fuse.Resource
---@param resource R
---@return R
function yield(resource) end

---Runs /bin/sh -c command on the host; a non-zero exit raises an error with
---the exit status. With fuse -n it prints the command and runs nothing.
---@param command string
---@return true
function sh(command) end

---Every task of the project by its full name ("web.api"), read-only. An
---unknown name raises the unknown-task error; assigning raises.
---@type table<string, fuse.Task>
tasks = {}

---rel resolved against the directory of the calling file (a task file or a
---module of lua/), whatever the current directory; an absolute rel as is.
---@param rel string
---@return string
function here(rel) end

---The project root, an absolute path (with fuse -f: that file's directory).
---@type string
project_root = ""

---The template at path (relative to the calling file's directory) with
---{{ name }} and {{ a.b }} replaced from vars (strings, numbers, booleans);
---{{{{ is a literal {{. A missing name raises an error naming the template's
---file and line.
---@param path string
---@param vars? table<string, any>
---@return string
function template(path, vars) end

-- ---- modules (require) --------------------------------------------------

---One message of Docker's build stream, decoded.
---@class fuse.BuildMessage
---@field stream? string
---@field status? string
---@field aux? { ID: string }
---@field error? string
---@field errorDetail? { message: string, code?: integer }

---@class fuse.DockerBuilder
local DockerBuilder = {}

---Starts the build; returns an iterator over Docker's messages as they
---arrive. A failed build gives its messages, then the iterator raises.
---@return fun(): fuse.BuildMessage?
function DockerBuilder:build() end

---require "fuse.resources": the constructors.
---  local r = require "fuse.resources" ---@type fuse.resources
---@class fuse.resources
---@field Package fun(fields: fuse.PackageFields): fuse.Package
---@field File fun(fields: fuse.FileFields): fuse.File
---@field Directory fun(fields: fuse.DirectoryFields): fuse.Directory
---@field Link fun(fields: fuse.LinkFields): fuse.Link
---@field Execute fun(fields: fuse.ExecuteFields): fuse.Execute
---@field User fun(fields: fuse.UserFields): fuse.User
---@field Group fun(fields: fuse.GroupFields): fuse.Group
---@field Line fun(fields: fuse.LineFields): fuse.Line
---@field Checkout fun(fields: fuse.CheckoutFields): fuse.Checkout

---require "fuse.bundle": fuselage's ResourceBundle.
---  local B = require "fuse.bundle" ---@type fuse.bundle
---@class fuse.bundle
---@field ResourceBundle fun(): fuse.Bundle

---require "fuse.docker": the builder and the task makers.
---  local D = require "fuse.docker" ---@type fuse.docker
---@class fuse.docker
---@field DockerBuilder fun(bundle: fuse.Bundle, opts: fuse.ContainerOptions): fuse.DockerBuilder
---@field docker_container fun(opts: fuse.ContainerOptions|fuse.ContainerFn): any
---@field task fun(opts: fuse.TaskOptions|fun(args: fuse.Args)): any
---@field sh fun(command: string): true
---@field yield fun(resource: fuse.Resource): fuse.Resource

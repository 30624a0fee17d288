#!/bin/bash
# test_types.sh -- lua/fuse/types.lua (the lua-language-server annotations)
# agrees with fuse: every resource type, field and policy of src/common/restype.c's
# table, every global of a task file, every docker_container option; it is
# luacheck-clean and is not embedded into the binary.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TYPES=$ROOT/lua/fuse/types.lua
RESTYPE=$ROOT/src/common/restype.c

# class_fields CLASS: the field names annotated in ---@class CLASS.
class_fields() {
    awk -v c="$1" '
        /^---@class / { inside = ($2 == c || $2 == c ":") ; next }
        inside && /^---@field / { f = $2; sub(/\?$/, "", f); print f }
        !/^---/ { inside = 0 }' "$TYPES" | sort
}

# The table: "Package rt_package_fields rt_package_policies" per type.
types=$(sed -n 's/^static const rt_type rt_[a-z]* = {"\([A-Za-z]*\)", \(rt_[a-z]*_fields\), \(rt_[a-z_]*\),.*/\1 \2 \3/p' \
    "$RESTYPE")
expect_eq "restype.c lists the nine types of fuse-resources(7)" \
    "Package File Directory Link Execute User Group Line Checkout" "$(cut -d' ' -f1 <<<"$types" | paste -sd' ')"

while read -r name fields policies; do
    # The fields of the C array, up to RT_COMMON (id, policy and watches).
    want=$( (sed -n "/^static const rt_field $fields\[\] = {/,/RT_COMMON/p" "$RESTYPE" |
        grep -o '{"[a-z_]*"' | tr -d '{"'; echo policy) | sort)
    expect_eq "$name: every field of restype.c is annotated" \
        "$(paste -sd' ' <<<"$want")" "$(class_fields "fuse.${name}Fields" | paste -sd' ')"
    pol=$(sed -n "s/^static const char \*const $policies\[\] = {\(.*\), NULL};/\1/p" "$RESTYPE" |
        tr -d ' ' | tr ',' '|')
    check "$name: the policies are $pol" \
        grep -qxF -- "---@field policy? $pol" <(awk -v c="fuse.${name}Fields" '
            /^---@class / { inside = ($2 == c ":") } inside && /^---@field policy/' "$TYPES")
    check "$name: the constructor is a global returning fuse.$name" \
        grep -qzP -- "---@param fields fuse\\.${name}Fields\\n---\\@return fuse\\.$name\\nfunction $name\\(fields\\) end" "$TYPES"
done <<<"$types"

expect_eq "cache, id, layer, secrets and watches are common to every resource" \
    "cache id layer secrets watches" \
    "$(class_fields fuse.ResourceFields | paste -sd' ')"

for g in docker_container blueprint task yield sh here template; do
    check "global $g is annotated" grep -q "^function $g(" "$TYPES"
done
check "global project_root is annotated" grep -q "^project_root = " "$TYPES"

# The options fuse accepts on a container task's command line, from fuse -d,
# and those only a task file can give (secrets: a value on the command line
# would be in the shell's history).
mkdir -p "$WORK/p"
echo 'img = docker_container(function () end)' >"$WORK/p/fusefile.lua"
opts=$(cd "$WORK/p" && "$FUSE" -d img | sed -n 's/^ *arguments: //p' | tr -d ',' | tr ' ' '\n')
expect_eq "docker_container options: fuse -d's arguments plus description, params and secrets" \
    "$( (printf '%s\n' "$opts"; echo description; echo params; echo secrets) | sort | paste -sd' ')" \
    "$(class_fields fuse.ContainerOptions | paste -sd' ')"

echo 'hosts = blueprint(function () end)' >"$WORK/p/fusefile.lua"
opts=$(cd "$WORK/p" && "$FUSE" -d hosts | sed -n 's/^ *arguments: //p' | tr -d ',' | tr ' ' '\n')
expect_eq "blueprint options: fuse -d's arguments plus description and params" \
    "$( (printf '%s\n' "$opts"; echo description; echo params) | sort | paste -sd' ')" \
    "$(class_fields fuse.BlueprintOptions | paste -sd' ')"

lint() { (cd "$ROOT" && luacheck -q lua/fuse/types.lua >/dev/null); }
check "luacheck is clean on types.lua (with the repository's .luacheckrc)" lint
check "types.lua is plain Lua 5.4 that loads" lua5.4 -e "dofile('$TYPES')"
not_embedded() { ! grep -qaF -- "---@meta" "$FUSE_BIN"; }
check "types.lua is not embedded into fuse" not_embedded

# The README's .luacheckrc snippet, as a user copies it into a project.
mkdir -p "$WORK/lc"
awk '/^For \[luacheck\]/ { f = 1 } f && /^```lua/ { g = 1; next } g && /^```/ { exit } g' \
    "$ROOT/README.md" >"$WORK/lc/.luacheckrc"
check "the README has a .luacheckrc snippet" grep -q '^stds.fuse' "$WORK/lc/.luacheckrc"
cp "$ROOT/examples/hello/fusefile.lua" "$WORK/lc/"
cat >>"$WORK/lc/fusefile.lua" <<'LUA'
other = docker_container(function (bundle, args)
  yield(Directory { name = "/d" })
end)
plain = task { params = { v = "1" } } (function (args) sh("true") end)
paths = task(function () print(here("x"), project_root, template("t.tmpl", {})) end)
LUA
lc() { (cd "$WORK/lc" && luacheck -q --no-color "$@"); }
lc_clean() { lc "$@" >/dev/null; }
check "snippet: task files with fuse's globals are clean" lc_clean fusefile.lua
echo 'x = Pakage { name = "a" }' >"$WORK/lc/typo.lua"
check "snippet: a misspelt constructor is still caught" \
    grep -q "accessing undefined variable 'Pakage'" <(lc typo.lua)

# fuse -- build container images from Lua task files.
#
#   make            build build/fuse (with the payload build/fuse-apply embedded)
#   make check      install missing Debian packages, start dockerd if needed, run every test
#   make demo       build and run the hello example, print its HTTP answer
#   make asan       unit and integration tests with fuse under AddressSanitizer + UBSan
#   make valgrind   the same under valgrind
#   make fuzz       the libFuzzer targets of tests/fuzz, FUZZ_SECONDS (60) each
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench      benchmarks (not part of check)

VERSION   = 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
MUSLCC   ?= musl-gcc
PKGS      = lua5.4 libcurl yajl libarchive

CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Werror
BASEFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -DFUSE_VERSION='"$(VERSION)"'
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
# fuse itself links Lua and yajl only: libcurl and libarchive (and their ~40
# dependencies) are dlopen()ed when a build needs them (src/engine/lazy.h).
FUSE_LIBS  = $(shell pkg-config --libs lua5.4 yajl) -pthread
CHECK_LIBS = $(shell pkg-config --libs check)
# One folder per stage of the data flow (docs/ARCHITECTURE.md); headers are
# included by name, so every folder is on the include path.
SRC_DIRS   = src/common src/cli src/lua src/build src/engine src/remote
INC        = -Isrc $(SRC_DIRS:%=-I%)
ALL_CFLAGS = $(BASEFLAGS) $(PKG_CFLAGS) $(INC) $(CFLAGS) $(EXTRA_CFLAGS)

# Code shared by fuse and the static payload fuse-apply (no Lua, curl, archive).
SHARED_SRC = $(sort $(wildcard src/common/*.c))
# fuse's own modules; src/main.c holds only main() so tests can link the rest.
FUSE_SRC   = $(sort $(foreach d,src/cli src/lua src/build src/engine src/remote,$(wildcard $(d)/*.c)))
APPLY_SRC  = $(filter-out src/apply/main.c,$(wildcard src/apply/*.c))
# types.lua only describes the API to editors (---@meta): installed, not embedded.
LUA_SRC    = $(sort $(filter-out lua/fuse/types.lua,$(wildcard lua/fuse/*.lua)))
TEST_SRC   = $(wildcard tests/unit/test_*.c)
# What the unit tests share besides headers (the fake engine), linked into each.
TESTLIB_SRC = $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))

SHARED_OBJ = $(SHARED_SRC:%.c=$(BUILD)/%.o)
FUSE_OBJ   = $(FUSE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/prelude.o $(BUILD)/payload.o
APPLY_OBJ  = $(APPLY_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    = $(SHARED_OBJ) $(FUSE_OBJ) $(APPLY_OBJ)
TESTS      = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TESTLIB_OBJ = $(TESTLIB_SRC:tests/unit/%.c=$(BUILD)/testlib/%.o)

# The payload is built with musl so it is small and static; its objects live apart.
# Debian's yajl.pc says includedir=/usr/include/yajl, others /usr/include: the
# link must name the directory that holds yajl_gen.h either way.
MUSL_DIR   = $(BUILD)/musl
MUSL_OBJ   = $(addprefix $(MUSL_DIR)/,$(SHARED_SRC:.c=.o) $(APPLY_SRC:.c=.o) src/apply/main.o)
MUSL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -Os -ffunction-sections \
	-fdata-sections -I$(MUSL_DIR)/include -Isrc -Isrc/common -DFUSE_VERSION='"$(VERSION)"'
YAJL_STATIC = $(shell pkg-config --variable=libdir yajl)/libyajl_s.a

.PHONY: all deps check unit integration asan valgrind demo install uninstall clean bench lint format

all: $(BUILD)/fuse $(BUILD)/fuse-apply

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuse: $(BUILD)/src/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $(BUILD)/src/main.o $(SHARED_OBJ) $(FUSE_OBJ) $(FUSE_LIBS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# Lua prelude compiled in, so an installed fuse needs no Lua files on disk.
$(BUILD)/prelude.c: tools/embed.lua $(LUA_SRC)
	@mkdir -p $(dir $@)
	lua5.4 tools/embed.lua $(LUA_SRC) > $@.tmp && mv $@.tmp $@

$(BUILD)/prelude.o: $(BUILD)/prelude.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The payload binary embedded into fuse with .incbin: one file to install.
$(BUILD)/payload.o: src/build/payload.S $(BUILD)/fuse-apply
	$(CC) -c -DPAYLOAD_PATH='"$(BUILD)/fuse-apply"' -o $@ src/build/payload.S

$(MUSL_DIR)/include/yajl:
	@mkdir -p $(MUSL_DIR)/include
	ln -sfn $(patsubst %/yajl/yajl,%/yajl,$(shell pkg-config --variable=includedir yajl)/yajl) $@

$(MUSL_DIR)/%.o: %.c | $(MUSL_DIR)/include/yajl
	@mkdir -p $(dir $@)
	$(MUSLCC) $(MUSL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuse-apply: $(MUSL_OBJ)
	$(MUSLCC) -static -Os -Wl,--gc-sections -s -o $@ $(MUSL_OBJ) $(YAJL_STATIC)

$(BUILD)/testlib/%.o: tests/unit/%.c $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(TESTLIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(TESTLIB_OBJ) $(LIB_OBJ) $(PKG_LIBS) $(CHECK_LIBS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# Installs the Debian packages that are missing (a fresh machine has none).
deps:
	@tools/deps.sh

check: deps
	@$(MAKE) --no-print-directory all tests-build
	@tests/run.sh $(BUILD)

tests-build: $(TESTS)

unit: all tests-build
	@tests/run.sh --unit $(BUILD)

integration: all
	@tests/run.sh --integration $(BUILD)

# Unit and integration tests with fuse built with ASan + UBSan (fuse-apply,
# static musl, is built as usual). Reports go to files, so a run whose exit
# status a test does not check is caught too; any report fails the target.
ASAN_BUILD ?= build-asan
SAN_LOGS    = $(abspath $(ASAN_BUILD))/san
asan: deps
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined -static-libasan -static-libubsan' \
		CFLAGS='-O1 -g' all tests-build
	@rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	@ASAN_OPTIONS=log_path=$(SAN_LOGS)/asan UBSAN_OPTIONS=log_path=$(SAN_LOGS)/ubsan,print_stacktrace=1 \
		tests/run.sh $(ASAN_BUILD); rc=$$?; tools/nologs.sh $(SAN_LOGS) sanitizer && exit $$rc

# The same under valgrind: unit tests, and fuse in every integration test
# (FUSE_WRAPPER, see tests/integration/lib.sh); reports go to files too.
# VALGRIND_TESTS="test_x.sh ..." limits the integration scripts (all by default).
VALGRIND_TESTS ?=
VG_LOGS = $(abspath $(BUILD))/vg
VG_CMD  = valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --log-file=$(VG_LOGS)/%p.log
valgrind: all tests-build
	@rm -rf $(VG_LOGS) && mkdir -p $(VG_LOGS)
	@rc=0; tests/run.sh --unit --valgrind $(BUILD) || rc=1; \
		FUSE_WRAPPER='$(VG_CMD)' INTEGRATION_TESTS='$(VALGRIND_TESTS)' \
		tests/run.sh --integration $(BUILD) || rc=1; \
		tools/nologs.sh $(VG_LOGS) valgrind && exit $$rc

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(BUILD)

bench: all
	@tools/deps.sh bench
	@bench/run.sh $(BUILD)

FORMAT_SRC = $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h)

lint:
	luacheck -q lua examples tasks
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem $(INC) src
	clang-format --dry-run -Werror $(FORMAT_SRC)

format:
	clang-format -i $(FORMAT_SRC)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/fuse
	install -m 0755 $(BUILD)/fuse $(BUILD)/fuse-apply $(DESTDIR)$(PREFIX)/bin/
	for m in man/*.[1-8]; do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	install -m 0644 completion/fuse.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fuse
	install -m 0644 lua/fuse/types.lua $(DESTDIR)$(PREFIX)/share/fuse/types.lua

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/fuse $(DESTDIR)$(PREFIX)/bin/fuse-apply
	for m in man/*.[1-8]; do s=$${m##*.}; rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; done
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fuse \
		$(DESTDIR)$(PREFIX)/share/fuse/types.lua
	rmdir $(DESTDIR)$(PREFIX)/share/fuse 2>/dev/null || true

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

# ---- fuzzing: libFuzzer targets in tests/fuzz (clang), not part of `make all` ----
# Each target links the code shared with fuse-apply and the one module it
# tests; `make fuzz` runs each for FUZZ_SECONDS from its seeds in
# tests/fuzz/corpus/TARGET.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS   = -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_TARGETS  = cli bundle dkstream dockerfile template dkauth ignore context plan rmhost secret dkmux bktrace
FUZZ_SRC_cli        = src/cli/cli.c src/cli/options.c src/cli/optvalue.c src/cli/optwords.c
FUZZ_SRC_bundle     =
FUZZ_SRC_ignore     =
FUZZ_SRC_dkstream   = src/engine/dkstream.c src/engine/dialect.c src/engine/dl_classic.c \
                      src/engine/dl_podman.c
FUZZ_SRC_dkauth     = src/engine/dkauth.c
FUZZ_SRC_context    = src/engine/epcontext.c src/engine/endpoint.c src/engine/epssh.c \
	src/engine/dkauth.c src/engine/dkcred.c
FUZZ_SRC_bktrace    = src/engine/bktrace.c src/engine/dialect.c src/engine/dl_buildkit.c
FUZZ_SRC_dockerfile = src/build/dockerfile.c src/build/df_words.c src/build/dfmeta.c \
	src/build/dockerfile_tree.c src/build/df_stages.c src/build/context.c src/engine/lazy.c \
	src/cli/options.c src/cli/optvalue.c src/cli/optwords.c src/cli/cli.c
FUZZ_SRC_template   = src/lua/template.c
FUZZ_SRC_plan       = src/build/plan_label.c src/build/hashcache.c
FUZZ_SRC_rmhost     = src/remote/rm_host.c
FUZZ_SRC_secret     =
FUZZ_SRC_dkmux      = src/engine/dkmux.c

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(wildcard src/*/*.c src/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASEFLAGS) $(PKG_CFLAGS) $(INC) -Itests/fuzz $(FUZZ_CFLAGS) -o $@ $< \
		$(SHARED_SRC) $(FUZZ_SRC_$*) $(PKG_LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

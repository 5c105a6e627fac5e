# bpfprof: eBPF syscall and stage profiler.
#
#   make deps     install the Debian packages the build and tests need
#   make          build build/bpfprof
#   make demo     profile the bundled demo workload for a few seconds
#   make test     unit tests, then integration tests (root: they load BPF)
#   make test-under-load  make test 5 times (UNDER_LOAD_RUNS) with every CPU busy
#   make vmlinux  regenerate vmlinux/vmlinux.h from the running kernel's BTF
#   make install  install bpfprof and its man page (PREFIX=/usr/local, DESTDIR)
#
# Everything built lands in build/ (git-ignored). SANITIZE=1 builds with
# AddressSanitizer and UndefinedBehaviorSanitizer.

.DELETE_ON_ERROR:
# `make` alone builds bpfprof, whatever rule comes first below.
.DEFAULT_GOAL := all
.SUFFIXES:
.SECONDARY:

OUT := build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := x86

DEB_PACKAGES := make gcc libc6-dev clang llvm pkg-config bpftool libbpf-dev \
	libelf-dev zlib1g-dev libcmocka-dev libjansson-dev libcap-dev \
	g++ libstdc++-12-dev binutils libmicrohttpd-dev prometheus chromium curl \
	libncurses-dev tmux stress-ng groff-base \
	libcapstone-dev libiberty-dev rustc golang-go
# separate debug info (libdebuginfod) and its tests (debuginfod, a real server)
DEB_PACKAGES += libdebuginfod-dev debuginfod
# USDT: sys/sdt.h for the test target, Debian's CPython and PostgreSQL for the tests
DEB_PACKAGES += systemtap-sdt-dev python3.11 postgresql
# libFuzzer, for tests/fuzz
DEB_PACKAGES += libclang-rt-14-dev
# bench/ (its driver, and its checks in make test)
DEB_PACKAGES += python3
# report --pprof: the profile message through protobuf-c; its tests read
# it back with go tool pprof, check the flame graph in chromium, and the
# bench compares with perf
DEB_PACKAGES += protobuf-c-compiler libprotobuf-c-dev golang-go linux-perf
# --cpu-sample names libc's own functions through its debug file (tests)
DEB_PACKAGES += libc6-dbg

PKGS := libbpf libelf zlib jansson libcap libmicrohttpd ncursesw capstone libprotobuf-c \
	libdebuginfod
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
SAN_FLAGS :=
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) $(SAN_FLAGS) -std=gnu11 -D_GNU_SOURCE \
	-Iuser -Ibpf -I$(OUT) $(PKG_CFLAGS)
# The demangler is libiberty's (C++ and Rust); it ships no pkg-config file.
LDLIBS := $(PKG_LIBS) -liberty -lm
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -Wall -Werror \
	-Wno-unused-function

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# user/main.c dispatches; every other module is in a folder of user/ named
# for its step of the data's way (docs/architecture.md).
USER_SRCS := $(wildcard user/*/*.c)
LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
# report --pprof's message, generated from user/report/proto/profile.proto
PROTO_C := $(OUT)/pprof/profile.pb-c.c
PROTO_H := $(OUT)/pprof/profile.pb-c.h
LIB_OBJS += $(OUT)/pprof/profile.pb-c.o

# tests/unit need neither root nor BPF; tests/integration load the real BPF
# programs as root. tests/lib holds what both share.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
INTEGRATION_SRCS := $(wildcard tests/integration/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(UNIT_SRCS) $(INTEGRATION_SRCS))
TEST_LIB_OBJS := $(patsubst tests/lib/%.c,$(OUT)/tests/lib/%.o,$(wildcard tests/lib/*.c))

# Test targets: programs whose behaviour the tests know exactly. Built static
# (so the dynamic loader adds no syscalls) unless named *_dyn.c.
TARGET_SRCS := $(filter-out tests/targets/stagelib.c,$(wildcard tests/targets/*.c))
TARGET_BINS := $(patsubst tests/targets/%.c,$(OUT)/targets/%,$(TARGET_SRCS)) \
	$(OUT)/targets/stage_target_pie $(OUT)/targets/libstagelib.so $(OUT)/targets/stage_target_lib \
	$(OUT)/targets/cxx_target $(OUT)/targets/cxx_throw $(OUT)/targets/rs_panic \
	$(OUT)/targets/rs_panic_v0 $(OUT)/targets/go_stacks $(OUT)/targets/go_stacks_stripped $(OUT)/targets/go_wall \
	$(OUT)/targets/go_calls $(OUT)/targets/go_bigframe \
	$(OUT)/targets/tail_target \
	$(OUT)/targets/spin_target_pie $(OUT)/targets/cold_split
TARGET_CFLAGS := -O1 -g -fno-omit-frame-pointer -fcf-protection=none -D_GNU_SOURCE -Wall -Werror \
	-pthread -Itests
# marker_target includes include/bpfprof/marker.h as an application would.
TARGET_CFLAGS += -Iinclude

# BPFPROF_VERSION for user/common/version.h: rewritten only when `git
# describe` changes.
VERSION_H := $(OUT)/bpfprof_version.h
$(VERSION_H): FORCE | $(OUT)
	@v=$$(git describe --tags --always --dirty 2>/dev/null || true); \
	line="#define BPFPROF_VERSION \"$${v:-0.1.0}\""; \
	[ "$$(cat $@ 2>/dev/null)" = "$$line" ] || echo "$$line" > $@

.PHONY: all deps test unit-test integration-test test-under-load FORCE demo vmlinux clean format bench \
	install uninstall

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man

all: $(OUT)/bpfprof

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get -o DPkg::Lock::Timeout=900 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq $$missing; \
	else echo "deps: all Debian packages present"; fi

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

$(OUT) $(OUT)/targets:
	mkdir -p $@

# bpfprof.bpf.c includes its probe families from bpf/bpfprof/ (not named
# *.bpf.c: each of those would be an object of its own). -MMD -MP lists what
# each object includes, as for userspace below.
$(OUT)/%.bpf.o: bpf/%.bpf.c vmlinux/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

# Each object depends on the headers it includes (-MMD -MP writes the list
# beside it); the skeletons and the version header exist before any
# compiles, since the first build has no lists yet.
DEPFLAGS = -MMD -MP
$(PROTO_C) $(PROTO_H) &: user/report/proto/profile.proto
	@mkdir -p $(OUT)/pprof
	protoc-c --c_out=$(OUT)/pprof --proto_path=user/report/proto profile.proto

$(OUT)/pprof/profile.pb-c.o: $(PROTO_C)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(OUT)/user/%.o: user/%.c | $(SKELS) $(VERSION_H) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/libbpfprof.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/bpfprof: $(OUT)/user/main.o $(OUT)/libbpfprof.a
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%.o: tests/%.c | $(SKELS) $(VERSION_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests -c $< -o $@

$(OUT)/tests/unit/test_%: $(OUT)/tests/unit/test_%.o $(TEST_LIB_OBJS) $(OUT)/libbpfprof.a
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(OUT)/tests/integration/test_%: $(OUT)/tests/integration/test_%.o $(TEST_LIB_OBJS) $(OUT)/libbpfprof.a
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# Targets are built without sanitizers: they must make exactly the syscalls
# their source shows.
$(OUT)/targets/%: tests/targets/%.c tests/targets/target_common.h | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) $(DEPFLAGS) -MF $@.d -static $< -o $@

# The README's example server: dynamically linked, so `-u 'libc:malloc'`
# has a libc to find.
$(OUT)/targets/demo_server: tests/targets/demo_server.c | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -fPIE -pie $< -o $@

# A known build id, which the run metadata test expects.
$(OUT)/targets/telemetry_target: tests/targets/telemetry_target.c tests/targets/target_common.h | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -static -Wl,--build-id=0x5eed000000000000000000000000000000006006 $< -o $@

$(OUT)/targets/cxx_target: tests/targets/cxx_target.cc | $(OUT)/targets
	$(CXX) -O1 -g -fno-omit-frame-pointer -fcf-protection=none -Wall -Werror $< -o $@

$(OUT)/targets/cxx_throw: tests/targets/cxx_throw.cc | $(OUT)/targets
	$(CXX) -O1 -g -fno-omit-frame-pointer -fcf-protection=none -Wall -Werror $< -o $@

# -O2 splits work's unlikely branch into work.cold; stripped to .dynsym
# (-rdynamic), as Debian ships its C++ programs, nothing names that part.
$(OUT)/targets/cold_split: tests/targets/cold_split.cc | $(OUT)/targets
	$(CXX) -O2 -fcf-protection=none -Wall -Werror -rdynamic $< -o $@
	strip --strip-all $@

# Debian's rustc and go (DEB_PACKAGES), not a newer one first in PATH.
RUSTC ?= /usr/bin/rustc
GO ?= /usr/bin/go
$(OUT)/targets/rs_panic: tests/targets/rs_panic.rs | $(OUT)/targets
	$(RUSTC) -O -g -C panic=unwind $< -o $@

# The standard library stays legacy-mangled: both kinds of names in one binary.
$(OUT)/targets/rs_panic_v0: tests/targets/rs_panic.rs | $(OUT)/targets
	$(RUSTC) -O -g -C panic=unwind -C symbol-mangling-version=v0 --crate-name rs_panic $< -o $@

# The Go build cache inside build/, so a fresh machine needs nothing else.
$(OUT)/targets/go_stacks: tests/targets/go_stacks.go | $(OUT)/targets
	GOCACHE=$(abspath $(OUT))/go/cache GOPATH=$(abspath $(OUT))/go/path GOTOOLCHAIN=local \
		GO111MODULE=off GOFLAGS= $(GO) build -o $@ $<

$(OUT)/targets/go_wall $(OUT)/targets/go_calls $(OUT)/targets/go_bigframe: $(OUT)/targets/%: tests/targets/%.go | $(OUT)/targets
	GOCACHE=$(abspath $(OUT))/go/cache GOPATH=$(abspath $(OUT))/go/path GOTOOLCHAIN=local \
		GO111MODULE=off GOFLAGS= $(GO) build -o $@ $<

# Without .symtab (-s -w): functions come from .gopclntab.
$(OUT)/targets/go_stacks_stripped: tests/targets/go_stacks.go | $(OUT)/targets
	GOCACHE=$(abspath $(OUT))/go/cache GOPATH=$(abspath $(OUT))/go/path GOTOOLCHAIN=local \
		GO111MODULE=off GOFLAGS= $(GO) build -ldflags='-s -w' -o $@ $<

# The stage target also as a PIE, and linked with a shared library.
$(OUT)/targets/stage_target_pie: tests/targets/stage_target.c tests/targets/target_common.h | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -fPIE -pie $< -o $@

# --cpu-sample's target as a PIE too: its frames go through the maps.
$(OUT)/targets/spin_target_pie: tests/targets/spin_target.c tests/targets/target_common.h | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -fPIE -pie $< -o $@

$(OUT)/targets/libstagelib.so: tests/targets/stagelib.c | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -fPIC -shared $< -o $@

$(OUT)/targets/stage_target_lib: tests/targets/stage_target.c $(OUT)/targets/libstagelib.so | $(OUT)/targets
	$(CC) $(TARGET_CFLAGS) -DWITH_LIB -fPIE -pie $< -L$(OUT)/targets -lstagelib \
		-Wl,-rpath,'$$ORIGIN' -o $@

# bench/cpu_sample.py: what symbolizing --cpu-sample's stacks costs.
$(OUT)/bench/symbolize: bench/symbolize.c $(OUT)/libbpfprof.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(OUT)/libbpfprof.a $(LDLIBS) $(ALL_LDFLAGS) -o $@

test: $(OUT)/bpfprof $(TEST_BINS) $(TARGET_BINS)
	tests/run.sh $(OUT)

# Some unit tests run bpfprof (--help, report) or read the targets (ELF, libraries).
unit-test: $(OUT)/bpfprof $(filter $(OUT)/tests/unit/%,$(TEST_BINS)) $(TARGET_BINS)
	tests/run.sh $(OUT) unit

integration-test: $(OUT)/bpfprof $(filter $(OUT)/tests/integration/%,$(TEST_BINS)) $(TARGET_BINS)
	tests/run.sh $(OUT) integration

# The suite must not depend on an idle machine: `make test` again and again
# while stress-ng keeps every CPU busy; the first failing run stops it.
UNDER_LOAD_RUNS ?= 5
test-under-load: $(OUT)/bpfprof $(TEST_BINS) $(TARGET_BINS)
	tests/under_load.sh $(UNDER_LOAD_RUNS) $(MAKE) --no-print-directory test

demo: $(OUT)/bpfprof $(OUT)/targets/demo_workload $(OUT)/targets/demo_server
	$(OUT)/bpfprof -i 1 -o out/demo -- $(OUT)/targets/demo_workload 3
	@echo "outputs in out/demo: summary.json flushes.jsonl"

# bpfprof needs root, hence sbin and section 8.
install: $(OUT)/bpfprof docs/bpfprof.8
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(OUT)/bpfprof $(DESTDIR)$(BINDIR)/bpfprof
	install -m 0644 docs/bpfprof.8 $(DESTDIR)$(MANDIR)/man8/bpfprof.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bpfprof $(DESTDIR)$(MANDIR)/man8/bpfprof.8 \
		$(DESTDIR)$(PREFIX)/include/bpfprof/marker.h

format:
	clang-format -i bpf/*.c bpf/*.h bpf/*/*.h user/*.c user/*/*.[ch] tests/*/*.[ch]

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/*.bpf.d $(OUT)/targets/*.d) \
	$(shell find $(OUT)/user $(OUT)/tests $(OUT)/fuzz -name '*.d' 2>/dev/null)
include bench/Makefile.inc
include tests/fuzz/Makefile.inc

# The marker header (include/bpfprof/marker.h) for applications.
PREFIX ?= /usr/local
.PHONY: install install-headers
install: install-headers
install-headers:
	install -D -m 0644 include/bpfprof/marker.h $(DESTDIR)$(PREFIX)/include/bpfprof/marker.h

# leakscope - build, test, demo and install.
#
#   make deps      install missing build/test packages (apt-get; idempotent)
#   make           build build/leakscope and the test programs
#   make check     unit, BPF and end-to-end tests, with a summary line
#   make demo      run the bundled demo suite under `leakscope run`
#   make install   PREFIX=/usr/local DESTDIR=
#   make clean
#
# V=1 shows every command. SANITIZE=1 builds with ASan+UBSan.
# VMLINUX_BTF overrides the BTF that vmlinux.h is generated from.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
V ?= 0
SANITIZE ?= 0

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
PYTHON ?= /usr/bin/python3

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-7s %s\n' "$(1)" "$(2)";
endif

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Wall -Werror -Wno-unused-function -I$(BUILD) -Iinclude -Ibpf

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-Wno-missing-field-initializers -Wno-format-truncation -Iinclude -Iuser -I$(BUILD) \
	-DLEAKSCOPE_VERSION='"$(VERSION)"'
LDLIBS += $(shell $(PKG_CONFIG) --libs libbpf libelf zlib 2>/dev/null || echo -lbpf -lelf -lz) -lpthread

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# maps.bpf.c defines what the others declare extern; libbpf 1.1's linker
# resolves extern maps only when the definition comes first.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.bpf.h) include/leakscope/abi.h

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Every module but main.c, for linking into unit tests.
LIB_OBJS := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/bpf/workloads/*.c)
WORKLOAD_BINS := $(patsubst tests/bpf/workloads/%.c,$(BUILD)/tests/workloads/%,$(WORKLOAD_SRCS))

.PHONY: all deps check unit demo install clean bench fuzz fuzz-build format
.DELETE_ON_ERROR:

LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CLIENT_LIBS := $(BUILD)/libleakscope.a $(BUILD)/libleakscope.so.0 $(BUILD)/leakscope.pc

all: $(BUILD)/leakscope $(CLIENT_LIBS) $(UNIT_BINS) $(WORKLOAD_BINS)

deps:
	$(Q)V=$(V) tools/deps.sh

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)test -r $(VMLINUX_BTF) || { echo "no kernel BTF at $(VMLINUX_BTF): set VMLINUX_BTF or use a kernel with CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/leakscope.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/leakscope.skel.h: $(BUILD)/leakscope.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name leakscope_bpf > $@

$(BUILD)/user/%.o: user/%.c $(wildcard user/*.h) include/leakscope/abi.h $(BUILD)/leakscope.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/leakscope: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# libleakscope: the client side of the control protocol, for C/C++ test
# harnesses (include/leakscope/client.h). libc only.
$(BUILD)/lib/client.o: user/client.c include/leakscope/client.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/libleakscope.a: $(BUILD)/lib/client.o
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libleakscope.so.0: $(BUILD)/lib/client.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,libleakscope.so.0 $^ -o $@

$(BUILD)/leakscope.pc: tools/leakscope.pc.in VERSION
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

# Workloads may use the client library (include/leakscope/client.h). They
# are what the BPF tests watch, so never sanitized (ASan's shadow mappings
# and threads would be theirs): they get a plain build of the client.
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE \
	-Wall -Wextra -Werror -Iinclude

$(BUILD)/tests/workloads/client.o: user/client.c include/leakscope/client.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -c $< -o $@

# What the workloads share (tests/bpf/workloads/common): linked into each.
$(BUILD)/tests/workloads/wl.o: tests/bpf/workloads/common/wl.c tests/bpf/workloads/common/wl.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -c $< -o $@

$(BUILD)/tests/workloads/%: tests/bpf/workloads/%.c tests/bpf/workloads/common/wl.h $(BUILD)/tests/workloads/client.o $(BUILD)/tests/workloads/wl.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $< $(filter %.o,$^) -lpthread -o $@

# A workload NAME whose scenarios go beyond NAME.c keeps them in
# tests/bpf/workloads/NAME/ (parts *.c, what they share in *.h): each part
# is built as NAME-PART.o and linked into NAME by the rule above. Today
# harness and workload.
define workload_parts
$(1)_PARTS := $$(patsubst tests/bpf/workloads/$(1)/%.c,$$(BUILD)/tests/workloads/$(1)-%.o,$$(wildcard tests/bpf/workloads/$(1)/*.c))
$$(BUILD)/tests/workloads/$(1): $$($(1)_PARTS) $$(wildcard tests/bpf/workloads/$(1)/*.h)
$$(BUILD)/tests/workloads/$(1)-%.o: tests/bpf/workloads/$(1)/%.c $$(wildcard tests/bpf/workloads/$(1)/*.h) tests/bpf/workloads/common/wl.h
	$$(call msg,CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(WORKLOAD_CFLAGS) -c $$< -o $$@
endef
WORKLOAD_SPLIT := $(foreach w,$(patsubst tests/bpf/workloads/%.c,%,$(WORKLOAD_SRCS)),$(if $(wildcard tests/bpf/workloads/$(w)/*.c),$(w)))
$(foreach w,$(WORKLOAD_SPLIT),$(eval $(call workload_parts,$(w))))

# Benchmark (tools/bench): overhead of each level vs untraced, strace,
# bpftrace and valgrind; the table on stdout, raw samples in build/bench.json.
# Not part of `make check`. BENCH_ARGS passes options (--reps N, --only W).
BENCH_ARGS ?=

$(BUILD)/bench/workload: tools/bench/workload.c $(BUILD)/tests/workloads/client.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -O2 $< $(BUILD)/tests/workloads/client.o -pthread -o $@

# The floor: a no-op program on the syscall tracepoints leakscope uses.
$(BUILD)/bench/floor.bpf.o: tools/bench/floor.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/floor: tools/bench/floor.c $(BUILD)/bench/floor.bpf.o
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

bench: deps
	$(Q)V=$(V) tools/bench/deps.sh
	$(Q)$(MAKE) --no-print-directory $(BUILD)/leakscope $(BUILD)/bench/workload \
		$(BUILD)/bench/floor
	$(Q)BUILD=$(BUILD) $(PYTHON) tools/bench/bench.py $(BENCH_ARGS)

# Fuzzing (libFuzzer, ASan+UBSan): every parser of outside input.
# make fuzz FUZZ_SECONDS=60 runs each target that long on its corpus.
FUZZ_SECONDS ?= 20
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_BUILD)/lib/%.o,$(filter-out user/main.c,$(USER_SRCS)))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) \
	-DLEAKSCOPE_VERSION='"$(VERSION)"' -fsanitize=address,undefined

$(FUZZ_BUILD)/lib/%.o: user/%.c $(wildcard user/*.h) include/leakscope/abi.h $(BUILD)/leakscope.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJS) \
		$(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) PYTHON=$(PYTHON) tests/run-all fuzz

check: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-build
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) tests/run-all

unit: all
	$(Q)BUILD=$(BUILD) PYTHON=$(PYTHON) tests/run-all unit

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tools/demo/run.sh

install: $(BUILD)/leakscope $(CLIENT_LIBS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BUILD)/leakscope $(DESTDIR)$(PREFIX)/bin/leakscope
	$(Q)install -D -m 0644 include/leakscope/client.h $(DESTDIR)$(INCLUDEDIR)/leakscope/client.h
	$(Q)install -D -m 0644 $(BUILD)/libleakscope.a $(DESTDIR)$(LIBDIR)/libleakscope.a
	$(Q)install -D -m 0755 $(BUILD)/libleakscope.so.0 $(DESTDIR)$(LIBDIR)/libleakscope.so.0
	$(Q)ln -sf libleakscope.so.0 $(DESTDIR)$(LIBDIR)/libleakscope.so
	$(Q)install -D -m 0644 $(BUILD)/leakscope.pc $(DESTDIR)$(LIBDIR)/pkgconfig/leakscope.pc
	$(Q)install -D -m 0644 tools/pytest_leakscope.py $(DESTDIR)$(PREFIX)/share/leakscope/pytest_leakscope.py

format:
	$(Q)clang-format -i $(BPF_SRCS) $(wildcard bpf/*.bpf.h) $(USER_SRCS) \
		$(wildcard user/*.h) include/leakscope/*.h $(UNIT_SRCS) $(WORKLOAD_SRCS) \
		$(wildcard tests/bpf/workloads/*/*.[ch]) $(wildcard tools/bench/*.c)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

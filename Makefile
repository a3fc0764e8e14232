# lwfp: one Makefile, in the spirit of xdp-tools: BPF object -> skeleton ->
# liblwfp (static and shared) -> tools; liblwfp-win, the Windows layer, on top
# of liblwfp. `make V=1` shows the commands.

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
BINDIR ?= $(PREFIX)/sbin
INCDIR ?= $(PREFIX)/include
PCDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
VERSION := 0.1.0

# SAN=1 builds user space with ASan and UBSan into build/san.
ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
# The samples in examples/ are Windows programs: they see the Windows headers
# and nothing else of the tree, as a port would.
SAMPLE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -Iinclude/lwfp/win $(SANFLAGS)
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(BUILD)/gen $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function \
	-Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/obj/lib/%.o,$(LIB_SRCS))
# The Winsock/WSK compatibility layer: liblwfp-win, built on what liblwfp
# exports (lib/visibility.h says why it does not include internal.h).
WIN_SRCS := $(wildcard lib/win/*.c)
WIN_OBJS := $(patsubst lib/%.c,$(BUILD)/obj/lib/%.o,$(WIN_SRCS))
WIN_HDRS := $(wildcard include/lwfp/win/*.h)
# The layer's private header (lwfp_win_internal.h): its sources and unit
# tests include it; it is not installed.
WIN_PRIV_HDRS := $(wildcard lib/win/*.h)
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/bin/%,$(EXAMPLE_SRCS))
# Code both tools use (filter options, cgroup paths, --version) lives in
# tools/common/, an internal archive each tool links; not installed.
COMMON_SRCS := $(wildcard tools/common/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRCS))
COMMON_A := $(BUILD)/obj/tools/libcommon.a
CTL_SRCS := $(wildcard tools/lwfpctl/*.c)
CTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CTL_SRCS))
INSPECT_SRCS := $(wildcard tools/lwfp-inspect/*.c)
INSPECT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(INSPECT_SRCS))
BPF_HDRS := $(wildcard bpf/*.h) include/lwfp/abi.h include/lwfp/engine_defs.h
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

LIBS := -lbpf -lelf -lz -ljson-c
# Static links: a user of the Windows layer names liblwfp-win first, since
# it calls into liblwfp.
LWFP_A := $(BUILD)/lib/liblwfp.a
WIN_A := $(BUILD)/lib/liblwfp-win.a $(LWFP_A)
# Each library with the soname link next to it, so that a program linked
# with -L$(BUILD)/lib and an rpath there runs from the build tree.
SHARED_LIBS := $(foreach l,liblwfp liblwfp-win,$(BUILD)/lib/$(l).so $(BUILD)/lib/$(l).so.0)

.PHONY: all clean deps test kernel-floor hdrcheck unit integration demo install install-check fuzz bench bench-quick valgrind soak \
	test-kernel-6.1 deb
TEST_TOOL_SRCS := $(wildcard tests/relay/*.c)
TEST_TOOLS := $(patsubst tests/relay/%.c,$(BUILD)/bin/%,$(TEST_TOOL_SRCS))
# Other vendors' BPF programs the coexistence tests attach next to lwfp's.
FOREIGN_SRCS := $(wildcard tests/foreign/*.bpf.c)
FOREIGN_OBJS := $(patsubst tests/foreign/%.bpf.c,$(BUILD)/tests/foreign/%.bpf.o,$(FOREIGN_SRCS))
TEST_TOOLS += $(FOREIGN_OBJS)

all: $(BUILD)/bin/lwfpctl $(WIN_A) $(SHARED_LIBS) $(TEST_TOOLS) $(EXAMPLE_BINS) \
	$(if $(wildcard tools/lwfp-inspect/*.c),$(BUILD)/bin/lwfp-inspect)

# Before the first compile: the build's Debian packages, or a message that
# says to run `make deps` instead of a compiler error about a header.
$(BUILD)/.deps-ok: scripts/deps.sh
	$(Q)scripts/deps.sh check
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Every bpf/ header compiles on its own, for the BPF target: each includes
# what it uses. `make hdrcheck` runs the check by itself; HDRCHECK_HDRS
# names other headers to check (tests/hdrcheck/run.sh gives it a broken one).
HDRCHECK_HDRS ?= $(wildcard bpf/*.h)
$(BUILD)/obj/bpf-headers.stamp: $(BPF_HDRS) $(HDRCHECK_HDRS) | $(BUILD)/.deps-ok
	@mkdir -p $(@D)/bpf-headers
	$(Q)for h in $(abspath $(HDRCHECK_HDRS)); do \
		n=$$(basename $$h .h); \
		echo "#include \"$$h\"" >$(@D)/bpf-headers/$$n.c; \
		$(CLANG) $(BPF_CFLAGS) -c $(@D)/bpf-headers/$$n.c -o $(@D)/bpf-headers/$$n.o || \
			{ echo "hdrcheck: $$h does not compile on its own" >&2; exit 1; }; \
	done; touch $@

hdrcheck: $(BUILD)/obj/bpf-headers.stamp

$(BUILD)/gen/lwfp.skel.h: $(BUILD)/obj/lwfp.bpf.o $(BUILD)/obj/bpf-headers.stamp
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name lwfp_bpf > $@.tmp && mv $@.tmp $@

# The offload verdict is an object of its own (bpf/offload.bpf.c says why).
$(BUILD)/gen/lwfp_offload.skel.h: $(BUILD)/obj/offload.bpf.o
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name lwfp_offload_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/lib/%.o: lib/%.c $(BUILD)/gen/lwfp.skel.h $(BUILD)/gen/lwfp_offload.skel.h $(wildcard include/lwfp/*.h lib/*.h) | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(WIN_OBJS): $(WIN_HDRS) $(WIN_PRIV_HDRS)

$(BUILD)/lib/liblwfp.a: $(LIB_OBJS)
$(BUILD)/lib/liblwfp-win.a: $(WIN_OBJS)
$(BUILD)/lib/%.a:
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/lib/liblwfp.so: $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,liblwfp.so.0 $(LDFLAGS) -o $@ $^ $(LIBS)

# --no-undefined: a call into something liblwfp.so hides fails here, not in
# the program that loads the layer.
$(BUILD)/lib/liblwfp-win.so: $(WIN_OBJS) $(BUILD)/lib/liblwfp.so
	@mkdir -p $(@D)
	$(Q)$(CC) -shared -Wl,-soname,liblwfp-win.so.0 -Wl,--no-undefined $(LDFLAGS) -o $@ $^ -lpthread

$(BUILD)/lib/%.so.0: $(BUILD)/lib/%.so
	$(Q)ln -sf $*.so $@

# --version of both tools prints it. -Itools: a tool names the shared code
# as "common/NAME.h".
$(BUILD)/obj/tools/%.o: CFLAGS += -DLWFP_VERSION='"$(VERSION)"' -Itools
$(BUILD)/obj/tools/%.o: tools/%.c $(wildcard include/lwfp/*.h tools/*/*.h) | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(COMMON_A): $(COMMON_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/bin/lwfpctl: $(CTL_OBJS) $(COMMON_A) $(LWFP_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CTL_OBJS) $(COMMON_A) $(LWFP_A) $(LIBS)

$(BUILD)/bin/lwfp-inspect: $(INSPECT_OBJS) $(COMMON_A) $(LWFP_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(INSPECT_OBJS) $(COMMON_A) $(LWFP_A) $(LIBS) -lpthread

# What a program links statically: liblwfp, or for a user of the Windows
# layer, both (below).
LINK_A = $(LWFP_A)
WIN_USERS := $(BUILD)/bin/lwfp-test-win $(filter $(BUILD)/tests/test_win_%,$(UNIT_BINS))
$(WIN_USERS): private LINK_A = $(WIN_A)
$(WIN_USERS): $(WIN_HDRS) $(WIN_PRIV_HDRS) $(WIN_A)

$(BUILD)/tests/foreign/%.bpf.o: tests/foreign/%.bpf.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Small programs the integration tests drive; not installed.
$(BUILD)/bin/%: tests/relay/%.c $(wildcard tests/relay/*.h) $(LWFP_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LINK_A) $(LIBS) -lpthread
$(BUILD)/bin/lwfp-test-win: private CFLAGS += -Iinclude/lwfp/win
# Windows programs: only the compat headers, as a port would build them.
$(BUILD)/tests/test_win_sample $(BUILD)/tests/test_win_order: private CFLAGS += -Iinclude/lwfp/win

# The Windows samples, each built unchanged from its one file.
$(EXAMPLE_BINS): $(BUILD)/bin/%: examples/%.c $(WIN_HDRS) $(WIN_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAMPLE_CFLAGS) $(LDFLAGS) -o $@ $< $(WIN_A) $(LIBS) -lpthread

# test_publish watches the order of waits, writes and flips through wrappers.
$(BUILD)/tests/test_publish: private LDFLAGS += \
	-Wl,--wrap=grace_wait,--wrap=bpf_map_update_batch,--wrap=bpf_map_update_elem

# test_lwfpctl_* test lwfpctl's own code: every object but main().
$(filter $(BUILD)/tests/test_lwfpctl_%,$(UNIT_BINS)): $(filter-out %/main.o,$(CTL_OBJS)) $(COMMON_A)
# test_inspect_* link what they test: lwfp-inspect's parsers, its ends
# of an offloaded flow, its offload budget and per-uid shares, the tools'
# cgroup paths.
$(BUILD)/tests/test_inspect_dns: $(BUILD)/obj/tools/lwfp-inspect/dns.o
$(BUILD)/tests/test_inspect_offload: $(BUILD)/obj/tools/lwfp-inspect/offload.o
# ... and makes lwfp_offload_counts() say -EAGAIN (a socket that kept
# moving), lwfp_offload_spill() answer as an engine would.
$(BUILD)/tests/test_inspect_offload: private LDFLAGS += \
	-Wl,--wrap=lwfp_offload_counts,--wrap=lwfp_offload_spill
$(BUILD)/tests/test_inspect_budget: $(BUILD)/obj/tools/lwfp-inspect/budget.o \
	$(BUILD)/obj/tools/lwfp-inspect/uid_share.o
$(BUILD)/tests/test_inspect_peek: $(BUILD)/obj/tools/lwfp-inspect/peek.o
$(BUILD)/tests/test_inspect_uid_share: $(BUILD)/obj/tools/lwfp-inspect/uid_share.o
$(BUILD)/tests/test_inspect_cgpath: $(COMMON_A)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LWFP_A)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o $(COMMON_A),$^) $(LINK_A) $(LIBS) -lcmocka

deps:
	$(Q)scripts/deps.sh

# libFuzzer targets, one per parser of outside bytes; each runs FUZZ_TIME
# seconds from its corpus in tests/fuzz/corpus/NAME.
FUZZ_TIME ?= 30
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz_%,$(FUZZ_SRCS))

# The sources a target links besides its own file (default: lib/parse.c),
# each compiled on its own, with the fuzzer's instrumentation.
FUZZ_LINK_winaddr := lib/win/addr.c lib/win/errors.c
FUZZ_LINK_dns := tools/lwfp-inspect/dns.c
FUZZ_LINK_peek := tools/lwfp-inspect/peek.c
# The decoders of what the engine answers, whose socket calls the fuzzer
# answers from its input instead.
FUZZ_LINK_records := lib/socket.c lib/parse.c tools/lwfp-inspect/addr.c tools/lwfp-inspect/chain.c
FUZZ_LDFLAGS_records := -Wl,--wrap=getsockopt,--wrap=setsockopt
# The data plane's DNS answer parser, compiled for user space (bpf/dns_parse.h).
build/fuzz/fuzz_dns_answer: bpf/dns_parse.h bpf/layout.h include/lwfp/abi.h include/lwfp/engine_defs.h

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS) $(WIN_SRCS) $(WIN_HDRS) $(WIN_PRIV_HDRS) \
		$(wildcard lib/*.h tools/*/*.c tools/*/*.h)
	@mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		$< $(or $(FUZZ_LINK_$*),lib/parse.c) $(FUZZ_LDFLAGS_$*) -o $@

fuzz: deps $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$${f##*/fuzz_}; mkdir -p build/fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=0 \
			build/fuzz/corpus-$$n tests/fuzz/corpus/$$n >build/fuzz/$$n.log 2>&1 || \
			{ tail -n 30 build/fuzz/$$n.log; exit 1; }; \
	done; echo "fuzz: $(words $(FUZZ_BINS)) targets, no findings"

unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

# The unit tests once more, unsanitized, under valgrind's memcheck. Not
# test_publish: it drives real BPF maps with batch commands that valgrind
# does not model (it calls their results uninitialised); ASan runs it.
VALGRIND_BINS := $(filter-out %/test_publish,$(UNIT_BINS))
valgrind: $(VALGRIND_BINS)
	$(Q)UNIT_RUNNER="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect" \
		scripts/run-unit.sh $(VALGRIND_BINS)

integration: all
	$(Q)LWFP_BUILD=$(CURDIR)/$(BUILD) tests/integration/run.sh

# The soak of issue 8 at full size: 10,000 concurrent flows, 1 GiB, through
# two hops of lwfp-inspect (the integration suite runs a short one).
SOAK_FLOWS ?= 10000
SOAK_BYTES ?= 1073741824
soak: all
	$(Q)SOAK_FLOWS=$(SOAK_FLOWS) SOAK_BYTES=$(SOAK_BYTES) LWFP_FIGURES=1 \
		LWFP_BUILD=$(CURDIR)/$(BUILD) timeout -k 15 900 bash tests/integration/test_soak.sh && \
		echo "PASS soak"

# The README's test command: dependencies, a sanitized build, unit tests, a
# short run of every fuzzer, then integration tests against the real kernel.
TEST_FUZZ_TIME ?= 30
test:
	$(Q)scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory SAN=1 hdrcheck
	$(Q)tests/hdrcheck/run.sh
	$(Q)$(MAKE) --no-print-directory SAN=1 all unit
	$(Q)$(MAKE) --no-print-directory valgrind
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(TEST_FUZZ_TIME)
	$(Q)$(MAKE) --no-print-directory install-check
	$(Q)$(MAKE) --no-print-directory SAN=1 kernel-floor
	$(Q)$(MAKE) --no-print-directory SAN=1 integration

# make install into a scratch DESTDIR, and a program built against it with
# pkg-config (scripts/check-install.sh).
install-check: all
	$(Q)LWFP_BUILD=$(BUILD) scripts/check-install.sh

# Optional, not part of make test: the integration suite (or the TESTS named)
# inside a KVM guest booted with Debian bookworm's stock 6.1 kernel, the floor
# of docs/kernel.md. SAN=1 runs the sanitized build there.
TESTS ?=
test-kernel-6.1: all
	$(Q)scripts/test-kernel.sh $(BUILD) $(TESTS)

# Part of make test: a short run of the suite on that 6.1 kernel, whose
# verifier refuses what newer ones take (a global function's argument
# memory as a map key did it once), so that the engine always loads there.
KERNEL_FLOOR_TESTS ?= test_one_proxy test_offload
kernel-floor: all
	$(Q)scripts/deps.sh kernel
	$(Q)scripts/test-kernel.sh $(BUILD) $(KERNEL_FLOOR_TESTS)

# Benchmarks print ratios against baselines of the same run (docs/performance.md).
bench: all
	$(Q)scripts/deps.sh bench
	$(Q)LWFP_BUILD=$(CURDIR)/$(BUILD) bench/run.sh
bench-quick: all
	$(Q)scripts/deps.sh bench
	$(Q)LWFP_BUILD=$(CURDIR)/$(BUILD) bench/run.sh --quick

# The Debian packages (debian/), built by dpkg-buildpackage from a copy of
# the tree, into build/deb/, then checked by lintian (scripts/deb.sh).
deb:
	$(Q)scripts/deps.sh deb
	$(Q)scripts/deb.sh build/deb

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)LWFP_BUILD=$(CURDIR)/build scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/lwfp $(DESTDIR)$(PCDIR)
	install -m 0755 $(BUILD)/bin/lwfpctl $(DESTDIR)$(BINDIR)/
	[ ! -f $(BUILD)/bin/lwfp-inspect ] || install -m 0755 $(BUILD)/bin/lwfp-inspect $(DESTDIR)$(BINDIR)/
	install -m 0644 $(BUILD)/lib/liblwfp.a $(BUILD)/lib/liblwfp-win.a $(DESTDIR)$(LIBDIR)/
	for l in liblwfp liblwfp-win; do \
		install -m 0755 $(BUILD)/lib/$$l.so $(DESTDIR)$(LIBDIR)/$$l.so.$(VERSION) && \
		ln -sf $$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$$l.so.0 && \
		ln -sf $$l.so.0 $(DESTDIR)$(LIBDIR)/$$l.so || exit 1; \
	done
	install -m 0644 include/lwfp/*.h $(DESTDIR)$(INCDIR)/lwfp/
	install -d $(DESTDIR)$(INCDIR)/lwfp/win
	install -m 0644 $(WIN_HDRS) $(DESTDIR)$(INCDIR)/lwfp/win/
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	for u in dist/systemd/*; do \
		sed 's|/usr/local/sbin|$(BINDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	for pc in lwfp lwfp-win; do \
		sed -e 's|@PREFIX@|$(PREFIX)|;s|@LIBDIR@|$(LIBDIR)|;s|@INCDIR@|$(INCDIR)|;s|@VERSION@|$(VERSION)|' \
			$$pc.pc.in > $(DESTDIR)$(PCDIR)/$$pc.pc || exit 1; \
	done

clean:
	rm -rf build

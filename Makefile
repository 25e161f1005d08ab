# sipalg: top-level build.
#
#   make            sipalg.ko (build/kmod/$KVER/) and the CLI (cli/sipalg)
#   make check      everything: deps, build, unit tests, sanitizers, fuzz
#                   smoke, and the VM tests (as root on Debian 12)
#   make demo       a NATed SIP call through the router VM, before/after
#   make bench      benchmarks (figures only, no assertions)
#   make stress     the VM storm test with STRESS_COUNT (1,000,000) datagrams
#                   and STRESS_TCP_CONNS (1000) TCP streams, then
#                   STRESS_TCP_CALLS (200) calls over a lossy TCP path
#   make scale      the VM scale test alone: SCALE_PHONES (20,000) registered
#                   phones, SCALE_CALLS (2,000) calls
#   make install    the built module and CLI with their /etc files (and
#                   uninstall, install-check, dkms-source, dkms-check, deb,
#                   deb-lint: see mk/package.mk)
#
# KVER names the kernel release to build for and to boot in the VM. The
# default is Debian 12's kernel (what linux-image-amd64 depends on), never
# just the newest one installed; `scripts/kernels.sh all` lists the ones
# `make check` tests. KDIR may name another kernel build tree (KVER is then
# read from it). Each kernel's objects live in build/kmod/$KVER/.

BENCH_ROUNDS ?= 3
BENCH_SECONDS ?= 2
# bench-vm: the tables to print (sip other tcp calls conns trace; empty: all)
# and QEMU's -icount shift for guest time (8 ns per instruction; empty:
# real time, 2 vCPUs; see README, Benchmarks).
BENCH_ONLY ?=
BENCH_ICOUNT ?= 3
KVER_GIVEN := $(if $(filter undefined,$(origin KVER)),,$(KVER))
ifeq ($(origin KVER),undefined)
ifeq ($(origin KDIR),undefined)
KVER := $(shell scripts/kernels.sh default)
else
KVER := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
endif
endif
KDIR ?= /lib/modules/$(KVER)/build
KOBJ := build/kmod/$(KVER)
export KVER

STRESS_COUNT ?= 1000000
STRESS_TCP_CONNS ?= 1000
STRESS_TCP_CALLS ?= 200
STRESS_SEED ?= $(shell date +%s)
SCALE_PHONES ?= 20000
SCALE_CALLS ?= 2000

.PHONY: all module module-phases cli vm-tools cli-unit cli-unit-asan check demo bench bench-vm profile-vm stress scale lint \
	kmod-calls kmod-lines trace-check-test clean

all: module cli vm-tools

module:
	@test -n "$(KVER)" && test -d "$(KDIR)" || \
		{ echo "module: no kernel build tree for KVER='$(KVER)' (KDIR=$(KDIR)): run scripts/deps.sh or set KVER" >&2; exit 1; }
	@echo "module: kernel $(KVER) ($(KDIR)) -> $(KOBJ)/sipalg.ko"
	@scripts/kmod-tree.sh $(KOBJ)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(KOBJ) modules

cli:
	$(MAKE) -C cli

cli-unit:
	$(MAKE) --no-print-directory -C cli test

cli-unit-asan:
	$(MAKE) --no-print-directory -C cli test-asan

lint:
	scripts/lint.sh

# The module's files call one another one way only (from the objects' nm).
kmod-calls: module
	scripts/kmod-calls.sh $(KOBJ)

# An oops decodes to file:line in the C shim and in the C++ core.
kmod-lines: module
	scripts/kmod-lines.sh $(KOBJ)

# The checker t-trace and the demo prove `sipalg trace` with, proven on
# synthetic captures (right and wrong traces), without the VM.
trace-check-test:
	python3 tests/vm/trace_check_test.py

# Every kernel of `scripts/kernels.sh all`, or the one KVER names.
check:
	scripts/check.sh $(KVER_GIVEN)

demo:
	scripts/demo.sh

bench: bench-core bench-vm

# The VM benchmark's traffic tools, run inside the VM.
BENCH_TOOLS := $(patsubst bench/%.c,build/bench/%,$(wildcard bench/*.c))
build/bench/%: bench/%.c bench/bench.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

bench-vm: module cli $(BENCH_TOOLS)
	scripts/vm-run.sh -t 2400 $(if $(BENCH_ICOUNT),-i $(BENCH_ICOUNT)) \
		'BENCH_ONLY="$(BENCH_ONLY)" tests/vm/bench.sh $(BENCH_ROUNDS) $(BENCH_SECONDS)'

# Where the router's time goes per packet (function_graph, guest time
# under icount like the bench; figures only): PROFILE_ARGS = seconds and
# messages (REGISTER INVITE TLS).
# PROFILE_FUNCS = the functions to trace (default: all of sipalg's).
# PROFILE_PHASES=1: instead of the tracer, a module built with the phase
# profile (kmod/phase.h, build/kmod-phases/): instructions per phase.
PROFILE_ARGS ?= 3 REGISTER INVITE
PROFILE_FUNCS ?=
PROFILE_PHASES ?=
KOBJ_PHASES := build/kmod-phases/$(KVER)
profile-vm: module $(BENCH_TOOLS) $(if $(PROFILE_PHASES),module-phases)
	scripts/vm-run.sh -t 1200 $(if $(BENCH_ICOUNT),-i $(BENCH_ICOUNT)) \
		'PROFILE_FUNCS="$(PROFILE_FUNCS)" $(if $(PROFILE_PHASES),SIPALG_KO=$(CURDIR)/$(KOBJ_PHASES)/sipalg.ko PROFILE_PHASES=1) bash tests/vm/profile.sh $(PROFILE_ARGS)'

# The module with the phase profile compiled in: for profile-vm only.
module-phases:
	@scripts/kmod-tree.sh $(KOBJ_PHASES)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(KOBJ_PHASES) SIPALG_PHASES=1 modules

# The storm generator, run inside the VM (t-storm, t-bounds,
# t-sipalg-unload): mutated SIP, classified by the core it links.
STORM := build/storm/sipstorm
FLEET := build/scale/sipfleet
vm-tools: $(STORM) $(FLEET)
$(STORM): tests/storm/sipstorm.cpp $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CORE_CXX) -std=c++20 -O2 -Wall -Wextra -Werror -Iinclude tests/storm/sipstorm.cpp \
		$(CORE_SRCS) -o $@

# The phones and server of the scale test (tests/vm/scale.sh): plain C++.
$(FLEET): tests/scale/sipfleet.cpp
	@mkdir -p $(dir $@)
	$(CORE_CXX) -std=c++20 -O2 -Wall -Wextra -Werror $< -o $@

stress: all
	scripts/vm-run.sh -t 7200 'STORM_COUNT=$(STRESS_COUNT) STORM_TCP_CONNS=$(STRESS_TCP_CONNS) \
		STORM_SEED=$(STRESS_SEED) TCP_LOSS_CALLS=$(STRESS_TCP_CALLS) \
		tests/vm/run.sh t-storm.sh t-sipalg-tcp-loss.sh'

scale: all
	scripts/vm-run.sh -t 1800 'SCALE_PHONES=$(SCALE_PHONES) SCALE_CALLS=$(SCALE_CALLS) \
		tests/vm/run.sh scale.sh'

clean: core-clean
	$(MAKE) -C cli clean
	rm -rf build

include mk/core.mk
include mk/package.mk

# sipalg: top-level build.
#
#   make            sipalg.ko (here) and the CLI (cli/sipalg)
#   make check      everything: deps, build, unit tests, sanitizers, fuzz
#                   smoke, and the VM tests (as root on Debian 12)
#   make demo       a NATed SIP call through the router VM, before/after
#   make bench      benchmarks (figures only, no assertions)
#   make stress     the VM storm test with STRESS_COUNT (1,000,000) datagrams
#                   and STRESS_TCP_CONNS (1000) TCP streams
#
# KDIR selects the kernel build tree (default: the newest one installed).

BENCH_ROUNDS ?= 5
BENCH_SECONDS ?= 3
KDIR ?= $(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V))

STRESS_COUNT ?= 1000000
STRESS_TCP_CONNS ?= 1000
STRESS_SEED ?= $(shell date +%s)

.PHONY: all module cli vm-tools cli-unit cli-unit-asan check demo bench bench-vm stress lint \
	kmod-calls clean

all: module cli vm-tools

module:
	@test -n "$(KDIR)" || { echo "no kernel headers in /lib/modules/*/build: run scripts/deps.sh or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

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
	scripts/kmod-calls.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench: bench-core bench-vm

# The VM benchmark's traffic tools, run inside the VM.
BENCH_TOOLS := build/bench/udpflood build/bench/udpsink
build/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

bench-vm: module $(BENCH_TOOLS)
	scripts/vm-run.sh -t 1800 'tests/vm/bench.sh $(BENCH_ROUNDS) $(BENCH_SECONDS)'

# The storm generator, run inside the VM (t-storm, t-bounds,
# t-sipalg-unload): mutated SIP, classified by the core it links.
STORM := build/storm/sipstorm
vm-tools: $(STORM)
$(STORM): tests/storm/sipstorm.cpp $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CORE_CXX) -std=c++20 -O2 -Wall -Wextra -Werror -Iinclude tests/storm/sipstorm.cpp \
		$(CORE_SRCS) -o $@

stress: all
	scripts/vm-run.sh -t 7200 'STORM_COUNT=$(STRESS_COUNT) STORM_TCP_CONNS=$(STRESS_TCP_CONNS) \
		STORM_SEED=$(STRESS_SEED) tests/vm/run.sh t-storm.sh'

clean: core-clean
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	$(MAKE) -C cli clean
	rm -rf build

include mk/core.mk

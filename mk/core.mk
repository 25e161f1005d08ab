# sipalg core: userspace builds of the freestanding C++ core (unit tests,
# sanitizers, fuzzing, benchmark) and the kernel-freestanding check.
#
# Included by the top-level Makefile; also usable alone:
#   make -f mk/core.mk unit
# Paths are relative to the repository root (the current directory).
# Everything is built under build/core/.

CORE_BUILD ?= build/core
CORE_CXX ?= g++
CORE_CLANGXX ?= clang++
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 60

CORE_SRCS := $(sort $(wildcard core/*.cpp))
CORE_HDRS := include/sipalg/core.h include/sipalg/decide.h $(wildcard include/sipalg/core/*.hpp)
CORE_UNIT_SRCS := $(sort $(wildcard tests/unit/core_*.cpp tests/unit/test_core_*.cpp))
CORE_UNIT_HDRS := $(wildcard tests/unit/core_*.hpp)
CORE_CORPUS := tests/corpus

# Catch2: v3 (catch_test_macros.hpp, Catch2Main) when installed, else the v2
# single header with its prebuilt main (Debian 12 ships 2.13).
ifneq ($(wildcard /usr/include/catch2/catch_test_macros.hpp /usr/local/include/catch2/catch_test_macros.hpp),)
CORE_CATCH_LIBS := -lCatch2Main -lCatch2
else
CORE_CATCH_LIBS := -L/usr/lib -lCatch2WithMain
endif

CORE_UNIT_DEFS := -Iinclude -Itests/unit -DSIPALG_CORPUS_DIR='"$(CURDIR)/$(CORE_CORPUS)"'
CORE_UNIT_FLAGS := -std=c++20 -O2 -g -Wall -Wextra -Werror $(CORE_UNIT_DEFS)
CORE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CORE_ASAN_FLAGS := -std=c++20 -O1 -g -Wall -Wextra -Werror $(CORE_SAN) $(CORE_UNIT_DEFS)
CORE_SAN_ENV := ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# The flags the kernel module compiles core/*.cpp with (see Kbuild), minus
# the kernel's own C flags, plus a frame size limit well below the 16 KB
# kernel stack.
CORE_KERNEL_FLAGS := -std=gnu++20 -O2 -nostdinc -nostdinc++ -ffreestanding -fno-exceptions \
	-fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -mno-red-zone -mcmodel=kernel -fno-pic -mgeneral-regs-only -mno-sse \
	-fno-stack-protector -fno-jump-tables -fno-strict-aliasing -Wall -Wextra -Werror \
	-Wno-sign-compare -Wno-missing-field-initializers -Wframe-larger-than=512 \
	-fstack-usage -DSIPALG_KERNEL -Iinclude
CORE_ALLOWED_UNDEF := memcpy memmove memset memcmp

.PHONY: unit unit-asan unit-coverage fuzz-smoke fuzz bench-core bench-core-profile bench-core-lines core-freestanding core-clean \
	core-be-check core-diff

# ---- unit tests (g++) ----
CORE_UNIT_OBJS := $(patsubst %.cpp,$(CORE_BUILD)/unit/%.o,$(CORE_SRCS) $(CORE_UNIT_SRCS))

$(CORE_BUILD)/unit/%.o: %.cpp $(CORE_HDRS) $(CORE_UNIT_HDRS)
	@mkdir -p $(@D)
	$(CORE_CXX) $(CORE_UNIT_FLAGS) -c $< -o $@

$(CORE_BUILD)/unit/core_tests: $(CORE_UNIT_OBJS)
	$(CORE_CXX) $(CORE_UNIT_FLAGS) $^ -o $@ $(CORE_CATCH_LIBS)

unit: $(CORE_BUILD)/unit/core_tests
	$(CORE_BUILD)/unit/core_tests

# ---- unit tests under ASan + UBSan (clang++) ----
CORE_ASAN_OBJS := $(patsubst %.cpp,$(CORE_BUILD)/asan/%.o,$(CORE_SRCS) $(CORE_UNIT_SRCS))

$(CORE_BUILD)/asan/%.o: %.cpp $(CORE_HDRS) $(CORE_UNIT_HDRS)
	@mkdir -p $(@D)
	$(CORE_CLANGXX) $(CORE_ASAN_FLAGS) -c $< -o $@

$(CORE_BUILD)/asan/core_tests: $(CORE_ASAN_OBJS)
	$(CORE_CLANGXX) $(CORE_ASAN_FLAGS) $^ -o $@ $(CORE_CATCH_LIBS)

unit-asan: $(CORE_BUILD)/asan/core_tests
	$(CORE_SAN_ENV) $(CORE_BUILD)/asan/core_tests

# ---- branch coverage of the scanners (gcov) ----
# The unit tests once more, built with gcov's counters and every function
# out of line (SIPALG_COVERAGE: no forced inlining), so that a scanner's
# branches are counted once, over all its callers; then every branch of
# every function in include/sipalg/core/*.hpp, and of the word compares in
# core/*.cpp, must have been taken (scripts/unit-coverage.sh).
CORE_COV_FLAGS := -std=c++20 -O1 -fno-inline -g --coverage -DSIPALG_COVERAGE -Wall -Wextra -Werror \
	$(CORE_UNIT_DEFS)
CORE_COV_OBJS := $(patsubst %.cpp,$(CORE_BUILD)/coverage/%.o,$(CORE_SRCS) $(CORE_UNIT_SRCS))

$(CORE_BUILD)/coverage/%.o: %.cpp $(CORE_HDRS) $(CORE_UNIT_HDRS)
	@mkdir -p $(@D)
	$(CORE_CXX) $(CORE_COV_FLAGS) -c $< -o $@

$(CORE_BUILD)/coverage/core_tests: $(CORE_COV_OBJS)
	$(CORE_CXX) --coverage $^ -o $@ $(CORE_CATCH_LIBS)

unit-coverage: $(CORE_BUILD)/coverage/core_tests
	find $(CORE_BUILD)/coverage -name '*.gcda' -delete
	$(CORE_BUILD)/coverage/core_tests
	scripts/unit-coverage.sh $(CORE_BUILD)/coverage

# ---- libFuzzer ----
CORE_FUZZ_FLAGS := -std=c++20 -O1 -g -Wall -Wextra -Werror -Iinclude \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(CORE_BUILD)/fuzz/fuzz_core: tests/fuzz/fuzz_core.cpp tests/fuzz/xlats.hpp tests/unit/core_scan_reference.hpp $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CORE_CLANGXX) $(CORE_FUZZ_FLAGS) tests/fuzz/fuzz_core.cpp $(CORE_SRCS) -o $@

# Run $(1) seconds; new inputs go to build/core/fuzz/corpus (kept between
# runs), findings to build/core/fuzz/crash-* (cleared at the start of a run;
# copy a finding to tests/corpus/regress/ once it is fixed). libFuzzer exits
# non-zero on a finding; the run prints the execs and execs/s.
define core_fuzz_run
	@mkdir -p $(CORE_BUILD)/fuzz/corpus
	@rm -f $(CORE_BUILD)/fuzz/crash-* $(CORE_BUILD)/fuzz/leak-* $(CORE_BUILD)/fuzz/timeout-* \
		$(CORE_BUILD)/fuzz/oom-*
	$(CORE_SAN_ENV) $(CORE_BUILD)/fuzz/fuzz_core -max_total_time=$(1) -print_final_stats=1 \
		-dict=tests/fuzz/sip.dict -max_len=4096 \
		-artifact_prefix=$(CORE_BUILD)/fuzz/ \
		$(CORE_BUILD)/fuzz/corpus $(CORE_CORPUS) 2>&1 | tee $(CORE_BUILD)/fuzz/last.log | \
		grep -E '^(INFO: Seed|#[0-9]+ +DONE|stat::|==[0-9]+==|SUMMARY|ERROR|Done)' ; \
		status=$${PIPESTATUS[0]}; \
		grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' $(CORE_BUILD)/fuzz/last.log; \
		ls $(CORE_BUILD)/fuzz/crash-* $(CORE_BUILD)/fuzz/leak-* $(CORE_BUILD)/fuzz/timeout-* \
			$(CORE_BUILD)/fuzz/oom-* 2>/dev/null \
			&& { echo "fuzz: findings above" >&2; exit 1; }; \
		test $$status -eq 0 || { echo "fuzz: libFuzzer exited $$status" >&2; exit 1; }; \
		echo "fuzz: no findings"
endef

fuzz-smoke: SHELL := /bin/bash
fuzz-smoke: $(CORE_BUILD)/fuzz/fuzz_core
	$(call core_fuzz_run,$(FUZZ_SMOKE_SECONDS))

fuzz: SHELL := /bin/bash
fuzz: $(CORE_BUILD)/fuzz/fuzz_core
	$(call core_fuzz_run,$(FUZZ_SECONDS))

# ---- benchmark ----
$(CORE_BUILD)/bench/bench_core: bench/bench_core.cpp $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CORE_CXX) -std=c++20 -O2 -Wall -Wextra -Werror -Iinclude bench/bench_core.cpp $(CORE_SRCS) -o $@

bench-core: $(CORE_BUILD)/bench/bench_core
	$(CORE_BUILD)/bench/bench_core

# Instructions per message per core function (callgrind), the figures to
# compare before and after a change: timing on this host is noisy.
CORE_PROFILE_RUNS ?= 2000
bench-core-profile: $(CORE_BUILD)/bench/bench_core $(CORE_BUILD)/bench/bench_core_kcode
	scripts/core-profile.sh $(CORE_BUILD)/bench/bench_core $(CORE_PROFILE_RUNS)
	@echo "The same core compiled with the kernel's code generation flags:"
	scripts/core-profile.sh $(CORE_BUILD)/bench/bench_core_kcode $(CORE_PROFILE_RUNS) | \
		grep -E 'runs|sipalg_(parse|make_plan|apply_in_place|frame|frame_tail)$$'

# The core as the module compiles it, linked into the userspace benchmark:
# the instruction counts the kernel runs. These are the code generation
# flags of Debian 12's 6.1 kernel build (its .o.cmd of a core object, less
# include paths and warnings): the kernel memory model, return and
# indirect-branch thunks, the ftrace call at every entry, the stack
# protector, locals zeroed at entry, -fconserve-stack (which changes what
# GCC inlines), unaligned loops. A shorter list (no jump tables, no SSE,
# no red zone) once ranked changes the wrong way round: callgrind on it
# said better where the module ran 100-200 instructions a message more.
# Userspace differences: the stack protector reads its guard from %fs
# (the kernel's is in %gs), and bench/kernel_stubs.S stands in for the
# ftrace entry and the thunks (so a call counts two instructions more
# here than in the running kernel, which patches them at the call site).
CORE_KCODE_FLAGS := -std=gnu++20 -O2 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
	-fno-use-cxa-atexit -fno-asynchronous-unwind-tables -fno-unwind-tables -mgeneral-regs-only \
	-fno-strict-aliasing -fno-common -fshort-wchar -fno-PIE -mno-sse -mno-mmx -mno-sse2 -mno-3dnow \
	-mno-avx -fcf-protection=none -m64 -falign-jumps=1 -falign-loops=1 -mno-80387 \
	-mno-fp-ret-in-387 -mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic -mno-red-zone \
	-mcmodel=kernel -mindirect-branch=thunk-extern -mindirect-branch-register \
	-mindirect-branch-cs-prefix -mfunction-return=thunk-extern -fno-jump-tables -mharden-sls=all \
	-fno-delete-null-pointer-checks -fno-allow-store-data-races -fstack-protector-strong \
	-mstack-protector-guard-reg=fs -ftrivial-auto-var-init=zero -fno-stack-clash-protection \
	-pg -mrecord-mcount -mfentry -fno-strict-overflow -fno-stack-check -fconserve-stack \
	-Wall -Wextra -Werror -Wno-sign-compare -Iinclude
CORE_KCODE_OBJS := $(patsubst core/%.cpp,$(CORE_BUILD)/kcode/%.o,$(CORE_SRCS))

$(CORE_BUILD)/kcode/%.o: core/%.cpp $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CORE_CXX) $(CORE_KCODE_FLAGS) -c $< -o $@

# (-no-pie: -mcmodel=kernel code holds 32-bit absolute addresses.)
$(CORE_BUILD)/bench/bench_core_kcode: bench/bench_core.cpp bench/kernel_stubs.S $(CORE_KCODE_OBJS)
	@mkdir -p $(@D)
	$(CORE_CXX) -std=c++20 -O2 -no-pie -Wall -Wextra -Werror -Iinclude $^ -o $@

# Where one core function's instructions go, line by line: the kernel-flags
# core again, with line tables (in a build of its own: with them callgrind
# splits a function's inclusive count by source file, which
# bench-core-profile's per-function figures must not be).
CORE_LINES_CASE ?= register
CORE_LINES_FN ?= ^sipalg_parse$$
CORE_KCODE_G_OBJS := $(patsubst core/%.cpp,$(CORE_BUILD)/kcode-g/%.o,$(CORE_SRCS))

$(CORE_BUILD)/kcode-g/%.o: core/%.cpp $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CORE_CXX) $(CORE_KCODE_FLAGS) -g -c $< -o $@

$(CORE_BUILD)/bench/bench_core_kcode_g: bench/bench_core.cpp bench/kernel_stubs.S $(CORE_KCODE_G_OBJS)
	@mkdir -p $(@D)
	$(CORE_CXX) -std=c++20 -O2 -no-pie -Wall -Wextra -Werror -Iinclude $^ -o $@

bench-core-lines: $(CORE_BUILD)/bench/bench_core_kcode_g
	scripts/core-lines.sh $< $(CORE_LINES_CASE) '$(CORE_LINES_FN)' $(CORE_PROFILE_RUNS)

# Speed work must not change what the core concludes: compare every field
# it returns, input by input, with an older revision's core.
CORE_DIFF_REV ?= main
CORE_DIFF_MUTATIONS ?= 300
core-diff:
	scripts/core-diff.sh $(CORE_DIFF_REV) $(CORE_DIFF_MUTATIONS)

# ---- kernel-freestanding check ----
CORE_K_OBJS := $(patsubst core/%.cpp,$(CORE_BUILD)/kernel/%.o,$(CORE_SRCS))

$(CORE_BUILD)/kernel/%.o: core/%.cpp $(CORE_HDRS)
	@mkdir -p $(@D)
	g++ $(CORE_KERNEL_FLAGS) -c $< -o $@

# All core objects linked together (ld -r) may reference nothing but the
# four mem* functions the kernel exports; no object may carry constructors.
core-freestanding: $(CORE_K_OBJS)
	ld -r -o $(CORE_BUILD)/kernel/core_all.o $(CORE_K_OBJS)
	@undef=$$(nm -u $(CORE_BUILD)/kernel/core_all.o | awk '{print $$2}' | \
		grep -vxE '$(subst $(eval) ,|,$(CORE_ALLOWED_UNDEF))' || true); \
	if [ -n "$$undef" ]; then echo "core-freestanding: undefined symbols: $$undef" >&2; exit 1; fi
	@for o in $(CORE_K_OBJS); do \
		if objdump -h $$o | grep -qE '\.(init_array|ctors|fini_array|dtors)'; then \
			echo "core-freestanding: $$o has global constructors/destructors" >&2; exit 1; fi; \
	done
	@echo "core-freestanding: OK ($(words $(CORE_K_OBJS)) objects; undefined:" \
		"$$(nm -u $(CORE_BUILD)/kernel/core_all.o | awk '{print $$2}' | tr '\n' ' '))"
	@echo "largest stack frames:"; sort -t'	' -k2 -n $(CORE_BUILD)/kernel/*.su | tail -3 | \
		awk -F'\t' '{print "  " $$2 " bytes  " $$1}'

core-clean:
	rm -rf $(CORE_BUILD)

# ---- big-endian (MIPS, under qemu-user) ----
# The word-at-a-time scanners must find the same bytes on either byte order
# (routers run big-endian MIPS and PowerPC too). Needs g++-mips-linux-gnu
# and qemu-user; not part of make check (~2 minutes and a cross compiler).
core-be-check:
	scripts/core-be-check.sh $(CORE_BUILD)/be

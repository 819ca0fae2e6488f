# SPDX-License-Identifier: MIT
# Convenience front end to Meson: every target installs what is missing
# (scripts/install-deps.sh), configures its build directory if needed and
# builds before doing its job, so each works from a fresh clone.
# docs/BUILD.md describes the targets, options and variables.

BUILD         ?= build
BUILD_ASAN    ?= build-asan
BUILD_TSAN    ?= build-tsan
BUILD_RELEASE ?= build-release
BUILD_FUZZ    ?= build-fuzz
BUILD_DEB     ?= build-deb
DEB_JOBS      ?= 2
SCALE         ?= 50
FUZZ_SECONDS  ?= 60
RUNS          ?= 50
PREFIX        ?= /usr/local
ARGS          ?= run

DEPS = scripts/install-deps.sh
# The ASan build also runs the expensive checks: the full invariant checker at
# every epc_destroy, and poisoned bytes for pages that stop being valid.
ASAN_SETUP = -Db_sanitize=address,undefined -Db_lundef=false -Dexpensive_checks=true
TSAN_SETUP = -Db_sanitize=thread -Db_lundef=false
ASAN_ENV = ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# gcc 12's TSan cannot place its shadow memory when the kernel randomizes mmap
# with more than 28 bits: run the TSan tests without ASLR then.
TSAN_WRAP = $(shell [ "$$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ] && \
	setarch $$(uname -m) -R true 2>/dev/null && echo "--wrapper='setarch $$(uname -m) -R'")

# $(call setup,DIR,MESON OPTIONS[,ENV]): configure DIR unless it is already.
setup = @test -f $(1)/build.ninja || $(3) meson setup $(1) $(2)

# $(call suite,DIR,SUITE[,ENV[,MESON TEST OPTIONS]]): run the tests of SUITE
# in DIR, logging to DIR/meson-logs/testlog-SUITE.json (an empty file if the
# suite has no test), which scripts/tally-tests.sh counts.
define suite
	@rm -f $(1)/meson-logs/testlog-$(2).*
	$(3) meson test -C $(1) --suite $(2) --logbase testlog-$(2) --print-errorlogs $(4)
	@test -f $(1)/meson-logs/testlog-$(2).json || : > $(1)/meson-logs/testlog-$(2).json
endef

.PHONY: all deps build run test test-unit test-stress asan tsan stress flake-check bench fuzz \
	fuzz-build check-format clean install ci deb deb-test
.NOTPARALLEL:

all: build

deps:
	@$(DEPS)

build: deps
	$(call setup,$(BUILD),--buildtype=debugoptimized)
	ninja -C $(BUILD)

run: build
	./$(BUILD)/tools/epcmm/epcmm $(ARGS)

test: test-unit test-stress

test-unit: build
	$(call suite,$(BUILD),unit)

test-stress: build
	$(call suite,$(BUILD),stress,EPCMM_STRESS_SCALE=1)

asan: deps
	$(call setup,$(BUILD_ASAN),$(ASAN_SETUP))
	ninja -C $(BUILD_ASAN)
	$(call suite,$(BUILD_ASAN),unit,$(ASAN_ENV))

tsan: deps
	$(call setup,$(BUILD_TSAN),$(TSAN_SETUP))
	ninja -C $(BUILD_TSAN)
	$(call suite,$(BUILD_TSAN),stress,EPCMM_STRESS_SCALE=1 $(TSAN_ENV),$(TSAN_WRAP))

stress: build
	$(call setup,$(BUILD_TSAN),$(TSAN_SETUP))
	ninja -C $(BUILD_TSAN)
	$(call suite,$(BUILD_TSAN),stress,EPCMM_STRESS_SCALE=$(SCALE) $(TSAN_ENV),-t 20 $(TSAN_WRAP))
	$(call suite,$(BUILD),stress,EPCMM_STRESS_SCALE=$(SCALE),-t 10)

# The stress suite RUNS times beside a CPU hog: is the test command reliable?
flake-check: build
	scripts/flake-check.sh $(RUNS) $(BUILD)

# Release with link-time optimisation: the public alloc/free path crosses the
# library's layers (face, reclaim, cgroup, mm, hw), and LTO inlines across
# them (docs/PERFORMANCE.md §3: about a fifth fewer instructions per pair).
bench:
	@$(DEPS) --bench
	$(call setup,$(BUILD_RELEASE),--buildtype=release -Db_lto=true)
	meson configure $(BUILD_RELEASE) -Db_lto=true
	ninja -C $(BUILD_RELEASE)
	meson test -C $(BUILD_RELEASE) --benchmark --verbose

# Build every fuzz target, run none: CI does this, so a target that stops
# compiling or linking fails there, not in the next `make fuzz`.
fuzz-build:
	@$(DEPS) --fuzz
	$(call setup,$(BUILD_FUZZ),-Dfuzz=true,CC=clang)
	ninja -C $(BUILD_FUZZ)

# libFuzzer adds new inputs to its first corpus directory: that is
# fuzz-out/NAME/new; the checked-in tests/fuzz/corpus/NAME/ is only read.
fuzz: fuzz-build
	@set -e; found=0; \
	for t in $(BUILD_FUZZ)/tests/fuzz/fuzz_*; do \
		[ -f "$$t" ] && [ -x "$$t" ] || continue; \
		found=1; n=$$(basename $$t); c=tests/fuzz/corpus/$${n#fuzz_}; \
		mkdir -p fuzz-out/$$n/new; \
		echo "== $$n: $(FUZZ_SECONDS)s, corpus $$c"; \
		$(ASAN_ENV) $$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz-out/$$n/ \
			fuzz-out/$$n/new $$([ -d $$c ] && echo $$c); \
	done; \
	[ $$found = 1 ] || echo "no fuzz targets in $(BUILD_FUZZ)/tests/fuzz/"

check-format:
	@$(DEPS) --format
	git ls-files -z '*.c' '*.h' | xargs -0 -r clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_RELEASE) $(BUILD_FUZZ) $(BUILD_DEB) fuzz-out

install: build
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson install -C $(BUILD)

# Debian packages (docs/PACKAGING.md), built by dpkg-buildpackage in a copy
# of the tree as it is now (the files git tracks or would track), so that its
# obj-*/ directory and the .deb/.changes files it writes into the copy's
# parent all stay under $(BUILD_DEB); then lintian, which must find no error
# and no warning.
deb:
	@$(DEPS) --deb
	rm -rf $(BUILD_DEB)
	mkdir -p $(BUILD_DEB)/src
	git ls-files -z --cached --others --exclude-standard | \
		tar -c --null -T - --ignore-failed-read -f - | tar -x -C $(BUILD_DEB)/src
	cd $(BUILD_DEB)/src && dpkg-buildpackage -us -uc -b -j$(DEB_JOBS)
	lintian --fail-on error,warning $(BUILD_DEB)/*.changes
	@ls $(BUILD_DEB)/*.deb

# Install the packages with dpkg -i, use them from /usr, purge them (root;
# builds them first if $(BUILD_DEB) has none). Slow: not part of `make test`.
deb-test:
	@$(DEPS) --deb
	@ls $(BUILD_DEB)/*.deb >/dev/null 2>&1 || $(MAKE) deb
	scripts/deb-test.sh $(BUILD_DEB)

ci:
	.ci/run

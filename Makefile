# ctnic top-level build.
#
# Every folder adds its own rules in a build.mk fragment (included below), so
# parts of the tree can grow without editing this file. A fragment:
#   - builds into $(B)/<folder>/...;
#   - appends the programs it builds to ALL_BINS;
#   - appends test programs it builds to TEST_BINS, and every test to run
#     (built programs and scripts) to TEST_PROGS, in the order they should
#     run. A test prints TAP lines ("ok N - name", "not ok N - name",
#     "ok N - name # SKIP why"); tests/run-tests counts them and prints the
#     closing "N passed, N failed" line.
#
# SAN=1 builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# into build/san; `make test` uses it. Plain builds go to build/rel.

SHELL        := /bin/bash
.DEFAULT_GOAL := all

SAN          ?= 0
# Helpers working side by side each build in a root of their own.
BUILD_ROOT   ?= build
ifeq ($(SAN),1)
B            := $(BUILD_ROOT)/san
SANFLAGS     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B            := $(BUILD_ROOT)/rel
SANFLAGS     :=
endif

CC           ?= gcc
CXX          ?= g++
PYTHON       ?= python3
VERILATOR    ?= verilator
YOSYS        ?= yosys

WARN         := -Wall -Wextra -Werror
CFLAGS       := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -Idriver/include -Isim/model -Ihost $(SANFLAGS)
CXXFLAGS     := -std=c++17 -O2 -g -D_GNU_SOURCE -Idriver/include -Isim/model $(SANFLAGS)
LDFLAGS      := $(SANFLAGS)

ALL_BINS     :=
TEST_BINS    :=
TEST_PROGS   :=
LIBCTNIC     := $(B)/driver/libctnic.a

# The register map: one source, three generated (and committed) copies.
REGMAP_SRC   := hw/regmap.json
REGMAP_GEN   := hw/ctnic_regs.vh driver/include/ctnic_regs.h docs/regmap.md
REGMAP_TOOL  := tools/regmap/regmap.py

include $(sort $(wildcard */build.mk */*/build.mk))

.PHONY: all deps test tests-build test-run demo synth synth-run lint check-generated regen clean help

all: $(REGMAP_GEN) $(ALL_BINS)

deps:
	@tools/deps.sh

$(REGMAP_GEN) &: $(REGMAP_SRC) $(REGMAP_TOOL)
	$(PYTHON) $(REGMAP_TOOL) --src $(REGMAP_SRC) --root .

regen:
	$(PYTHON) $(REGMAP_TOOL) --src $(REGMAP_SRC) --root .

# Fails when a committed generated file differs from what the source gives.
check-generated:
	$(PYTHON) $(REGMAP_TOOL) --src $(REGMAP_SRC) --root . --check

# The whole suite, sanitized. Ends with "N passed, N failed[, N skipped]".
test: deps
	@mkdir -p $(BUILD_ROOT)
	@echo "building (SAN=1) ..."
	@$(MAKE) --no-print-directory SAN=1 all tests-build >$(BUILD_ROOT)/test-build.log 2>&1 \
	  || { tail -n 60 $(BUILD_ROOT)/test-build.log; echo "build failed (full log: $(BUILD_ROOT)/test-build.log)"; \
	       echo "0 passed, 1 failed"; exit 1; }
	@$(MAKE) --no-print-directory SAN=1 test-run

tests-build: $(TEST_BINS)

test-run:
	@CTNIC_BUILD=$(B) CTNIC_LOGS=$(BUILD_ROOT)/test-logs $(PYTHON) tests/run-tests $(TEST_PROGS)

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(B)

# hw/build.mk defines lint and synth-run.
synth: deps
	@$(MAKE) --no-print-directory synth-run

clean:
	rm -rf $(BUILD_ROOT)

help:
	@echo "make deps    install the Debian packages the build and tests need"
	@echo "make demo    build, and replay the story of the NAT leak through the simulated card, beside Linux"
	@echo "make test    the whole test suite (sanitized build)"
	@echo "make synth   synthesize the RTL with yosys and print resources"
	@echo "make lint    verilator --lint-only -Wall on the RTL"

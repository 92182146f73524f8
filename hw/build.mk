# hw/: the card's RTL. Defines for others (names fixed, see the rtl brief):
#   HW_SRCS        the RTL files
#   VTOP_DIR       verilator --cc output of HW_TOP, the card (built with --trace;
#                  class Vctnic_top)
#   VTOP_LIB       one archive: the verilated model and the verilator runtime;
#                  a harness links just this (and -lpthread)
#   VTOP_CXXFLAGS  include flags a harness needs
#   VCORE_DIR      verilator --cc output of ctnic_top alone (the core, whose
#   VCORE_LIB      host streams tests/rtl drives directly), same class name
#                  Vctnic_top; include with -isystem $(VCORE_DIR)
# and the phony targets lint and synth-run.
#
# The verilated model is generated code and is compiled WITHOUT sanitizers,
# even when SAN=1: a harness built with SAN=1 links it fine (the sanitizer
# runtime comes from the harness's own link line).

HW_TOP        := ctnic_card
HW_SRCS       := hw/ctnic_top.v hw/ctnic_csr.v hw/ctnic_ingress.v hw/ctnic_engine.v \
                 hw/ctnic_egress.v hw/ctnic_fifo.v hw/ctnic_ram.v hw/ctnic_aging.v
# The whole card (docs/hardware.md "The card"): the core with the DMA engine
# and command executor, HW_TOP (ctnic-sim runs it; tests/dma verilates it too).
HW_CARD_SRCS  := hw/ctnic_card.v hw/ctnic_dma.v hw/ctnic_dma_cmd.v
HW_SRCS       += $(HW_CARD_SRCS)
# Verilator configuration of HW_TOP's model: ctnic-sim reads the punt stream inside the card.
HW_VLT        := hw/ctnic_sim.vlt
HW_INCS       := hw/ctnic_regs.vh
HW_PARAMS     ?=

VERILATOR_INC := /usr/share/verilator/include
VTOP_DIR      := $(B)/vtop
VTOP_LIB      := $(VTOP_DIR)/libvtop.a
VTOP_CXXFLAGS := -I$(VTOP_DIR) -I$(VERILATOR_INC) -I$(VERILATOR_INC)/vltstd
VTOP_CXX      := $(CXX) -std=c++17 -O2 -w -faligned-new $(VTOP_CXXFLAGS)
VTOP_RT_SRCS  := verilated.cpp verilated_vcd_c.cpp verilated_threads.cpp

$(VTOP_DIR)/Vctnic_top.mk: $(HW_SRCS) $(HW_INCS) $(HW_VLT) hw/build.mk
	@mkdir -p $(VTOP_DIR)
	$(VERILATOR) --cc --trace -Wall -Ihw --top-module $(HW_TOP) --prefix Vctnic_top \
	  -Mdir $(VTOP_DIR) $(HW_PARAMS) $(HW_VLT) $(HW_SRCS)
	@touch $@

# Compile every generated file and the runtime, then archive. (The generated
# Makefile would also work; compiling here keeps one set of flags.)
# $(call vlib,DIR): the recipe that archives DIR's verilated model with the runtime.
define vlib
	@rm -f $(1)/*.o $@
	cd $(1) && for f in Vctnic_top*.cpp; do \
	  $(VTOP_CXX) -I. -c $$f -o $${f%.cpp}.o || exit 1; done
	cd $(1) && for f in $(VTOP_RT_SRCS); do \
	  $(VTOP_CXX) -I. -c $(VERILATOR_INC)/$$f -o rt_$${f%.cpp}.o || exit 1; done
	ar rcs $@ $(1)/*.o
endef

$(VTOP_LIB): $(VTOP_DIR)/Vctnic_top.mk
	$(call vlib,$(VTOP_DIR))

# The core alone (ctnic_top), for tests/rtl: its host streams are ports
# there. When HW_TOP is ctnic_top this is the same model, verilated twice.
VCORE_DIR     := $(B)/vcore
VCORE_LIB     := $(VCORE_DIR)/libvcore.a
VCORE_SRCS    := $(filter-out $(HW_CARD_SRCS),$(HW_SRCS))

$(VCORE_DIR)/Vctnic_top.mk: $(VCORE_SRCS) $(HW_INCS) hw/build.mk
	@mkdir -p $(VCORE_DIR)
	$(VERILATOR) --cc --trace -Wall -Ihw --top-module ctnic_top --prefix Vctnic_top \
	  -Mdir $(VCORE_DIR) $(HW_PARAMS) $(VCORE_SRCS)
	@touch $@

$(VCORE_LIB): $(VCORE_DIR)/Vctnic_top.mk
	$(call vlib,$(VCORE_DIR))

.PHONY: vtop vcore lint synth-run
vtop: $(VTOP_LIB)
vcore: $(VCORE_LIB)

lint:
	$(VERILATOR) --lint-only -Wall -Ihw --top-module ctnic_top $(VCORE_SRCS)
	$(VERILATOR) --lint-only -Wall -Ihw --top-module $(HW_TOP) $(HW_SRCS)

# Generic 7-series-like target (synth_xilinx, the default family of yosys
# 0.23). Prints synth_luts, synth_ffs, synth_bram36.
SYNTH_LOG := $(B)/synth/yosys.log
synth-run:
	@mkdir -p $(B)/synth
	@$(YOSYS) -q -l $(SYNTH_LOG) -p "read_verilog -sv -Ihw $(HW_SRCS); \
	  synth_xilinx -flatten -top $(HW_TOP); stat" >/dev/null 2>&1 || { tail -n 30 $(SYNTH_LOG); exit 1; }
	@hw/synth-summary.py $(SYNTH_LOG)

TEST_PROGS += "hw/lint-tap.sh"

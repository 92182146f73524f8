# tests/system: the whole chain (ctnic-sim with the RTL, ctnicd, ctnicctl,
# libctnic) driven by test programs that print TAP.
SYSTEST_DIR  := $(B)/tests/system
SYSTEST_LIB  := $(SYSTEST_DIR)/frames.o $(SYSTEST_DIR)/harness.o
SYSTEM_TEST  := $(SYSTEST_DIR)/system_test
SIM_PROTO_TEST := $(SYSTEST_DIR)/sim_proto_test
INSTALL_TEST := $(SYSTEST_DIR)/install_test
CTL_TEST     := $(SYSTEST_DIR)/ctl_test
# Named here: tools/build.mk is read after this file, and TEST_PROGS expands at once.
SYS_CTNICCTL := $(B)/tools/ctnicctl/ctnicctl
SYS_CTNICD   := $(B)/host/ctnicd
SYS_CTNICSIM := $(B)/sim/ctnic-sim/ctnic-sim

$(SYSTEST_DIR)/%.o: tests/system/%.c $(wildcard tests/system/*.h) $(wildcard driver/include/*.h) $(wildcard host/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isim/ctnic-sim -c $< -o $@

$(SYSTEM_TEST): $(SYSTEST_DIR)/system_test.o $(SYSTEST_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ -lpcap $(LIBCTNIC_LIBS)

$(SIM_PROTO_TEST): $(SYSTEST_DIR)/sim_proto_test.o $(SYSTEST_LIB)
	$(CC) $(LDFLAGS) -o $@ $^

$(INSTALL_TEST): $(SYSTEST_DIR)/install_test.o $(SYSTEST_LIB) $(B)/host/install.o $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBCTNIC_LIBS)

$(CTL_TEST): $(SYSTEST_DIR)/ctl_test.o $(B)/host/ctl.o
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lcjson

TEST_BINS  += $(CTL_TEST) $(INSTALL_TEST) $(SIM_PROTO_TEST) $(SYSTEM_TEST) $(SYS_CTNICSIM) $(SYS_CTNICD) $(SYS_CTNICCTL)
TEST_PROGS += $(CTL_TEST)
TEST_PROGS += "$(SIM_PROTO_TEST) $(SYS_CTNICSIM)"
# ctnic-sim with a TAP port: requests served a turn at a time, a full port held back (root).
TEST_PROGS += "tests/system/test-sim-live.sh $(SYS_CTNICSIM)"
TEST_PROGS += "$(INSTALL_TEST) $(SYS_CTNICSIM)"
TEST_PROGS += "$(SYSTEM_TEST) $(SYS_CTNICSIM) $(SYS_CTNICD) $(SYS_CTNICCTL)"

# ctnic-sim built around tests/system/probe/ctnic_top.v, a stand-in card with
# the AXI4 master and interrupt output of docs/rings.md: proves the shell's
# host RAM (DMA) and interrupt path before the real card has them.
PROBE_VTOP    := $(SYSTEST_DIR)/probe-vtop
PROBE_LIB     := $(PROBE_VTOP)/libvtop.a
PROBE_SIM     := $(SYSTEST_DIR)/ctnic-sim-probe
PROBE_OBJS    := $(patsubst sim/ctnic-sim/%.cpp,$(SYSTEST_DIR)/probe-sim/%.o,$(CTNIC_SIM_SRCS))
PROBE_VLT_INC := /usr/share/verilator/include
PROBE_CXX     := $(CXX) -std=c++17 -O2 -w -faligned-new -I$(PROBE_VTOP) -I$(PROBE_VLT_INC) -I$(PROBE_VLT_INC)/vltstd
HOSTRAM_TEST      := $(SYSTEST_DIR)/sim_hostram_test

$(PROBE_VTOP)/Vctnic_top.mk: tests/system/probe/ctnic_top.v
	@mkdir -p $(PROBE_VTOP)
	$(VERILATOR) --cc --trace -Wall --top-module ctnic_top --prefix Vctnic_top -Mdir $(PROBE_VTOP) $<
	@touch $@

# Generated code and the Verilator runtime, without sanitizers (as hw/build.mk does).
$(PROBE_LIB): $(PROBE_VTOP)/Vctnic_top.mk
	@rm -f $(PROBE_VTOP)/*.o $@
	cd $(PROBE_VTOP) && for f in Vctnic_top*.cpp; do $(PROBE_CXX) -c $$f -o $${f%.cpp}.o || exit 1; done
	cd $(PROBE_VTOP) && for f in verilated.cpp verilated_vcd_c.cpp verilated_threads.cpp; do \
	  $(PROBE_CXX) -c $(PROBE_VLT_INC)/$$f -o rt_$${f%.cpp}.o || exit 1; done
	ar rcs $@ $(PROBE_VTOP)/*.o

$(SYSTEST_DIR)/probe-sim/%.o: sim/ctnic-sim/%.cpp $(wildcard sim/ctnic-sim/*.h) driver/include/ctnic_regs.h $(PROBE_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror -isystem $(PROBE_VTOP) -isystem $(PROBE_VLT_INC) \
	  -isystem $(PROBE_VLT_INC)/vltstd -c $< -o $@

$(PROBE_SIM): $(PROBE_OBJS) $(PROBE_LIB)
	$(CXX) $(LDFLAGS) -o $@ $^ -lpcap -pthread

$(HOSTRAM_TEST): $(SYSTEST_DIR)/sim_hostram_test.o $(SYSTEST_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBCTNIC_LIBS)

TEST_BINS  += $(HOSTRAM_TEST) $(PROBE_SIM)
TEST_PROGS += "$(HOSTRAM_TEST) $(PROBE_SIM)"

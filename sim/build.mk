# sim/: ctnic-sim, the Verilator card as a process of its own (docs/simulator.md).
# It links hw/build.mk's verilated model: VTOP_DIR (the generated headers),
# VTOP_LIB (one archive: the model built with --trace plus the Verilator
# runtime) and VTOP_CXXFLAGS (its -I become -isystem: the Verilator headers
# are not ours to keep -Werror clean).
CTNIC_SIM      := $(B)/sim/ctnic-sim/ctnic-sim
CTNIC_SIM_SRCS := $(sort $(wildcard sim/ctnic-sim/*.cpp))
CTNIC_SIM_OBJS := $(patsubst %.cpp,$(B)/%.o,$(CTNIC_SIM_SRCS))

# The sim backend speaks ctnic-sim's protocol.
$(B)/driver/src/sim.o: sim/ctnic-sim/sim_proto.h

ifneq ($(VTOP_LIB),)
ALL_BINS += $(CTNIC_SIM)

$(B)/sim/ctnic-sim/%.o: sim/ctnic-sim/%.cpp $(wildcard sim/ctnic-sim/*.h) driver/include/ctnic_regs.h $(VTOP_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror $(patsubst -I%,-isystem %,$(VTOP_CXXFLAGS)) \
	  -c $< -o $@

$(CTNIC_SIM): $(CTNIC_SIM_OBJS) $(VTOP_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $(CTNIC_SIM_OBJS) $(VTOP_LIB) -lpcap -pthread
endif

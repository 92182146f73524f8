# tests/rtl: the card's RTL against the reference model (tb.h), and the
# hardware benchmark. Links hw/build.mk's VCORE_LIB (the verilated core,
# built without sanitizers: generated code) with the model and flow.c.
RTL_TEST      := $(B)/tests/rtl/test_rtl
RTL_TEST_OBJS := $(addprefix $(B)/tests/rtl/,tb.o pkt.o flows.o aging.o test_rtl.o)
RTL_TEST_DEPS := $(CTNIC_MODEL_OBJS) $(B)/driver/src/flow.o

$(B)/tests/rtl/%.o: tests/rtl/%.cpp $(wildcard tests/rtl/*.h) sim/model/ctnic_model.h driver/include/ctnic_flow.h $(VCORE_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror -Isim/ctnic-sim -isystem $(VCORE_DIR) -isystem /usr/share/verilator/include \
	  -isystem /usr/share/verilator/include/vltstd -c $< -o $@

$(RTL_TEST): $(RTL_TEST_OBJS) $(RTL_TEST_DEPS) $(VCORE_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $(RTL_TEST_OBJS) $(RTL_TEST_DEPS) $(VCORE_LIB) -pthread

TEST_BINS  += $(RTL_TEST)
TEST_PROGS += $(RTL_TEST)

# At least a million packets, constrained-random, half of them under
# random gaps and back-pressure. Pass SEED=N to replay.
.PHONY: test-long
test-long:
	@$(MAKE) --no-print-directory $(RTL_TEST)
	$(RTL_TEST) --only random --packets 1000000 $(if $(SEED),--seed $(SEED))

# The hardware benchmark (issue 3): packets per clock and latency of the
# RTL, table >= 90% full. Prints hw_pkt_per_clk_64B, hw_pkt_per_clk_imix,
# hw_latency_clk_min, hw_latency_clk_median, hw_latency_clk_max.
BENCH_HW      := $(B)/tests/rtl/bench_hw
BENCH_HW_OBJS := $(addprefix $(B)/tests/rtl/,tb.o pkt.o flows.o bench_hw.o)

$(BENCH_HW): $(BENCH_HW_OBJS) $(RTL_TEST_DEPS) $(VCORE_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $(BENCH_HW_OBJS) $(RTL_TEST_DEPS) $(VCORE_LIB) -pthread

ALL_BINS += $(BENCH_HW)

.PHONY: bench-hw
bench-hw:
	@$(MAKE) --no-print-directory $(BENCH_HW) >/dev/null
	@$(BENCH_HW) $(if $(SEED),--seed $(SEED))

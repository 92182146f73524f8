# tests/rtl: the card's RTL against the reference model (tb.h), and the
# hardware benchmark. Links hw/build.mk's VTOP_LIB (the verilated card,
# built without sanitizers: generated code) with the model and flow.c.
RTL_TEST      := $(B)/tests/rtl/test_rtl
RTL_TEST_OBJS := $(addprefix $(B)/tests/rtl/,tb.o pkt.o test_rtl.o)
RTL_TEST_DEPS := $(CTNIC_MODEL_OBJS) $(B)/driver/src/flow.o

$(B)/tests/rtl/%.o: tests/rtl/%.cpp $(wildcard tests/rtl/*.h) sim/model/ctnic_model.h driver/include/ctnic_flow.h $(VTOP_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror -Isim/ctnic-sim -isystem $(VTOP_DIR) -isystem /usr/share/verilator/include \
	  -isystem /usr/share/verilator/include/vltstd -c $< -o $@

$(RTL_TEST): $(RTL_TEST_OBJS) $(RTL_TEST_DEPS) $(VTOP_LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) -o $@ $(RTL_TEST_OBJS) $(RTL_TEST_DEPS) $(VTOP_LIB) -pthread

TEST_BINS  += $(RTL_TEST)
TEST_PROGS += $(RTL_TEST)

# At least a million packets, constrained-random, half of them under
# random gaps and back-pressure. Pass SEED=N to replay.
.PHONY: test-long
test-long:
	@$(MAKE) --no-print-directory $(RTL_TEST)
	$(RTL_TEST) --only random --packets 1000000 $(if $(SEED),--seed $(SEED))

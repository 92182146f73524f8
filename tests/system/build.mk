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
TEST_PROGS += "$(INSTALL_TEST) $(SYS_CTNICSIM)"
TEST_PROGS += "$(SYSTEM_TEST) $(SYS_CTNICSIM) $(SYS_CTNICD) $(SYS_CTNICCTL)"

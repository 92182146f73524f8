# tests/aging: the card's aging through the model: card and the daemon's
# side of it (host/aging.c): class timeouts, per-class expiry, a full event
# ring, expiry ends a connection, late expiries, seeded churn with the audit
# (cmocka; TAP with CMOCKA_MESSAGE_OUTPUT=TAP; `test_aging SEED` replays).
# The RTL's aging is tested in tests/rtl (test_rtl --only aging).
AGING_TEST := $(B)/tests/aging/test_aging
# tests/daemon/build.mk is read after this file: its test library by path
AGING_GW   := $(B)/tests/daemon/gw.o $(B)/tools/gen/pkt.o

$(B)/tests/aging/%.o: tests/aging/%.c $(wildcard tests/daemon/*.h) $(wildcard host/*.h) $(wildcard host/ct/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(AGING_TEST): $(B)/tests/aging/test_aging.o $(B)/tests/aging/card_cases.o $(AGING_GW) $(CTNICD_LIB) $(CTNICD_CT_LIB) $(LIBCTNIC)
	$(CC) $(LDFLAGS) -o $@ $< $(B)/tests/aging/card_cases.o $(AGING_GW) $(CTNICD_LIBS) -lcmocka

TEST_BINS  += $(AGING_TEST)
TEST_PROGS += $(AGING_TEST)

# The same card cases on the RTL card (tests/dma's verilated ctnic_card and
# its rtl: backend RtlCard).
AGING_CARD_TEST := $(B)/tests/aging/test_aging_card
# tests/dma/build.mk is read after this file: its names by path here
AGING_DMA_CARD  := $(B)/tests/dma/card.o
AGING_DMA_VLIB  := $(B)/tests/dma/vcard/libvcard.a

$(B)/tests/aging/test_aging_card.o: tests/aging/test_aging_card.cpp tests/aging/card_cases.h tests/dma/card.h $(AGING_DMA_VLIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror -Idriver/src -Itests/aging -isystem $(DMA_VDIR) \
	  -isystem $(DMA_VLT_INC) -isystem $(DMA_VLT_INC)/vltstd -c $< -o $@

$(AGING_CARD_TEST): $(B)/tests/aging/test_aging_card.o $(B)/tests/aging/card_cases.o $(AGING_DMA_CARD) $(AGING_DMA_VLIB) $(LIBCTNIC)
	$(CXX) $(LDFLAGS) -o $@ $(B)/tests/aging/test_aging_card.o $(B)/tests/aging/card_cases.o $(AGING_DMA_CARD) \
	  $(AGING_DMA_VLIB) $(LIBCTNIC) $(LIBCTNIC_LIBS) -pthread

TEST_BINS  += $(AGING_CARD_TEST)
TEST_PROGS += $(AGING_CARD_TEST)

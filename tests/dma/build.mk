# tests/dma: the card's DMA engine (hw/ctnic_card.v with hw/ctnic_dma*.v)
# against the model: backend, both driven through libctnic's ring code
# (dma_test), and the command-ring benchmark (hw_clk_per_install, part of
# `make bench-hw`). The card is verilated here with small tables (fast to
# build), as class Vctnic_card, without sanitizers (generated code).
DMA_DIR      := $(B)/tests/dma
DMA_VDIR     := $(DMA_DIR)/vcard
DMA_VLIB     := $(DMA_VDIR)/libvcard.a
DMA_TEST     := $(DMA_DIR)/dma_test
DMA_SRCS     := hw/ctnic_card.v hw/ctnic_dma.v hw/ctnic_dma_cmd.v hw/ctnic_top.v hw/ctnic_csr.v hw/ctnic_aging.v \
                hw/ctnic_ingress.v hw/ctnic_engine.v hw/ctnic_egress.v hw/ctnic_fifo.v hw/ctnic_ram.v
DMA_PARAMS   := -GBUCKETS=64 -GFLOWS=256
DMA_VLT_INC  := /usr/share/verilator/include
DMA_VCXX     := $(CXX) -std=c++17 -O2 -w -faligned-new -I$(DMA_VDIR) -I$(DMA_VLT_INC) -I$(DMA_VLT_INC)/vltstd

$(DMA_VDIR)/Vctnic_card.mk: $(DMA_SRCS) hw/ctnic_regs.vh tests/dma/build.mk
	@mkdir -p $(DMA_VDIR)
	$(VERILATOR) --cc -Wall -Ihw --top-module ctnic_card --prefix Vctnic_card -Mdir $(DMA_VDIR) \
	  $(DMA_PARAMS) $(DMA_SRCS)
	@touch $@

$(DMA_VLIB): $(DMA_VDIR)/Vctnic_card.mk
	@rm -f $(DMA_VDIR)/*.o $@
	cd $(DMA_VDIR) && for f in Vctnic_card*.cpp; do $(DMA_VCXX) -c $$f -o $${f%.cpp}.o || exit 1; done
	cd $(DMA_VDIR) && for f in verilated.cpp verilated_threads.cpp; do \
	  $(DMA_VCXX) -c $(DMA_VLT_INC)/$$f -o rt_$${f%.cpp}.o || exit 1; done
	ar rcs $@ $(DMA_VDIR)/*.o

$(DMA_DIR)/%.o: tests/dma/%.cpp tests/dma/card.h $(wildcard driver/include/*.h driver/src/*.h) $(DMA_VLIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -Wall -Wextra -Werror -Idriver/src -Isim/ctnic-sim -isystem $(DMA_VDIR) \
	  -isystem $(DMA_VLT_INC) -isystem $(DMA_VLT_INC)/vltstd -c $< -o $@

$(DMA_TEST): $(DMA_DIR)/card.o $(DMA_DIR)/dma_test.o $(DMA_VLIB) $(LIBCTNIC)
	$(CXX) $(LDFLAGS) -o $@ $(DMA_DIR)/card.o $(DMA_DIR)/dma_test.o $(DMA_VLIB) $(LIBCTNIC) $(LIBCTNIC_LIBS) -pthread

TEST_BINS  += $(DMA_TEST)
TEST_PROGS += $(DMA_TEST)

# `make bench-hw` also prints hw_clk_per_install (FLOW_INSTALL through the
# command ring of the simulated card, from the doorbell to the last install).
.PHONY: bench-dma
bench-dma:
	@$(MAKE) --no-print-directory $(DMA_TEST) >/dev/null
	@$(DMA_TEST) --bench
bench-hw: bench-dma

# tests/vfio: libctnic's VFIO layer and PCI discovery.
#  - test_vfio_host: unit tests on the host (sanitized with the rest): address
#    parsing, sysfs reading and the error messages, against fake sysfs trees.
#  - run-qemu-test.sh: the layer against a real kernel. Boots Debian's kernel
#    under QEMU (TCG) with an emulated IOMMU and QEMU's edu and e1000e devices;
#    vfio-guest is static and unsanitized; pci-guest is dynamic (Debian has no
#    static libpci), with all of libctnic, sanitized in SAN=1 builds.
# The kernel package is fetched by the test itself (a mirror out of reach
# fails that test, not the suite's build), cached per BUILD_ROOT.

VFIO_T        := $(B)/tests/vfio
VFIO_KDIR     := $(BUILD_ROOT)/vfio-kernel
VFIO_GUEST_CFLAGS := $(filter-out $(SANFLAGS),$(CFLAGS))
VFIO_LAYER_SRCS := driver/src/vfio.c driver/src/vfio_irq.c driver/src/vfio_dma.c driver/src/pci_sysfs.c
VFIO_HDRS     := driver/include/ctnic_vfio.h driver/include/ctnic_regs.h driver/src/vfio_priv.h tests/vfio/testdev.h

$(VFIO_T)/vfio-guest: tests/vfio/vfio_guest.c $(VFIO_LAYER_SRCS) $(VFIO_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(VFIO_GUEST_CFLAGS) -Idriver/src -static tests/vfio/vfio_guest.c $(VFIO_LAYER_SRCS) -o $@

# All of libctnic, with the flavour's flags (sanitized in SAN=1, so the VFIO
# layer's real-kernel paths run under ASan+UBSan too): discovery and the pci:
# backend of ctnic.h. Dynamic; mkinitramfs.sh copies the libraries it needs.
$(VFIO_T)/pci-guest: tests/vfio/pci_guest.c tests/vfio/testdev.h $(LIBCTNIC_SRCS) $(wildcard driver/include/*.h driver/src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Idriver/src tests/vfio/pci_guest.c $(LIBCTNIC_SRCS) $(LIBCTNIC_LIBS) $(LDFLAGS) -o $@

$(VFIO_T)/test_vfio_host: tests/vfio/test_vfio_host.c $(LIBCTNIC) $(VFIO_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(LIBCTNIC) $(LIBCTNIC_LIBS) -lcmocka $(LDFLAGS) -o $@

VFIO_QEMU_TEST := "tests/vfio/run-qemu-test.sh $(VFIO_KDIR) $(VFIO_T)/vfio-guest $(VFIO_T)/pci-guest"

TEST_BINS  += $(VFIO_T)/test_vfio_host $(VFIO_T)/vfio-guest $(VFIO_T)/pci-guest
TEST_PROGS += $(VFIO_T)/test_vfio_host $(VFIO_QEMU_TEST)

.PHONY: test-vfio
# Just this folder's tests, e.g. make BUILD_ROOT=build-vfio SAN=1 test-vfio
test-vfio: $(VFIO_T)/test_vfio_host $(VFIO_T)/vfio-guest $(VFIO_T)/pci-guest
	@CTNIC_BUILD=$(B) CTNIC_LOGS=$(BUILD_ROOT)/test-logs $(PYTHON) tests/run-tests \
	  $(VFIO_T)/test_vfio_host $(VFIO_QEMU_TEST)

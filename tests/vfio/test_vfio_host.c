/*
 * test_vfio_host.c - the host-side half of the VFIO layer's tests: PCI
 * address parsing, what sysfs says about a device, libpci discovery, and the
 * advice ctnic_vfio_open gives before it ever reaches the kernel, all against
 * fake sysfs trees built in a temporary folder. The kernel half runs in QEMU
 * (run-qemu-test.sh).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>


#include <cmocka.h>

#include "ctnic.h"
#include "ctnic_regs.h"
#include "ctnic_vfio.h"
#include "testdev.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static void link_to(const char *target, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* A PCI function as Linux's sysfs shows it (the files libpci's sysfs method reads). */
static void fake_dev(const char *bdf, unsigned vendor, unsigned device, const char *driver,
		     int group)
{
	char d[128], rel[256], text[64];
	snprintf(d, sizeof(d), "sys/bus/pci/devices/%s", bdf);
	mkdirs(d);
	snprintf(rel, sizeof(rel), "%s/vendor", d);
	snprintf(text, sizeof(text), "0x%04x\n", vendor);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%s/device", d);
	snprintf(text, sizeof(text), "0x%04x\n", device);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%s/class", d);
	put(rel, "0x020000\n");
	snprintf(rel, sizeof(rel), "%s/irq", d);
	put(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/resource", d);
	put(rel, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	snprintf(rel, sizeof(rel), "%s/config", d);
	char cfg[64] = {0};
	cfg[0] = (char)(vendor & 0xff);
	cfg[1] = (char)(vendor >> 8);
	cfg[2] = (char)(device & 0xff);
	cfg[3] = (char)(device >> 8);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fwrite(cfg, 1, sizeof(cfg), f);
	fclose(f);
	if (driver) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s", driver);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "%s/driver", d);
		snprintf(text, sizeof(text), "../../../bus/pci/drivers/%s", driver);
		link_to(text, rel);
	}
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices", group);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "%s/iommu_group", d);
		snprintf(text, sizeof(text), "../../../kernel/iommu_groups/%d", group);
		link_to(text, rel);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ctnic-vfio-test.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	fake_dev("0000:00:03.0", 0x8086, 0x10d3, "e1000e", 7);
	fake_dev("0000:00:04.0", 0x1234, 0x11e8, "vfio-pci", 9);
	fake_dev("0000:00:05.0", CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, NULL, -1);
	fake_dev("0000:02:00.0", CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, NULL, 12);
	mkdirs("dev-vfio"); /* an empty /dev/vfio: modules not loaded */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ctnic_vfio_opts fake_opts(void)
{
	static char sys[PATH_MAX], dev[PATH_MAX];
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev-vfio", root);
	return (struct ctnic_vfio_opts){.sysfs_root = sys, .vfio_dir = dev};
}

static void test_bdf_parse_accepts_both_forms_and_rejects_garbage(void **state)
{
	(void)state;
	char out[CTNIC_PCI_BDF_LEN];
	assert_int_equal(ctnic_pci_parse_bdf("0000:03:00.0", out), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(ctnic_pci_parse_bdf("3b:1f.7", out), 0);
	assert_string_equal(out, "0000:3b:1f.7");
	assert_int_equal(ctnic_pci_parse_bdf("10000:03:00.0", out), -EINVAL);
	assert_int_equal(ctnic_pci_parse_bdf("0000:03:20.0", out), -EINVAL); /* device > 31 */
	assert_int_equal(ctnic_pci_parse_bdf("03:00.8", out), -EINVAL);      /* function > 7 */
	assert_int_equal(ctnic_pci_parse_bdf("03:00.0 ", out), -EINVAL);
	assert_int_equal(ctnic_pci_parse_bdf("eth0", out), -EINVAL);
	assert_int_equal(ctnic_pci_parse_bdf("", out), -EINVAL);
	assert_int_equal(ctnic_pci_parse_bdf(NULL, out), -EINVAL);
}

static void test_describe_reads_driver_and_iommu_group_from_sysfs(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_pci_dev d;
	char err[CTNIC_VFIO_ERR_LEN];
	assert_int_equal(ctnic_pci_describe("00:03.0", &o, &d, err, sizeof(err)), 0);
	assert_string_equal(d.bdf, "0000:00:03.0");
	assert_int_equal(d.vendor_id, 0x8086);
	assert_int_equal(d.device_id, 0x10d3);
	assert_string_equal(d.driver, "e1000e");
	assert_int_equal(d.iommu_group, 7);
	assert_int_equal(ctnic_pci_describe("0000:00:05.0", &o, &d, err, sizeof(err)), 0);
	assert_string_equal(d.driver, "");
	assert_int_equal(d.iommu_group, -1);
}

static void test_open_of_missing_device_says_to_check_lspci(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_vfio *v = (void *)1;
	char err[CTNIC_VFIO_ERR_LEN];
	assert_int_equal(ctnic_vfio_open("0000:00:1f.0", &o, &v, err, sizeof(err)), -ENODEV);
	assert_null(v);
	assert_non_null(strstr(err, "no PCI device 0000:00:1f.0"));
	assert_non_null(strstr(err, "lspci -D"));
	assert_int_equal(ctnic_vfio_open("not-an-address", &o, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not-an-address"));
}

static void test_open_of_device_on_host_driver_says_how_to_bind_vfio_pci(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_vfio *v;
	char err[CTNIC_VFIO_ERR_LEN];
	assert_int_equal(ctnic_vfio_open("0000:00:03.0", &o, &v, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "bound to e1000e, not vfio-pci"));
	assert_non_null(strstr(err, "driver_override"));
	assert_non_null(strstr(err, "driver/unbind"));
	assert_non_null(strstr(err, "echo 8086 10d3 > "));
	assert_non_null(strstr(err, "/drivers/vfio-pci/new_id"));
}

static void test_open_without_iommu_group_says_turn_the_iommu_on(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_vfio *v;
	char err[CTNIC_VFIO_ERR_LEN];
	char link[PATH_MAX];
	/* bound to vfio-pci but no group: what a host with the IOMMU off shows */
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:00:05.0/driver", root);
	assert_int_equal(symlink("../../../bus/pci/drivers/vfio-pci", link), 0);
	int rc = ctnic_vfio_open("0000:00:05.0", &o, &v, err, sizeof(err));
	unlink(link);
	assert_int_equal(rc, -ENODEV);
	assert_non_null(strstr(err, "iommu_group"));
	assert_non_null(strstr(err, "intel_iommu=on"));
	assert_non_null(strstr(err, "amd_iommu=on"));
}

static void test_open_without_vfio_modules_says_modprobe(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_vfio *v = (void *)1;
	char err[CTNIC_VFIO_ERR_LEN];
	assert_int_equal(ctnic_vfio_open("0000:00:04.0", &o, &v, err, sizeof(err)), -ENOENT);
	assert_null(v);
	assert_non_null(strstr(err, "dev-vfio/vfio"));
	assert_non_null(strstr(err, "modprobe vfio-pci"));
}

static void test_discovery_finds_the_card_by_id_with_driver_and_group(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = fake_opts();
	struct ctnic_pci_dev devs[4];
	size_t n = 99;
	char err[CTNIC_VFIO_ERR_LEN];
	int rc = ctnic_pci_find(CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, &o, devs, 4, &n, err,
				sizeof(err));
	if (rc)
		print_message("# %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2);
	/* libpci's order is its own: sort the two out by address */
	struct ctnic_pci_dev *a = strcmp(devs[0].bdf, devs[1].bdf) < 0 ? &devs[0] : &devs[1];
	struct ctnic_pci_dev *b = a == &devs[0] ? &devs[1] : &devs[0];
	assert_string_equal(a->bdf, "0000:00:05.0");
	assert_int_equal(a->iommu_group, -1);
	assert_string_equal(b->bdf, "0000:02:00.0");
	assert_int_equal(b->iommu_group, 12);
	assert_string_equal(b->driver, "");

	/* max 1: reports 2 found, fills one */
	assert_int_equal(ctnic_pci_find(CTNIC_PCI_VENDOR_ID, CTNIC_PCI_DEVICE_ID, &o, devs, 1, &n,
					 err, sizeof(err)), 0);
	assert_int_equal(n, 2);

	assert_int_equal(ctnic_pci_find(0x8086, 0xffff, &o, devs, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(devs[0].driver, "e1000e");
	assert_int_equal(devs[0].iommu_group, 7);

	assert_int_equal(ctnic_pci_find(0x10ee, 0x9038, &o, devs, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
}

static void test_discovery_without_sysfs_returns_an_error_instead_of_exiting(void **state)
{
	(void)state;
	struct ctnic_vfio_opts o = {.sysfs_root = "/nonexistent-sysfs"};
	struct ctnic_pci_dev devs[1];
	size_t n = 99;
	char err[CTNIC_VFIO_ERR_LEN];
	assert_int_equal(ctnic_pci_find(0x1234, 0xc7c1, &o, devs, 1, &n, err, sizeof(err)), -EIO);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, "/nonexistent-sysfs"));
	/* and the library still works afterwards */
	o = fake_opts();
	assert_int_equal(ctnic_pci_find(0x8086, 0x10d3, &o, devs, 1, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
}

static void test_pci_uri_with_a_bad_address_is_refused_before_touching_sysfs(void **state)
{
	(void)state;
	struct ctnic_dev *d = (void *)1;
	char err[CTNIC_ERR_LEN];
	assert_int_equal(ctnic_open(&d, "pci:eth0", err, sizeof(err)), -EINVAL);
	assert_null(d);
	assert_non_null(strstr(err, "'eth0' is not a PCI address"));
	assert_int_equal(ctnic_open(&d, "pci:0000:03:00.9", err, sizeof(err)), -EINVAL);
}

static void expect_mem_refused(const char *uri, const char *needle)
{
	struct ctnic_dev *d = (void *)1;
	char err[CTNIC_ERR_LEN] = "";
	assert_int_equal(ctnic_open(&d, uri, err, sizeof(err)), -EINVAL);
	assert_null(d);
	print_message("# %s -> %s\n", uri, err);
	assert_non_null(strstr(err, needle));
	assert_non_null(strstr(err, "mem=N"));
}

static void test_pci_uri_mem_option_is_parsed_and_bad_values_are_refused(void **state)
{
	(void)state;
	expect_mem_refused("pci:0000:03:00.0,mem=0", "'mem=0'");
	expect_mem_refused("pci:0000:03:00.0,mem=12x", "'mem=12x'");
	expect_mem_refused("pci:0000:03:00.0,mem=", "'mem='");
	expect_mem_refused("pci:0000:03:00.0,mem= 8", "'mem= 8'");
	expect_mem_refused("pci:0000:03:00.0,mem=65537", "1 to 65536");
	expect_mem_refused("pci:mem=-1", "'mem=-1'");
	expect_mem_refused("pci:0000:03:00.0,huge=1", "'huge=1'");
	expect_mem_refused("pci:0000:03:00.0,mem=8,", "''");
	/* Good options get past the parser: what fails next is the address or VFIO, not mem=. */
	struct ctnic_dev *d = (void *)1;
	char err[CTNIC_ERR_LEN] = "";
	int rc = ctnic_open(&d, "pci:0000:7f:1f.7,mem=8", err, sizeof(err));
	print_message("# pci:0000:7f:1f.7,mem=8 -> %s\n", err);
	assert_true(rc < 0);
	assert_null(strstr(err, "mem=N"));
	assert_null(strstr(err, "ulimit"));
	rc = ctnic_open(&d, "pci:0000:03:00.0x,mem=8", err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "'0000:03:00.0x' is not a PCI address"));
}

static void test_pci_host_memory_over_the_locked_memory_limit_is_refused_with_the_ulimit_needed(void **state)
{
	(void)state;
	struct rlimit old, small;
	struct ctnic_dev *d = (void *)1;
	char err[CTNIC_ERR_LEN] = "";

	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
	small = old;
	small.rlim_cur = 8u << 20;
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < small.rlim_cur)
		small.rlim_cur = old.rlim_max;
	int had = ipc_lock_effective(1) == 0; /* may fail: then it is not held, as wanted */
	ipc_lock_effective(0);
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &small), 0);
	int rc = ctnic_open(&d, "pci:0000:7f:1f.7,mem=64", err, sizeof(err));
	int rc_default = ctnic_open(&d, "pci:0000:7f:1f.7", err + 0, sizeof(err));
	char err_small[CTNIC_ERR_LEN] = "";
	int rc_small = ctnic_open(&d, "pci:0000:7f:1f.7,mem=1", err_small, sizeof(err_small));
	char err64[CTNIC_ERR_LEN] = "";
	ctnic_open(&d, "pci:0000:7f:1f.7,mem=64", err64, sizeof(err64));
	setrlimit(RLIMIT_MEMLOCK, &old);
	if (had)
		ipc_lock_effective(1);
	print_message("# mem=64 under RLIMIT_MEMLOCK %llu KiB -> %s\n",
		      (unsigned long long)small.rlim_cur >> 10, err64);
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(rc_default, -ENOMEM); /* the default, 64 MiB, as well */
	assert_non_null(strstr(err64, "RLIMIT_MEMLOCK"));
	assert_non_null(strstr(err64, "ulimit -l 65536"));
	assert_non_null(strstr(err64, "mem=N"));
	/* 1 MiB fits under the limit: the open goes on and fails on the missing device instead. */
	assert_true(rc_small < 0 && rc_small != -ENOMEM);
	assert_null(strstr(err_small, "ulimit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf_parse_accepts_both_forms_and_rejects_garbage),
		cmocka_unit_test(test_describe_reads_driver_and_iommu_group_from_sysfs),
		cmocka_unit_test(test_open_of_missing_device_says_to_check_lspci),
		cmocka_unit_test(test_open_of_device_on_host_driver_says_how_to_bind_vfio_pci),
		cmocka_unit_test(test_open_without_iommu_group_says_turn_the_iommu_on),
		cmocka_unit_test(test_open_without_vfio_modules_says_modprobe),
		cmocka_unit_test(test_discovery_finds_the_card_by_id_with_driver_and_group),
		cmocka_unit_test(test_discovery_without_sysfs_returns_an_error_instead_of_exiting),
		cmocka_unit_test(test_pci_uri_with_a_bad_address_is_refused_before_touching_sysfs),
		cmocka_unit_test(test_pci_uri_mem_option_is_parsed_and_bad_values_are_refused),
		cmocka_unit_test(test_pci_host_memory_over_the_locked_memory_limit_is_refused_with_the_ulimit_needed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

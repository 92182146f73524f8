/*
 * reset_test - ctnic_reset() on the model: backend and on the sim: backend
 * with the real ctnic-sim (the RTL): the card is dirtied (registers written,
 * all four rings on, a pending interrupt, a flow entry), reset, and then
 * every readable register of hw/regmap.json must read its reset value, the
 * rings are off, the tables are as the backend documents them (the model
 * clears them, the RTL keeps its table RAMs), host memory is kept, and the rings
 * can be set up again and carry a command. Prints TAP.
 *
 * usage: reset_test REGMAP.JSON [CTNIC-SIM]   (no CTNIC-SIM: model only)
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ctnic.h"
#include "ctnic_ring.h"
#include "harness.h"

/* One readable register of the regmap, unrolled over arrays. */
struct reg {
	char name[48];
	uint32_t off;
	uint32_t reset;
};

static struct reg regs[1024];
static size_t nregs;

static uint32_t hex(const cJSON *o, const char *key, uint32_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		return (uint32_t)strtoul(v->valuestring, NULL, 0);
	if (cJSON_IsNumber(v))
		return (uint32_t)v->valuedouble;
	return dflt;
}

/* Reads the readable registers and their reset values from hw/regmap.json. */
static int load_regmap(const char *path)
{
	FILE *f = fopen(path, "r");
	static char text[1 << 20];
	size_t n;

	if (!f)
		return -errno;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	cJSON *root = cJSON_Parse(text);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "registers"), *r;

	if (!cJSON_IsArray(list)) {
		cJSON_Delete(root);
		return -EINVAL;
	}
	cJSON_ArrayForEach(r, list) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
		const cJSON *access = cJSON_GetObjectItemCaseSensitive(r, "access");
		uint32_t count = hex(r, "array", 1), stride = hex(r, "stride", 4);

		if (!cJSON_IsString(name) || !cJSON_IsString(access) || !strcmp(access->valuestring, "wo"))
			continue;
		for (uint32_t i = 0; i < count && nregs < sizeof(regs) / sizeof(regs[0]); i++) {
			struct reg *g = &regs[nregs++];

			if (count > 1)
				snprintf(g->name, sizeof(g->name), "%s[%u]", name->valuestring, i);
			else
				snprintf(g->name, sizeof(g->name), "%s", name->valuestring);
			g->off = hex(r, "offset", 0) + i * stride;
			g->reset = hex(r, "reset", 0);
		}
	}
	cJSON_Delete(root);
	return nregs ? 0 : -EINVAL;
}

/* TICK_LO/HI count device time from the reset: a tick or two may have passed. */
static int is_tick(const struct reg *g)
{
	return g->off == CTNIC_REG_TICK_LO || g->off == CTNIC_REG_TICK_HI;
}

/* The ring block (RING_*), which a card without DMA rings does not decode. */
static int in_ring_block(uint32_t off)
{
	return off >= CTNIC_REG_RING_BASE_LO(0) && off < CTNIC_REG_RING_BASE_LO(0) + CTNIC_RINGS * 0x40u;
}

/* Every readable register (outside the ring block when rings is 0) against its reset value. */
static int regs_at_reset(struct ctnic_dev *dev, const char *be, int rings, size_t *checked)
{
	int bad = 0;

	*checked = 0;
	for (size_t i = 0; i < nregs; i++) {
		uint32_t v = 0;

		if (!rings && in_ring_block(regs[i].off))
			continue;
		++*checked;
		int rc = ctnic_csr_read(dev, regs[i].off, &v);

		if (rc < 0) {
			tap_diag("%s: read %s: %s", be, regs[i].name, ctnic_last_error(dev));
			bad++;
		} else if (is_tick(&regs[i]) ? v > regs[i].reset + 2 : v != regs[i].reset) {
			tap_diag("%s: %s (0x%04x) reads 0x%08x, reset value 0x%08x", be, regs[i].name,
				 regs[i].off, v, regs[i].reset);
			bad++;
		}
	}
	return bad;
}

static struct ctnic_ring *ring_on(struct ctnic_dev *dev, struct ctnic_dma_pool *pool, unsigned id)
{
	struct ctnic_ring_cfg cfg = { .id = (enum ctnic_ring_id)id, .size_log2 = 6, .slot_log2 = 11,
				      .irq_count = 1 };
	struct ctnic_ring *r = NULL;

	if (ctnic_ring_create(dev, pool, &cfg, &r) < 0) {
		tap_diag("ctnic_ring_create %s: %s", ctnic_ring_name((enum ctnic_ring_id)id), ctnic_last_error(dev));
		return NULL;
	}
	return r;
}

/* A flow write and read back through the command and event rings. */
static int cmd_round_trip(struct ctnic_ring *ring[CTNIC_RINGS], uint32_t flow_id, const struct ctnic_flow *f)
{
	struct ctnic_event cpl;
	uint32_t last;
	int rc;

	if ((rc = ctnic_cmd_flow_write(ring[CTNIC_RING_ID_CMD], flow_id, f, 7)) < 0 ||
	    (rc = ctnic_cmd_submit(ring[CTNIC_RING_ID_CMD], &last)) < 0 ||
	    (rc = ctnic_cmd_wait(ring[CTNIC_RING_ID_CMD], ring[CTNIC_RING_ID_EVENT], last, &cpl, NULL, NULL, 5000)) < 0)
		return rc;
	return 0;
}

static void test_reset(const char *be, const char *uri)
{
	int is_model = !strncmp(uri, "model:", 6);
	struct ctnic_dev *dev;
	struct ctnic_dma_pool *pool = NULL;
	struct ctnic_ring *ring[CTNIC_RINGS] = { 0 };
	char err[CTNIC_ERR_LEN];
	uint32_t scratch = 0, cfg0 = 0, irq = 0;
	void *base, *base2;
	size_t len, len2;
	uint64_t da, da2;
	int rc, up = 0;

	if ((rc = ctnic_open(&dev, uri, err, sizeof(err))) < 0) {
		tap_diag("ctnic_open %s: %s", uri, err);
		tap(0, "%s: ctnic_reset puts every register of the regmap back to its reset value", be);
		return;
	}
	/*
	 * A card without the DMA ring block (ctnic-sim's RTL before the DMA
	 * engine joins it) reads RING_IRQ_COUNT as 0, not its reset value 1: its
	 * ring checks are skipped, the rest of the reset is checked all the same.
	 */
	uint32_t ic = 0;
	int rings = ctnic_csr_read(dev, CTNIC_REG_RING_IRQ_COUNT(0), &ic) == 0 &&
		    ic == CTNIC_REG_RING_IRQ_COUNT_RESET;
	const char *skip = rings ? "" : " # SKIP the card has no DMA ring block (RING_IRQ_COUNT(0) reads 0)";
	/* Dirty the card: registers, every ring on, a pending interrupt, a flow entry. */
	struct ctnic_flow f = { 0 };
	memset(&f, 0, sizeof(f));
	f.valid = true;
	f.tclass = 2;
	f.generation = 0x55;
	rc = ctnic_host_mem(dev, &base, &len, &da);
	rc = rc < 0 ? rc : ctnic_dma_pool_create(dev, &pool);
	for (unsigned id = 0; rings && rc == 0 && id < CTNIC_RINGS; id++)
		up += (ring[id] = ring_on(dev, pool, id)) != NULL;
	static const uint8_t mark[16] = "ctnic reset test";
	if (rc == 0)
		memcpy((uint8_t *)base + len - sizeof(mark), mark, sizeof(mark));
	int cmd_before = up == CTNIC_RINGS && cmd_round_trip(ring, 5, &f) == 0;
	if (!rings)
		ctnic_flow_write(dev, 5, &f);
	ctnic_csr_write(dev, CTNIC_REG_SCRATCH, 0x5eedf00du);
	ctnic_csr_write(dev, CTNIC_REG_TICK_PERIOD, 1234);
	ctnic_csr_write(dev, CTNIC_REG_TBL_INDEX, 9);
	ctnic_csr_write(dev, CTNIC_REG_AGING_TIMEOUT(1), 77);
	ctnic_csr_write(dev, CTNIC_REG_IRQ_TEST, 1u << CTNIC_RING_ID_PUNT);
	ctnic_csr_read(dev, CTNIC_REG_SCRATCH, &scratch);
	ctnic_csr_read(dev, CTNIC_REG_RING_CFG(CTNIC_RING_ID_CMD), &cfg0);
	ctnic_csr_read(dev, CTNIC_REG_IRQ_STATUS, &irq);
	struct ctnic_flow was;
	memset(&was, 0, sizeof(was));
	ctnic_flow_read(dev, 5, &was);
	tap_diag("%s before reset: %d rings on, command round trip %s, SCRATCH 0x%08x, RING_CFG(cmd) 0x%x, IRQ_STATUS 0x%x, flow 5 %s",
		 be, up, cmd_before ? "ok" : "not run", scratch, cfg0, irq, was.valid ? "valid" : "EMPTY");
	tap(scratch == 0x5eedf00du && was.valid && was.generation == 0x55,
	    "%s: the card is dirty before the reset (registers set, flow 5 written)", be);
	tap(!rings || (up == CTNIC_RINGS && cmd_before && cfg0 != 0 && irq != 0),
	    "%s: before the reset all four rings are on, carry a command, and an interrupt is pending%s", be, skip);

	rc = ctnic_reset(dev);
	if (rc < 0)
		tap_diag("%s: ctnic_reset: %s", be, ctnic_last_error(dev));
	size_t checked = 0;
	int bad = rc < 0 ? -1 : regs_at_reset(dev, be, rings, &checked);
	tap(rc == 0 && bad == 0, "%s: after ctnic_reset every readable register of hw/regmap.json (%zu of %zu) reads its reset value",
	    be, checked, nregs);

	int off = rc == 0;
	for (unsigned id = 0; id < CTNIC_RINGS; id++) {
		uint32_t c = 1, st = 1;

		off &= ctnic_csr_read(dev, CTNIC_REG_RING_CFG(id), &c) == 0 && c == 0 &&
		       ctnic_csr_read(dev, CTNIC_REG_RING_STATUS(id), &st) == 0 && st == 0;
	}
	tap(off, "%s: after ctnic_reset every ring is off (RING_CFG and RING_STATUS 0)%s", be, skip);

	struct ctnic_flow back;
	memset(&back, 0xff, sizeof(back));
	rc = ctnic_flow_read(dev, 5, &back);
	/*
	 * What ctnic.h and docs/hardware.md say of the tables: the model clears
	 * them; the RTL's rst leaves its table RAMs as they are (block RAM is
	 * zeroed at configuration only), so flow 5 reads back as the command
	 * before the reset wrote it, and software that needs empty tables
	 * writes them.
	 */
	if (is_model) {
		int cleared = rc == 0 && !back.valid && back.tclass == 0 && back.generation == 0;

		tap(cleared, "%s: after ctnic_reset the flow table is cleared (flow 5 reads back empty)", be);
	} else {
		int kept = rc == 0 && back.valid == f.valid && back.generation == f.generation && back.tclass == f.tclass &&
			   !memcmp(back.dir, f.dir, sizeof(f.dir));

		tap(kept, "%s: after ctnic_reset the RTL's table RAMs keep their contents (flow 5 reads back as written "
			  "before the reset, docs/hardware.md)", be);
		if (!kept)
			tap_diag("%s: flow 5 after reset: valid %d generation 0x%x class %u", be, back.valid,
				 back.generation, back.tclass);
	}

	rc = ctnic_host_mem(dev, &base2, &len2, &da2);
	tap(rc == 0 && base2 == base && len2 == len && da2 == da &&
	    !memcmp((uint8_t *)base + len - sizeof(mark), mark, sizeof(mark)),
	    "%s: host memory survives ctnic_reset (same mapping, device address and contents)", be);

	/* The old rings are stale: destroy (harmless) and set them up again. */
	for (unsigned id = 0; id < CTNIC_RINGS; id++) {
		ctnic_ring_destroy(ring[id]);
		ring[id] = NULL;
	}
	up = 0;
	for (unsigned id = 0; rings && id < CTNIC_RINGS; id++)
		up += (ring[id] = ring_on(dev, pool, id)) != NULL;
	rc = up == CTNIC_RINGS ? cmd_round_trip(ring, 5, &f) : -1;
	if (rc < 0 && up == CTNIC_RINGS)
		tap_diag("%s: command after reset: %s", be, ctnic_last_error(dev));
	memset(&back, 0, sizeof(back));
	tap(!rings || (rc == 0 && ctnic_flow_read(dev, 5, &back) == 0 && back.valid && back.generation == 0x55),
	    "%s: after ctnic_reset the rings can be set up again and carry a command%s", be, skip);
	for (unsigned id = 0; id < CTNIC_RINGS; id++)
		ctnic_ring_destroy(ring[id]);
	ctnic_dma_pool_destroy(pool);
	ctnic_close(dev);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s REGMAP.JSON [CTNIC-SIM]\n", argv[0]);
		return 2;
	}
	int rc = load_regmap(argv[1]);
	if (!tap(rc == 0, "hw/regmap.json names %zu readable registers with reset values", nregs))
		return tap_done();

	test_reset("model", "model:");

	if (argc < 3)
		return tap_done();
	const char *dir = th_tmpdir("reset");
	char sock[160], log[160], uri[200];
	snprintf(sock, sizeof(sock), "%s/sim.sock", dir);
	snprintf(log, sizeof(log), "%s/ctnic-sim.log", dir);
	char *sim_argv[] = { argv[2], "--socket", sock, NULL };
	pid_t sim = th_spawn(sim_argv, log);
	if (!tap(sim > 0 && th_wait_path(sock, sim, 60000) == 0, "ctnic-sim starts and listens")) {
		th_diag_file(log);
	} else {
		snprintf(uri, sizeof(uri), "sim:%s", sock);
		test_reset("sim", uri);
	}
	if (sim > 0) {
		kill(sim, SIGTERM);
		th_wait(sim, 10000);
	}
	th_cleanup();
	return tap_done();
}

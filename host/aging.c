/*
 * aging.c - the class timeouts the card ages by (aging.h).
 */
#include <stdio.h>

#include "aging.h"

int ctnicd_aging_program(struct ctnicd_core *c)
{
	uint32_t classes = c->info.classes < CTNIC_REG_AGING_TIMEOUT_COUNT ? c->info.classes
									     : CTNIC_REG_AGING_TIMEOUT_COUNT;
	int rc;

	for (uint32_t k = 0; k < classes; k++) {
		uint32_t t = k < CTNIC_TCLASSES && k != CTNICD_TCLASS_NEVER ? c->timeout[k] : 0;

		/* 0 would mean "never": a configured timeout is at least one tick */
		if (k < CTNIC_TCLASSES && !t)
			t = 1;
		if ((rc = ctnic_csr_write(c->dev, CTNIC_REG_AGING_TIMEOUT(k), t)) < 0) {
			snprintf(c->err, sizeof(c->err), "writing AGING_TIMEOUT[%u]: %s", k, ctnic_last_error(c->dev));
			return rc;
		}
	}
	if ((rc = ctnic_csr_write(c->dev, CTNIC_REG_AGING_CTRL, CTNIC_AGING_CTRL_ENABLE_MASK)) < 0) {
		snprintf(c->err, sizeof(c->err), "enabling the card's aging: %s", ctnic_last_error(c->dev));
		return rc;
	}
	return 0;
}

bool ctnicd_aging_on(struct ctnicd_core *c)
{
	uint32_t v = 0;

	return ctnic_csr_read(c->dev, CTNIC_REG_AGING_CTRL, &v) == 0 && (v & CTNIC_AGING_CTRL_ENABLE_MASK);
}

uint8_t ctnicd_aging_card_class(const struct ctnicd_conn *cn)
{
	return (cn->flags & CTNICD_CONN_STATIC) ? (uint8_t)CTNICD_TCLASS_NEVER : cn->tclass;
}

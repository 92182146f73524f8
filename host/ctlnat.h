/*
 * ctlnat.h - the NAT rule requests of the control socket (docs/daemon.md):
 * nat list, nat load, nat add, nat delete, in iptables-save syntax. A
 * ruleset with any error is refused whole; live connections keep their
 * bindings, new ones follow the new rules.
 */
#ifndef CTNICD_CTLNAT_H
#define CTNICD_CTLNAT_H

#include <cjson/cJSON.h>
#include <stddef.h>

cJSON *ctnicd_cmd_nat_list(void *ctx, const cJSON *req, char *err, size_t errlen);
cJSON *ctnicd_cmd_nat_load(void *ctx, const cJSON *req, char *err, size_t errlen);
cJSON *ctnicd_cmd_nat_add(void *ctx, const cJSON *req, char *err, size_t errlen);
cJSON *ctnicd_cmd_nat_delete(void *ctx, const cJSON *req, char *err, size_t errlen);

#endif /* CTNICD_CTLNAT_H */

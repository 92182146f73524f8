/*
 * ctnic_sim.h - what only a simulated card (a sim:PATH device, the RTL in a
 * ctnic-sim process, docs/simulator.md) can do: take a frame on a network
 * port from the client, and run its clock on request. For tools that drive
 * the RTL card frame by frame (ctnic-replay --backend sim) and tests.
 *
 * sim: devices only: on any other device each call returns -ENOTSUP and says
 * so in ctnic_last_error(). Same error rules as ctnic.h otherwise: 0 or a
 * negative errno, the message in the device. Needs ctnic-sim protocol 3
 * (what libctnic asks for at open).
 *
 * Time: `cycle` is the card's clock count (250 MHz, 4 ns a cycle; restarts
 * at 0 after ctnic_reset). Without live ports (--tap/--iface), ctnic-sim
 * serves a request only once the card is quiet, and answers it only once
 * the card is quiet again: every frame fed has gone through the pipeline,
 * out of its port or into the punt ring, the DMA it started is finished and
 * the interrupts it raised are counted on their ctnic_irq_fd()s before the
 * call returns. So when ctnic_sim_port_rx returns, host RAM and the
 * interrupt fds hold everything the frame did, and the cycles it took depend
 * on the frames and requests only. (With live ports nothing waits.)
 *
 * Typical replay of a capture, one frame at a time:
 *
 *   ctnic_sim_run(dev, gap_cycles, &now);              (let device time pass)
 *   ctnic_sim_port_rx(dev, port, frame, len, &queued); (frame queued at `queued`, done on return)
 *   ...the daemon drains the punt ring (its requests are served the same way)...
 *   ctnic_sim_status(dev, &now);                       (now = cycle after all that)
 *
 * Large gaps of device time are cheaper through the TICK_ADVANCE register
 * (docs/regmap.md) than through cycles (ctnic-sim runs ~160k cycles per
 * wall second); aging passes need cycles (about FLOWS cycles per pass).
 */
#ifndef CTNIC_SIM_H
#define CTNIC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "ctnic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Frame lengths ctnic_sim_port_rx takes: 1 byte (a runt the card drops and counts) .. the card's longest frame. */
#define CTNIC_SIM_FRAME_MIN 1
#define CTNIC_SIM_FRAME_MAX 9216

/*
 * Queues `frame` (len bytes, CTNIC_SIM_FRAME_MIN..CTNIC_SIM_FRAME_MAX, from
 * the destination MAC on, no FCS) on network port `port`'s MAC input,
 * exactly as a frame of ctnic-sim --in P=FILE: it goes into the card once
 * the frames queued before it on that port have, and only while the card's
 * rx_enable (CTRL.ENABLE) is 1. Returns once the card is quiet again (the
 * frame went through, unless rx_enable is 0: then it waits on the MAC side);
 * *cycle (if not NULL) is the cycle when it was queued.
 * -EINVAL: port not below the card's port count or len out of range
 * (ctnic-sim checks the port: it knows the count).
 */
int ctnic_sim_port_rx(struct ctnic_dev *dev, unsigned port, const void *frame, size_t len, uint64_t *cycle);

/*
 * Runs the card's clock exactly `cycles` cycles (1..CTNIC_SIM_RUN_MAX; 0 is
 * allowed and runs none), after the card is quiet; *cycle (if not NULL) is
 * the cycle count after them. The tick counter advances with them at
 * TICK_PERIOD (an aging pass takes about FLOWS cycles). Wall time: about
 * 6 us per cycle, so keep runs short; time of long gaps is better moved with
 * TICK_ADVANCE.
 */
#define CTNIC_SIM_RUN_MAX (UINT64_C(1) << 32)
int ctnic_sim_run(struct ctnic_dev *dev, uint64_t cycles, uint64_t *cycle);

/* The card's cycle count in *cycle (if not NULL), once it is quiet (see above). */
int ctnic_sim_status(struct ctnic_dev *dev, uint64_t *cycle);

#ifdef __cplusplus
}
#endif

#endif /* CTNIC_SIM_H */

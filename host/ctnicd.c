/*
 * ctnicd - the ctnic daemon (docs/daemon.md). The program is host/daemon.c
 * (options, configuration, the event loop) over the core of host/core.c;
 * this file is only its entry point.
 */
#include "daemon.h"

int main(int argc, char **argv)
{
	return ctnicd_main(argc, argv);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_events.c - libFuzzer target: ring-buffer records as the agent reads
 * them (user/events.c, user/tempfiles.c, user/eventlog.c). The kernel side
 * is ours, but a version skew or a bug there must not crash the agent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eventlog.h"
#include "events.h"
#include "tempfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ls_temps temps;
	static bool ready;
	struct ls_events ev;
	char why[256];
	void *rec;
	FILE *devnull;

	if (!ready) {
		ls_temps_init(&temps, NULL, 0, why, sizeof(why));
		ready = true;
	}
	/* Records arrive 8-aligned from the ring buffer. */
	rec = aligned_alloc(8, (size + 7) & ~7UL ?: 8);
	if (!rec)
		return 0;
	memcpy(rec, data, size);
	ls_events_init(&ev, &temps);
	devnull = fopen("/dev/null", "w");
	ev.log = devnull;
	ls_events_handle(&ev, rec, size);
	if (devnull)
		fclose(devnull);
	ls_events_free(&ev);
	free(rec);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_mountinfo.c - libFuzzer target: /proc/self/mountinfo lines and whole
 * tables (user/mountinfo.c), where leakscope finds cgroup2 and tracefs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_mount_entry e;
	char out[64], *line = malloc(size + 1);
	FILE *mem;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	ls_mountinfo_parse_line(line, &e);
	free(line);
	mem = fmemopen((void *)data, size, "r");
	if (mem) {
		ls_mountinfo_find(mem, "cgroup2", out, sizeof(out));
		fclose(mem);
	}
	return 0;
}

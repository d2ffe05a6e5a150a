// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_suppress.c - libFuzzer target: suppression files and ALLOW rules
 * (user/suppress.c), then matching what parsed against a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_suppressions s;
	struct ls_finding f;
	char err[512], *line;
	char *argv[] = { "sleep", "100", NULL };
	FILE *mem;

	ls_supp_init(&s);
	mem = fmemopen((void *)data, size, "r");
	if (mem) {
		ls_supp_load_stream(&s, mem, "fuzz", err, sizeof(err));
		fclose(mem);
	}
	line = strndup((const char *)data, size);
	if (line) {
		ls_supp_add_line(&s, line, "ALLOW", err, sizeof(err));
		free(line);
	}
	memset(&f, 0, sizeof(f));
	f.kind = LS_KIND_SOCKET;
	f.path = "/tmp/x y";
	f.type = "socket";
	strcpy(f.comm, "redis");
	strcpy(f.local_addr, "127.0.0.1");
	f.local_port = 6379;
	f.peer_port = -1;
	f.argv = argv;
	ls_supp_match(&s, &f);
	ls_supp_free(&s);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_protocol.c - libFuzzer target: control-protocol request lines
 * (user/protocol.c), as any process in the watched cgroup may send them.
 * Checks that a parsed request never points outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ls_request req;
	char err[256];
	const char *line = (const char *)data;

	if (ls_proto_parse(line, size, &req, err, sizeof(err)) == 0 &&
	    req.name &&
	    (req.name < line || req.name + req.name_len > line + size))
		abort();
	return 0;
}

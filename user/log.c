// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - see log.h. Writes whole lines with one call so that messages from
 * the agent and the wrapped command do not interleave mid-line.
 */
#include <stdio.h>
#include "log.h"

int ls_verbosity;

static void vsay(const char *level, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "leakscope: %s", level);

	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void ls_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("error: ", fmt, ap);
	va_end(ap);
}

void ls_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void ls_info(const char *fmt, ...)
{
	va_list ap;

	if (ls_verbosity < 1)
		return;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

void ls_debug(const char *fmt, ...)
{
	va_list ap;

	if (ls_verbosity < 2)
		return;
	va_start(ap, fmt);
	vsay("debug: ", fmt, ap);
	va_end(ap);
}

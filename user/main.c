// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - leakscope's entry point: parse the command line, hand over to
 * the subcommand, return its exit code. Usage errors are reported here.
 */
#include <stdio.h>
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "watch.h"

int main(int argc, char **argv)
{
	struct ls_opts o;
	char err[512];

	ls_agent_start_ns = ls_now_ns();
	if (ls_cli_parse(argc, argv, &o, err, sizeof(err))) {
		ls_err("%s", err);
		return LS_EXIT_USAGE;
	}
	ls_verbosity = o.verbose;
	switch (o.cmd) {
	case LS_CMD_HELP:
		ls_cli_usage(stdout, o.help_topic);
		return LS_EXIT_OK;
	case LS_CMD_VERSION:
		printf("leakscope %s\n", LEAKSCOPE_VERSION);
		return LS_EXIT_OK;
	case LS_CMD_RUN:
		return ls_cmd_run(&o);
	case LS_CMD_ATTACH:
		return ls_cmd_attach(&o);
	case LS_CMD_DOCTOR:
		return ls_cmd_doctor(&o);
	case LS_CMD_MARK:
		return ls_cmd_mark(&o);
	default:
		ls_cli_usage(stderr, LS_CMD_NONE);
		return LS_EXIT_USAGE;
	}
}

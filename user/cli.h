/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - the command line: which subcommand, with which options, and the
 * help text of each. Also the exit codes, which are part of the interface.
 *
 * Owns parsing and validation of the words the user typed (numbers, enums,
 * required options). Must not: touch the system (paths are checked by the
 * modules that use them), or print anything but help; errors come back as a
 * message for the caller to report.
 */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "leakscope/abi.h"
#include "loader.h"

/* Exit codes (documented in README.md; stable). */
enum ls_exit {
	LS_EXIT_OK = 0,
	LS_EXIT_INTERNAL = 1,	   /* leakscope itself failed mid-way */
	LS_EXIT_USAGE = 2,	   /* bad command line or bad input */
	LS_EXIT_LEAKS = 3,	   /* leftovers, with --fail-on-leak */
	LS_EXIT_CANNOT_WATCH = 4,  /* no BPF / BTF / cgroup v2 / privileges */
	LS_EXIT_NOT_STARTED = 127, /* run: CMD could not be started */
	LS_EXIT_SIGNAL_BASE = 128, /* run: CMD killed by signal N: 128+N */
};

enum ls_cmd {
	LS_CMD_NONE = 0,
	LS_CMD_RUN,
	LS_CMD_ATTACH,
	LS_CMD_DOCTOR,
	LS_CMD_HELP,
	LS_CMD_VERSION,
	LS_CMD_MARK,
};

enum ls_mark_op {
	LS_MARK_BEGIN = 1,
	LS_MARK_END,
	LS_MARK_ALLOW,
};

enum ls_format {
	LS_FMT_AUTO = 0, /* from the report file's extension */
	LS_FMT_TEXT,
	LS_FMT_JSON,
};

#define LS_DEFAULT_GRACE_MS	 400
#define LS_DEFAULT_KILL_GRACE_MS 1000
#define LS_DEFAULT_RING_BYTES	 (4u << 20)

struct ls_opts {
	enum ls_cmd cmd;
	enum ls_cmd help_topic; /* help: which command, or NONE */

	/* run and attach */
	enum ls_level level;
	const char *report_path; /* --report FILE ("-" = stdout) */
	const char *events_path; /* --events FILE: every event, JSON lines */
	enum ls_format format;
	bool quiet;
	int verbose;
	const char *temp_roots[LS_MAX_TEMP_ROOTS];
	int n_temp_roots;
	unsigned int grace_ms;
	unsigned long ring_bytes;
	bool fail_on_leak;
	int leak_exit_code;
	const char *suppressions;		/* --suppressions FILE */
	const char *socket_path;		/* --socket PATH */
	const char *socket_group;		/* --socket-group GROUP */
	bool bpf_stats;				/* --bpf-stats */
	unsigned long table_size[LS_TABLE_MAX]; /* --max-*; 0: default */

	/* run */
	char **argv; /* CMD and its arguments, NULL-terminated */
	bool keep_orphans;
	bool test_per_exec; /* each program the harness runs is a test */
	unsigned int kill_grace_ms;
	const char *parent_cgroup;

	/* attach */
	const char *cgroup;
	double duration_s; /* 0: until SIGINT/SIGTERM */

	/* doctor */
	bool json;

	/* mark */
	enum ls_mark_op mark_op;
	const char *mark_arg; /* test name, or the ALLOW rule */
	const char *outcome;  /* --outcome */
};

/*
 * Parse argv (argv[0] is the program name). Returns 0, or -EINVAL with a
 * one-line message in @err naming the bad word and the fix.
 */
int ls_cli_parse(int argc, char **argv, struct ls_opts *o, char *err,
		 size_t errlen);

/* Help for @cmd (LS_CMD_NONE: the overview). */
void ls_cli_usage(FILE *f, enum ls_cmd cmd);

const char *ls_cmd_name(enum ls_cmd cmd);

#endif

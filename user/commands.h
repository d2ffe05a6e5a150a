/* SPDX-License-Identifier: GPL-2.0 */
/*
 * commands.h - the subcommands. Each returns the process exit code
 * (enum ls_exit in cli.h, or the wrapped command's for run).
 */
#ifndef LS_COMMANDS_H
#define LS_COMMANDS_H

#include "cli.h"

int ls_cmd_run(const struct ls_opts *o);
int ls_cmd_attach(const struct ls_opts *o);
int ls_cmd_doctor(const struct ls_opts *o);
int ls_cmd_mark(const struct ls_opts *o);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * describe.h - how a finding describes its object: names of fd types,
 * socket families, types and TCP states; database recognition; and what
 * only /proc knows about a live process (argv, RSS, a zombie's status).
 *
 * Owns wording and recognition rules. Must not: decide what is a finding.
 */
#ifndef LS_DESCRIBE_H
#define LS_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leakscope/abi.h"
#include "report.h"

const char *ls_fd_type_name(unsigned int fd_type, const char *path);
const char *ls_database_for_port(int port);
const char *ls_database_for_unix_path(const char *path);
const char *ls_family_name(int family);
const char *ls_sock_type_name(int type);
const char *ls_tcp_state_name(int state);

/* Fill the socket fields of @f from an iterator record. */
void ls_describe_socket(const struct ls_iter_file *s, struct ls_finding *f);

/* NUL-separated @buf of @len bytes into a NULL-terminated malloc'd argv. */
char **ls_split_argv(const char *buf, size_t len);
/* From /proc/PID: argv (NULL if gone), resident bytes, zombie status. */
char **ls_proc_argv(int pid);
uint64_t ls_proc_rss(int pid);
int ls_proc_exit_code(int pid);
/* Is @anc @pid itself or one of its ancestors (by /proc ppid links)? */
bool ls_pid_is_ancestor(int anc, int pid);

#endif

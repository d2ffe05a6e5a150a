/* SPDX-License-Identifier: GPL-2.0 */
/*
 * workload.h - what workload.c shares with the scenario files beside this
 * header (fds.c, sockets.c, temps.c, escape.c): its daemon helpers and the
 * scenarios they define.
 */
#ifndef LS_WORKLOAD_H
#define LS_WORKLOAD_H

#include <stddef.h>
#include <sys/types.h>

#define DAEMON_SECONDS	   120
#define DAEMON_SECONDS_STR "120"

/* workload.c */
extern pid_t cmd_pid; /* the pid of the command (names its files) */
void lsw_path(char *out, size_t len, const char *dir, const char *name);
void wait_ok(pid_t pid, const char *what);
void wait_zombie(pid_t pid);
void daemon_ready(void);
void linger(void) __attribute__((noreturn));
pid_t spawn_daemon(void (*body)(void));
int count_arg(int argc, char **argv, int i, int dflt);
void exec_self(const char *a1, const char *a2) __attribute__((noreturn));

/* fds.c */
int run_fd_clean(int argc, char **argv);
int run_fd_leak(int argc, char **argv);
int run_fd_types(int argc, char **argv);
int run_anon_leak(int argc, char **argv);
int run_fd_inherit(int argc, char **argv);
int run_pipe_layouts(int argc, char **argv);
int run_stacks_many(int argc, char **argv);

/* sockets.c */
int tcp_listener(int family, const char *ip, int port);
int local_port(int fd);
int run_socket_clean(int argc, char **argv);
int run_socket_leak(int argc, char **argv);

/* temps.c */
int run_temp_clean(int argc, char **argv);
int run_temp_leak(int argc, char **argv);
int run_temp_in(int argc, char **argv);
int run_temp_from_root(int argc, char **argv);
int run_temp_exchange(int argc, char **argv);
int run_temp_dir_swap(int argc, char **argv);

/* escape.c */
int run_escape_exit(int argc, char **argv);
int run_escape_stay(int argc, char **argv);
int run_escape_reap(int argc, char **argv);

#endif

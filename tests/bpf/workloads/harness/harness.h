/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - what harness.c shares with the scenario files beside this
 * header (leaks.c, timing.c, attribution.c, modes.c): its connection and
 * pid, its helpers, and the scenarios they define for its table.
 */
#ifndef LS_HARNESS_H
#define LS_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define THREAD_STACK (256 * 1024)

struct ls_client;

/* harness.c */
extern struct ls_client *ls; /* shared: allow, errors, ping, workers use it */
extern pid_t self;	     /* shared: parallel workers name files with it */
void sleep_ms(unsigned int ms);
void wait_ok(pid_t pid, int want_code, const char *what);
void temp_path(char *out, size_t len);
int make_temp(char *path, size_t len, const char *data);
void cgroup_child(char *out, size_t len);
void start_thread(pthread_t *t, void *stack, void *(*fn)(void *), void *arg,
		  int detached);

/* leaks.c */
void t_fd_leak(void);
void t_socket_leak(void);
void t_process_leak(void);
void t_process_escape(void);
void t_spawn_devnull(void);
void t_zombie(void);
void t_zombie_reap(void);
void t_thread_leak(void);
void t_mapping_leak(void);
void t_mapping_small(void);
void t_tempfile_leak(void);
void t_cgroup_leak(void);
void t_fd_clean(void);
void t_socket_clean(void);
void t_process_clean(void);
void t_thread_clean(void);
void t_thread_malloc_clean(void);
void t_mapping_clean(void);
void t_tempfile_clean(void);
void t_cgroup_clean(void);
void t_churn(void);

/* timing.c */
void t_thread_after_end(void);
void t_child_after_end(void);
void t_thread_slow_exit(void);
void after_thread_slow_exit(void);
void t_fd_late_open(void);
void t_fd_late_close(void);
void t_process_late_start(void);
void t_process_late_kill(void);

/* attribution.c */
void t_dup_stdout(void);
void t_dup_own(void);
void t_allow(void);
void t_two_fds(void);

/* modes.c */
void t_errors(void);
void t_ping(void);
void run_parallel(int n);

#endif

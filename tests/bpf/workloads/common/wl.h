/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wl.h - what the test workloads (harness, storm, workload) share: dying
 * with a message that names the program and what it was doing, checked
 * syscalls, and whole-line output on stdout (the tests parse KEY=VALUE
 * lines, so each line goes out in one write(2), however long).
 */
#ifndef LS_WL_H
#define LS_WL_H

#include <semaphore.h>
#include <stddef.h>
#include <sys/types.h>

/* Errors read "<wl_prog> <wl_scenario>: what", or "<wl_scenario>: what"
 * when wl_prog is NULL. Set them as the program goes. */
extern const char *wl_prog;
extern const char *wl_scenario;

void die(const char *what) __attribute__((noreturn)); /* with errno */
void fail(const char *what) __attribute__((noreturn));
long ok(long ret, const char *what);   /* dies if @ret < 0 */
void ok_pt(int err, const char *what); /* pthread's error returns */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void close_ok(int fd);
void write_all(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len); /* short only at EOF */
pid_t wl_gettid(void);
/* Move the whole calling process into cgroup v2 directory @dir. */
void wl_move_to_cgroup(const char *dir);
/* A child that execs `sleep SECONDS`, once it has exec'd (so its argv is
 * sleep's); with @stdio >= 0, that fd dup2()'d onto its 0, 1 and 2 first. */
pid_t wl_spawn_sleep(const char *seconds, int stdio);
/* Make TCP socket @fd listen on 127.0.0.1; its port. (The caller makes
 * the socket, so that it is the socket's creator in stacks.) */
int wl_listen_loopback(int fd);

/* A thread leaked on purpose: it names itself, says it runs, and blocks
 * for ever. Start it (on whatever stack) with wl_blocked_thread as its
 * body and the blocker as its argument; wl_blocker_wait gives its tid. */
struct wl_blocker {
	const char *name; /* its comm */
	sem_t started;
	pid_t tid;
};
void wl_blocker_init(struct wl_blocker *b, const char *name);
void *wl_blocked_thread(void *blocker);
pid_t wl_blocker_wait(struct wl_blocker *b);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * sockets.c - the socket scenarios of tests/bpf/workloads/workload.c
 * (socket-clean, socket-leak): TCP over IPv4 and IPv6, UDP, unix stream
 * sockets (bound and abstract) and socketpairs, each made, used and
 * closed, or left to a daemon. Helpers: workload.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common/wl.h"
#include "workload.h"

static long socks_made; /* sockets this process created (SOCKETS=) */

static int sock_made(long fd, const char *what)
{
	ok(fd, what);
	socks_made++;
	return (int)fd;
}

static socklen_t inet_sa(int family, const char *ip, int port,
			 struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			fail("bad IPv6 address");
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
		fail("bad IPv4 address");
	return sizeof(*s4);
}

int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ok(getsockname(fd, (struct sockaddr *)&ss, &len), "getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A socket of @type bound to ip:port (0: any port); -errno on bind error. */
static int inet_bound(int family, int type, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sa(family, ip, port, &ss);
	int fd = sock_made(socket(family, type, 0), "socket");
	int one = 1, err;

	ok(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
	   "SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	err = errno;
	close_ok(fd);
	return -err;
}

int tcp_listener(int family, const char *ip, int port)
{
	int fd = inet_bound(family, SOCK_STREAM, ip, port);

	if (fd < 0) {
		errno = -fd;
		die("bind TCP listener");
	}
	ok(listen(fd, 8), "listen");
	return fd;
}

static int tcp_connect(int family, const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_sa(family, ip, port, &ss);
	int fd = sock_made(socket(family, SOCK_STREAM, 0), "socket");

	ok(connect(fd, (struct sockaddr *)&ss, len), "connect TCP");
	return fd;
}

static socklen_t unix_sa(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		fail("unix path too long");
	strcpy(sa->sun_path, path);
	return sizeof(*sa);
}

static int unix_listener(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sa(path, &sa);
	int fd = sock_made(socket(AF_UNIX, SOCK_STREAM, 0), "socket unix");

	ok(bind(fd, (struct sockaddr *)&sa, len), "bind unix");
	ok(listen(fd, 8), "listen unix");
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sa(path, &sa);
	int fd = sock_made(socket(AF_UNIX, SOCK_STREAM, 0), "socket unix");

	ok(connect(fd, (struct sockaddr *)&sa, len), "connect unix");
	return fd;
}

/* Send a few bytes from @a to @b and read them back. */
static void ping(int a, int b)
{
	char buf[8];

	write_all(a, "ping", 4);
	if (read_full(b, buf, 4) != 4 || memcmp(buf, "ping", 4))
		fail("ping lost");
}

static void close3(int a, int b, int c)
{
	close_ok(a);
	close_ok(b);
	close_ok(c);
}

static void tcp_roundtrip(int family, const char *ip)
{
	int l = tcp_listener(family, ip, 0);
	int c = tcp_connect(family, ip, local_port(l));
	int s = sock_made(accept4(l, NULL, NULL, SOCK_CLOEXEC), "accept4");

	ping(c, s);
	ping(s, c);
	close3(c, s, l);
}

/* IPv6 on ::1 if this machine has it; says so either way. */
static void tcp6_roundtrip(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0) {
		say("IPV6=0");
		return;
	}
	socks_made++;
	close_ok(fd);
	fd = inet_bound(AF_INET6, SOCK_STREAM, "::1", 0);
	if (fd < 0) {
		say("IPV6=0");
		return;
	}
	close_ok(fd);
	tcp_roundtrip(AF_INET6, "::1");
	say("IPV6=1");
}

static void udp_roundtrip(void)
{
	int r = inet_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
	int s = sock_made(socket(AF_INET, SOCK_DGRAM, 0), "socket UDP");
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[8];

	if (r < 0)
		fail("cannot bind UDP on 127.0.0.1");
	len = inet_sa(AF_INET, "127.0.0.1", local_port(r), &ss);
	ok(sendto(s, "ping", 4, 0, (struct sockaddr *)&ss, len), "sendto");
	if (recv(r, buf, sizeof(buf), 0) != 4)
		fail("UDP datagram lost");
	close_ok(s);
	close_ok(r);
}

static void pair_roundtrip(void)
{
	int sv[2];

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	socks_made += 2;
	ping(sv[0], sv[1]);
	close_ok(sv[0]);
	close_ok(sv[1]);
}

static void unix_roundtrip(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	int l, c, s;

	lsw_path(dir, sizeof(dir), "/tmp", "sock");
	ok(mkdir(dir, 0700), "mkdir socket dir");
	snprintf(path, sizeof(path), "%s/s", dir);
	l = unix_listener(path);
	c = unix_connect(path);
	s = sock_made(accept(l, NULL, NULL), "accept unix");
	ping(c, s);
	close3(s, c, l);
	ok(unlink(path), "unlink socket");
	ok(rmdir(dir), "rmdir socket dir");
	say("UNIX_DIR=%s", dir);
}

int run_socket_clean(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	tcp_roundtrip(AF_INET, "127.0.0.1");
	tcp6_roundtrip();
	udp_roundtrip();
	pair_roundtrip();
	unix_roundtrip();
	say("SOCKETS=%ld", socks_made);
	return 0;
}

/* A TCP listener, a client connected to it and the accepted end. */
static void tcp_trio(const char *tag, const char *ip, int port)
{
	int l, c, s;

	l = inet_bound(AF_INET, SOCK_STREAM, ip, port);
	if (l == -EADDRINUSE) {
		say("%s=0", tag);
		return;
	}
	if (l < 0) {
		errno = -l;
		die("bind TCP listener");
	}
	ok(listen(l, 8), "listen");
	c = tcp_connect(AF_INET, ip, local_port(l));
	s = ok(accept(l, NULL, NULL), "accept");
	say("%s=1", tag);
	say("%s_PORT=%d", tag, local_port(l));
	say("%s_CLIENT_PORT=%d", tag, local_port(c));
	say("%s_FD_LISTEN=%d", tag, l);
	say("%s_FD_CLIENT=%d", tag, c);
	say("%s_FD_ACCEPTED=%d", tag, s);
}

static void unix_trio(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int l, c, s;

	lsw_path(dir, sizeof(dir), "/tmp", "pg");
	ok(mkdir(dir, 0700), "mkdir socket dir");
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", dir);
	l = unix_listener(path);
	c = unix_connect(path);
	s = ok(accept(l, NULL, NULL), "accept unix");
	say("UNIX_DIR=%s", dir);
	say("UNIX_PATH=%s", path);
	say("UNIX_FD_LISTEN=%d", l);
	say("UNIX_FD_CLIENT=%d", c);
	say("UNIX_FD_ACCEPTED=%d", s);
}

/* A client whose server end was closed: CLOSE_WAIT once EOF is read. */
static void tcp_close_wait(void)
{
	int l = tcp_listener(AF_INET, "127.0.0.1", 0);
	int c = tcp_connect(AF_INET, "127.0.0.1", local_port(l));
	int s = ok(accept(l, NULL, NULL), "accept");
	int port = local_port(l);
	char buf[4];

	close_ok(s);
	close_ok(l);
	if (read(c, buf, sizeof(buf)) != 0)
		fail("no EOF after the server closed");
	say("CW_FD=%d", c);
	say("CW_PORT=%d", local_port(c));
	say("CW_PEER_PORT=%d", port);
}

static void tcp6_listener(void)
{
	int l = inet_bound(AF_INET6, SOCK_STREAM, "::1", 0);

	if (l < 0) {
		say("IPV6=0");
		return;
	}
	ok(listen(l, 8), "listen IPv6");
	say("IPV6=1");
	say("IPV6_FD=%d", l);
	say("IPV6_PORT=%d", local_port(l));
}

/* An abstract-namespace unix datagram socket: "@lsw-<pid>-abstract". */
static void unix_abstract(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = ok(socket(AF_UNIX, SOCK_DGRAM, 0), "socket unix dgram");
	int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
			 "lsw-%d-abstract", (int)cmd_pid);

	ok(bind(fd, (struct sockaddr *)&sa,
		offsetof(struct sockaddr_un, sun_path) + 1 + n),
	   "bind abstract");
	say("ABSTRACT_FD=%d", fd);
	say("ABSTRACT_NAME=@%s", sa.sun_path + 1);
}

static void socket_leak_body(void)
{
	int u = inet_bound(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);

	if (u < 0)
		fail("cannot bind UDP on 127.0.0.1");
	tcp_trio("TCP", "127.0.0.1", 0);
	/* Port 6379 on an unusual loopback address: a "redis" peer. */
	tcp_trio("REDIS", "127.77.0.1", 6379);
	unix_trio();
	tcp_close_wait();
	tcp6_listener();
	unix_abstract();
	say("UDP_PORT=%d", local_port(u));
	say("UDP_FD=%d", u);
	daemon_ready();
	linger();
}

int run_socket_leak(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	spawn_daemon(socket_leak_body);
	return 0;
}

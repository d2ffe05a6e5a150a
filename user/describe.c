// SPDX-License-Identifier: GPL-2.0
/*
 * describe.c - see describe.h.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "describe.h"

const char *ls_fd_type_name(unsigned int fd_type, const char *path)
{
	static const struct {
		const char *needle, *name;
	} anon[] = {
		{ "[eventfd]", "eventfd" },
		{ "[eventpoll]", "epoll" },
		{ "[timerfd]", "timerfd" },
		{ "[signalfd]", "signalfd" },
		{ "inotify", "inotify" },
		{ "[fanotify]", "fanotify" },
		{ "[pidfd]", "pidfd" },
		{ "[io_uring]", "io_uring" },
		{ "[userfaultfd]", "userfaultfd" },
		{ "bpf-", "bpf" },
		{ "bpf_", "bpf" },
		{ "[perf_event]", "perf_event" },
	};

	if (!strncmp(path, "anon_inode:", 11) || fd_type == LS_FD_ANON) {
		for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
			if (strstr(path, anon[i].needle))
				return anon[i].name;
		return "anon_inode";
	}
	if (!strncmp(path, "pidfd:", 6))
		return "pidfd";
	switch (fd_type) {
	case LS_FD_FILE:
		return !strncmp(path, "/memfd:", 7) ? "memfd" : "file";
	case LS_FD_DIR:
		return "dir";
	case LS_FD_PIPE:
		return !strncmp(path, "pipe:", 5) ? "pipe" : "fifo";
	case LS_FD_SOCKET:
		return "socket";
	case LS_FD_CHAR:
		return "chardev";
	case LS_FD_BLOCK:
		return "blockdev";
	case LS_FD_LINK:
		return "symlink";
	}
	return "unknown";
}

const char *ls_database_for_port(int port)
{
	switch (port) {
	case 5432:
		return "postgresql";
	case 3306:
		return "mysql";
	case 6379:
		return "redis";
	case 27017:
		return "mongodb";
	case 11211:
		return "memcached";
	case 9042:
		return "cassandra";
	case 5672:
		return "rabbitmq";
	case 9200:
		return "elasticsearch";
	case 1433:
		return "mssql";
	case 1521:
		return "oracle";
	case 26257:
		return "cockroachdb";
	case 2379:
		return "etcd";
	case 8086:
		return "influxdb";
	}
	return NULL;
}

const char *ls_database_for_unix_path(const char *path)
{
	if (strstr(path, ".s.PGSQL."))
		return "postgresql";
	if (strstr(path, "mysql") && strstr(path, ".sock"))
		return "mysql";
	if (strstr(path, "redis") && strstr(path, ".sock"))
		return "redis";
	if (strstr(path, "mongodb") && strstr(path, ".sock"))
		return "mongodb";
	return NULL;
}

const char *ls_family_name(int family)
{
	switch (family) {
	case 1:
		return "unix";
	case 2:
		return "inet";
	case 10:
		return "inet6";
	case 16:
		return "netlink";
	case 17:
		return "packet";
	case 40:
		return "vsock";
	}
	return "other";
}

const char *ls_sock_type_name(int type)
{
	switch (type) {
	case 1:
		return "stream";
	case 2:
		return "dgram";
	case 3:
		return "raw";
	case 5:
		return "seqpacket";
	}
	return "other";
}

const char *ls_tcp_state_name(int state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT",	 [3] = "SYN_RECV",
		[4] = "FIN_WAIT1",   [5] = "FIN_WAIT2",	 [6] = "TIME_WAIT",
		[7] = "CLOSE",	     [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN",     [11] = "CLOSING",	 [12] = "NEW_SYN_RECV",
	};

	if (state > 0 && state < (int)(sizeof(names) / sizeof(names[0])))
		return names[state];
	return "UNKNOWN";
}

/* ---- procfs, for what the kernel records do not carry ---- */

char **ls_split_argv(const char *buf, size_t len)
{
	size_t n = 0, k = 0;
	char **argv;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == 0 || i + 1 == len;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < len && k < n;) {
		size_t l = strnlen(buf + i, len - i);

		argv[k++] = strndup(buf + i, l);
		i += l + 1;
	}
	return argv;
}

char **ls_proc_argv(int pid)
{
	char file[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/cmdline", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? ls_split_argv(buf, n) : NULL;
}

uint64_t ls_proc_rss(int pid)
{
	char file[64];
	unsigned long size, resident = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/statm", pid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * sysconf(_SC_PAGESIZE);
}

/* A zombie's wait status: field 52 of /proc/PID/stat (Linux 3.5+). */
int ls_proc_exit_code(int pid)
{
	char file[64], buf[2048], *p;
	int field = 3, code = 0;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/stat", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields start after the last
	 * ')', with the state (field 3). */
	p = strrchr(buf, ')');
	for (p = p ? p + 2 : buf; p && *p && field < 52; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (p && field == 52)
		code = atoi(p);
	return code;
}

/* ---- sockets ---- */

static void describe_inet(const struct ls_iter_file *s, struct ls_finding *f)
{
	int af = s->family == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, s->saddr, f->local_addr, sizeof(f->local_addr));
	f->local_port = s->sport;
	if (s->dport) {
		inet_ntop(af, s->daddr, f->peer_addr, sizeof(f->peer_addr));
		f->peer_port = s->dport;
		f->database = ls_database_for_port(s->dport);
	}
	if (s->protocol == 6) {
		f->protocol = "tcp";
		f->state = ls_tcp_state_name(s->state);
	} else if (s->protocol == 17) {
		f->protocol = "udp";
	} else if (s->protocol == 132) {
		f->protocol = "sctp";
	}
}

void ls_describe_socket(const struct ls_iter_file *s, struct ls_finding *f)
{
	if (!(s->sk_flags & LS_SK_VALID))
		return;
	f->family = ls_family_name(s->family);
	f->sock_type = ls_sock_type_name(s->sk_type);
	if (s->family == 2 || s->family == 10) {
		describe_inet(s, f);
		return;
	}
	if (s->family != 1)
		return;
	/* For unix sockets, path holds the bound address, if any. */
	if (s->sk_flags & LS_SK_UNIX_ADDR)
		snprintf(f->local_addr, sizeof(f->local_addr), "%s", s->path);
	if (s->sk_flags & LS_SK_UNIX_PEER) {
		snprintf(f->peer_addr, sizeof(f->peer_addr), "%s", s->path2);
		f->database = ls_database_for_unix_path(s->path2);
	}
}

/* The parent of @pid from /proc/PID/stat (after the comm's last ')'). */
static int proc_ppid(int pid)
{
	char file[64], buf[512], *p;
	int ppid = -1;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/stat", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = -1;
	return ppid;
}

bool ls_pid_is_ancestor(int anc, int pid)
{
	for (int depth = 0; pid > 0 && depth < 256; depth++) {
		if (pid == anc)
			return true;
		pid = proc_ppid(pid);
	}
	return false;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - attach floor.bpf.o's no-op program to syscalls:sys_exit_NAME
 * for each NAME given, print "ready N" (N: how many attached; a syscall
 * this kernel has no tracepoint for is skipped), and hold them until
 * SIGINT or SIGTERM.
 *
 *   floor OBJECT NAME...
 *
 * Exit status: 0 after a signal; 1 if the object cannot be loaded or
 * nothing could be attached; 2 for a bad command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link **links;
	int attached = 0;
	char tp[64];

	if (argc < 3) {
		fprintf(stderr, "usage: floor OBJECT NAME...\n");
		return 2;
	}
	libbpf_set_print(silent);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "nop");
	links = calloc(argc, sizeof(*links));
	for (int i = 2; prog && links && i < argc; i++) {
		snprintf(tp, sizeof(tp), "sys_exit_%s", argv[i]);
		links[attached] =
			bpf_program__attach_tracepoint(prog, "syscalls", tp);
		if (links[attached])
			attached++;
	}
	if (attached) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("ready %d\n", attached);
		fflush(stdout);
		while (!stop)
			pause();
	} else {
		fprintf(stderr, "floor: no syscall tracepoint attached\n");
	}
	for (int i = 0; i < attached; i++)
		bpf_link__destroy(links[i]);
	free(links);
	bpf_object__close(obj);
	return attached ? 0 : 1;
}

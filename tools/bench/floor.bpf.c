// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c - the bench's floor: a program that does nothing, attached
 * by tools/bench/floor.c to the exit tracepoint of every syscall leakscope
 * traces. What a workload pays under it (the syscall slow path for every
 * task, the kernel's dispatch to a BPF program on each traced syscall) is
 * the least any syscall-tracepoint design pays; leakscope's own work is
 * what it adds on top.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint")
int nop(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

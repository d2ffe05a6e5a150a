// SPDX-License-Identifier: GPL-2.0
/*
 * sock.bpf.c - TCP state changes of sockets that belong to the watch.
 *
 * State changes often run in softirq context on behalf of no particular
 * task, so the socket's own cgroup (recorded when it was created) decides
 * whether it is watched, not the current task. Counted always; streamed
 * with LS_CFG_STREAM_ALL.
 */
#include "common.bpf.h"

static __always_inline int on_state(const struct sock *sk, int oldstate,
				    int newstate)
{
	struct ls_ev_sock *e;

	if (!cgid_watched(cgroup_id_of(BPF_CORE_READ(sk, sk_cgrp_data.cgroup))))
		return 0;
	if (!stream_all()) {
		percpu_inc(&evcounts, LS_EV_SOCK_STATE);
		return 0;
	}
	e = emit_reserve(sizeof(*e), LS_EV_SOCK_STATE, 0);
	if (!e)
		return 0;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->oldstate = oldstate;
	e->newstate = newstate;
	if (e->family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk,
				   __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk,
				   __sk_common.skc_daddr);
	}
	emit_submit(e);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(sock_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

SEC("tracepoint/sock/inet_sock_set_state")
int sock_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return on_state((const struct sock *)ctx->skaddr, ctx->oldstate,
			ctx->newstate);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.bpf.c - cgroups created and removed below the watched one.
 *
 * Owns the `watched_cgroups` set: a child cgroup of a watched cgroup is
 * watched too (its processes are part of the run), so it is added on mkdir
 * and dropped on rmdir; the CGROUP counters; the CGROUP_* events (the mkdir
 * tracepoint runs in the creator's context, which names who made it).
 * Values in the set: LS_CG_CREATED for cgroups made during the watch,
 * LS_CG_BASELINE for those the agent found at start (not counted).
 */
#include "common.bpf.h"

static __always_inline void emit_cgroup(__u32 type, struct cgroup *cg,
					const char *path, __u64 test)
{
	struct ls_ev_cgroup *e = emit_reserve(sizeof(*e), type, test);

	if (!e)
		return;
	e->cgid = cgroup_id_of(cg);
	e->level = BPF_CORE_READ(cg, level);
	e->pad = 0;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	emit_submit(e);
}

static __always_inline int on_mkdir(struct cgroup *cg, const char *path)
{
	/* struct cgroup embeds its css first; css.parent is the parent's. */
	struct cgroup *parent = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	__u64 id = cgroup_id_of(cg);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ls_cgroup_val v = { .state = LS_CG_CREATED };
	struct ls_proc *p;

	if (!parent || !cgroup_watched(parent))
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	v.test = p ? p->test : 0;
	if (bpf_map_update_elem(&watched_cgroups, &id, &v, BPF_ANY)) {
		loss(LS_LOSS_CGROUP_TABLE);
		return 0;
	}
	watch.nested = 1;
	kind_created(LS_KIND_CGROUP, 0, v.test);
	emit_cgroup(LS_EV_CGROUP_MKDIR, cg, path, v.test);
	return 0;
}

static __always_inline int on_rmdir(struct cgroup *cg, const char *path)
{
	__u64 id = cgroup_id_of(cg);
	struct ls_cgroup_val *v;
	__u64 test;

	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0 || id == watch.cgid)
		return 0;
	v = bpf_map_lookup_elem(&watched_cgroups, &id);
	if (!v)
		return 0;
	test = v->test;
	if (v->state == LS_CG_CREATED)
		kind_released(LS_KIND_CGROUP, 0, test);
	bpf_map_delete_elem(&watched_cgroups, &id);
	emit_cgroup(LS_EV_CGROUP_RMDIR, cg, path, test);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cg_mkdir_btf, struct cgroup *cg, const char *path)
{
	return on_mkdir(cg, path);
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(cg_mkdir_raw, struct cgroup *cg, const char *path)
{
	return on_mkdir(cg, path);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cg_rmdir_btf, struct cgroup *cg, const char *path)
{
	return on_rmdir(cg, path);
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(cg_rmdir_raw, struct cgroup *cg, const char *path)
{
	return on_rmdir(cg, path);
}

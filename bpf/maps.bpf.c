// SPDX-License-Identifier: GPL-2.0
/*
 * maps.bpf.c - the single definition of every map and global shared by
 * leakscope's BPF programs (declared in common.bpf.h). Holds no programs.
 */
#include "common.bpf.h"

const volatile __u32 cfg_level = LS_LEVEL_FULL;
const volatile __u32 cfg_flags = 0;
const volatile __u32 cfg_page_size = 4096;
const volatile __u32 cfg_agent_tgid = 0;
const volatile __u64 cfg_wakeup_bytes = 1 << 20;
const volatile __u32 cfg_thread_slot_mask = 32767;
const volatile __u8 cfg_hook_attach[LS_HOOK_MAX] = {};
const volatile __u8 cfg_sys_table[LS_SYS_TABLE_LEN] = {};

struct ls_watch_vars watch SEC(".bss");
__u32 iter_unfiltered = 0;
__u64 auto_test_seq = 0;
struct ls_kind_stats kstats[LS_KIND_MAX] = {};
__u64 loss_count[LS_LOSS_MAX] = {};
__u64 orphaned_map_records = 0;
__u64 tick_base_ns = 0;
__u32 tick_ns = 0;

struct procs_map procs SEC(".maps");
struct objs_map objs SEC(".maps");
struct thread_slots_map thread_slots SEC(".maps");
struct threads_map threads SEC(".maps");
struct tstats_map tstats SEC(".maps");
struct ustacks_map ustacks SEC(".maps");
struct ustack_scratch_map ustack_scratch SEC(".maps");
struct departed_map departed SEC(".maps");
struct cgroups_map watched_cgroups SEC(".maps");
struct temp_roots_map temp_roots SEC(".maps");
struct temp_ancestors_map temp_ancestors SEC(".maps");
struct events_map events SEC(".maps");
struct counters_map evcounts SEC(".maps");
struct scratch_map scratch SEC(".maps");

char LICENSE[] SEC("license") = "GPL";

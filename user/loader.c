// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - see loader.h. The libbpf-tools idiom: one object holds every
 * variant of every hook; hooks.c decides which load, everything else keeps
 * autoload off and costs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leakscope/abi.h" /* before the skeleton: it names our types */
#include "leakscope.skel.h"
#include "loader.h"
#include "log.h"

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* Warnings with -v, libbpf's whole story (verifier logs) with -vv. */
	if (ls_verbosity < 1 || (level == LIBBPF_DEBUG && ls_verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void set_err(struct ls_bpf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct ls_bpf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

/*
 * The thread table is two (common.bpf.h): slots, the largest power of two
 * up to half of @n, and an overflow hash for the rest. No more than @n
 * threads fit; at least the overflow's size, whatever their numbers.
 */
static void size_thread_table(struct leakscope_bpf *s, unsigned long n)
{
	unsigned long slots = 1;

	while (slots * 4 <= n)
		slots *= 2;
	bpf_map__set_max_entries(s->maps.thread_slots, slots);
	bpf_map__set_max_entries(s->maps.threads, n - slots);
	s->rodata->cfg_thread_slot_mask = slots - 1;
}

static void size_tables(struct leakscope_bpf *s, const unsigned long *size)
{
	struct bpf_map *table[LS_TABLE_MAX] = {
		[LS_TABLE_OBJECTS] = s->maps.objs,
		[LS_TABLE_PROCESSES] = s->maps.procs,
		[LS_TABLE_TESTS] = s->maps.tstats,
		[LS_TABLE_STACKS] = s->maps.ustacks,
	};

	for (int i = 0; i < LS_TABLE_MAX; i++)
		if (size[i] && table[i])
			bpf_map__set_max_entries(table[i], size[i]);
	size_thread_table(s, size[LS_TABLE_THREADS] ? size[LS_TABLE_THREADS]
						    : LS_DEFAULT_THREADS);
}

static void configure(struct ls_bpf *b, const struct ls_bpf_config *c)
{
	struct leakscope_bpf *s = b->skel;
	long page = sysconf(_SC_PAGESIZE);

	s->bss->watch.cgid = c->cgid;
	s->rodata->cfg_level = c->level;
	s->rodata->cfg_flags = c->flags;
	s->rodata->cfg_agent_tgid = c->agent_tgid;
	s->rodata->cfg_page_size = page > 0 ? page : 4096;
	/* Wake the consumer only when a quarter of the ring is waiting. */
	s->rodata->cfg_wakeup_bytes = c->ring_bytes / 4;
	for (int k = 0; k < LS_HOOK_MAX; k++)
		s->rodata->cfg_hook_attach[k] = b->hooks.chosen[k];
	for (int sys = 1; sys < LS_SYS_MAX; sys++) {
		long nr = b->hooks.sys_nr[sys];

		if (nr >= 0 && nr < LS_SYS_TABLE_LEN)
			s->rodata->cfg_sys_table[nr] = sys;
	}
	bpf_map__set_max_entries(s->maps.events, c->ring_bytes);
	size_tables(s, c->table_size);
}

static void choose_programs(struct ls_bpf *b)
{
	struct bpf_program *p;

	bpf_object__for_each_program (p, b->skel->obj) {
		bool want = ls_hooks_want_prog(&b->hooks, bpf_program__name(p));

		bpf_program__set_autoload(p, want);
		b->n_programs += want;
	}
}

static int add_link(struct ls_bpf *b, struct bpf_link *l)
{
	struct bpf_link **grown;

	if (!l)
		return -errno;
	grown = realloc(b->links, (b->n_links + 1) * sizeof(*grown));
	if (!grown) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	b->links = grown;
	b->links[b->n_links++] = l;
	return 0;
}

static void note_missing(struct ls_bpf *b, const char *name)
{
	size_t n = strlen(b->missing_sys);

	snprintf(b->missing_sys + n, sizeof(b->missing_sys) - n, "%s%s",
		 n ? " " : "", name);
}

/* The one tracepoint program, on the exit of every syscall it serves. */
static int attach_syscalls(struct ls_bpf *b, struct bpf_program *p)
{
	char tp[64];
	int err;

	for (int sys = 1; sys < LS_SYS_MAX; sys++) {
		if (b->hooks.chosen[ls_sys_hook(sys)] != LS_ATTACH_TRACEPOINT)
			continue;
		if (!b->hooks.sys_tp[sys]) {
			note_missing(b, ls_sys_name(sys));
			continue;
		}
		snprintf(tp, sizeof(tp), "sys_exit_%s", ls_sys_name(sys));
		err = add_link(
			b, bpf_program__attach_tracepoint(p, "syscalls", tp));
		if (err) {
			set_err(b,
				"cannot attach to tracepoint syscalls:%s: %s",
				tp, strerror(-err));
			return err;
		}
		b->n_sys_attached++;
	}
	return 0;
}

static int attach_all(struct ls_bpf *b)
{
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program (p, b->skel->obj) {
		const char *name = bpf_program__name(p);

		/* Iterators run per snapshot; ctl runs on request. */
		if (!bpf_program__autoload(p) || !strncmp(name, "iter_", 5) ||
		    !strcmp(name, "ctl"))
			continue;
		if (!strcmp(name, "sys_exit_tp")) {
			err = attach_syscalls(b, p);
		} else {
			err = add_link(b, bpf_program__attach(p));
			if (err)
				set_err(b, "cannot attach %s: %s", name,
					strerror(-err));
		}
		if (err)
			return err;
	}
	return 0;
}

static int set_temp_roots(struct ls_bpf *b, const struct ls_bpf_config *c)
{
	int fd = bpf_map__fd(b->skel->maps.temp_roots);

	for (__u32 i = 0; i < (__u32)c->n_temp_roots; i++)
		if (bpf_map_update_elem(fd, &c->temp_roots[i], &i, BPF_ANY))
			return -errno;
	fd = bpf_map__fd(b->skel->maps.temp_ancestors);
	for (__u32 i = 0; i < (__u32)c->n_temp_ancestors; i++)
		if (bpf_map_update_elem(fd, &c->temp_ancestors[i], &i, BPF_ANY))
			return -errno;
	return 0;
}

#define TICK_SAMPLES 5

/*
 * Creation times of fds, mappings and threads to the tick (ls_tick_ns):
 * samples spread over one tick let the kernel find where ticks start
 * (ctl.bpf.c). Costs one tick of start-up (4 ms at HZ=250).
 */
static int start_tick_clock(struct ls_bpf *b)
{
	for (int i = 0; i < TICK_SAMPLES; i++) {
		struct ls_ctl c = { .op = LS_CTL_CLOCK };
		int err = ls_bpf_ctl(b, &c);
		struct timespec gap;

		if (err)
			return err;
		b->tick_ns = (unsigned int)c.cookie;
		if (!b->tick_ns)
			return 0;
		gap.tv_sec = 0;
		gap.tv_nsec = b->tick_ns / (TICK_SAMPLES - 1);
		if (i + 1 < TICK_SAMPLES)
			nanosleep(&gap, NULL);
	}
	return 0;
}

static int load(struct ls_bpf *b, const struct ls_bpf_config *c)
{
	int err;

	b->skel = leakscope_bpf__open();
	if (!b->skel) {
		set_err(b, "cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	configure(b, c);
	choose_programs(b);
	err = leakscope_bpf__load(b->skel);
	if (err) {
		set_err(b,
			"the kernel refused leakscope's BPF programs (%s); "
			"run with -vv to see the verifier log",
			strerror(-err));
		return err;
	}
	err = set_temp_roots(b, c);
	if (err) {
		set_err(b, "cannot set temp roots: %s", strerror(-err));
		return err;
	}
	err = start_tick_clock(b);
	if (err) {
		set_err(b, "cannot start the tick clock: %s", strerror(-err));
		return err;
	}
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), c->on_event,
				 c->event_ctx, NULL);
	if (!b->rb) {
		set_err(b, "cannot set up the ring buffer: %s",
			strerror(errno));
		return -errno;
	}
	return 0;
}

int ls_bpf_start(struct ls_bpf *b, const struct ls_bpf_config *c)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->stats_fd = -1;
	libbpf_set_print(print_libbpf);
	b->ncpus = libbpf_num_possible_cpus();
	err = ls_probe_bpf_allowed();
	if (err) {
		set_err(b,
			"cannot load BPF programs (%s): run leakscope as "
			"root, or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN",
			strerror(-err));
		return -EPERM;
	}
	err = ls_hooks_probe(&b->hooks, c->level, c->probe_all);
	if (err) {
		for (int k = 0; k < LS_HOOK_MAX; k++)
			if (b->hooks.why[k][0])
				set_err(b, "%s (see: leakscope doctor)",
					b->hooks.why[k]);
		return err;
	}
	err = load(b, c);
	if (!err) {
		b->sweep_every =
			bpf_map__max_entries(b->skel->maps.objs) / 8 ?: 1;
		err = attach_all(b);
	}
	if (err)
		ls_bpf_stop(b);
	return err;
}

/*
 * Detaching a syscall tracepoint waits for an RCU-tasks grace period under a
 * global mutex: ~70 ms each here, seconds for fifty, while the user waits
 * for the report's command to return. So a child process takes over our
 * references and drops them once we have exited: our own closes are then
 * cheap, and the kernel pays the waits on the child's time. The programs
 * keep running a few seconds longer, filtering on a cgroup that no longer
 * exists. LEAKSCOPE_SYNC_DETACH=1 detaches in the foreground instead.
 */
static int by_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* In the child: keep the links and @keep, close everything else (our
 * caller's stdout pipe must see EOF when we exit, not seconds later). */
static void keep_only_links(struct ls_bpf *b, int keep)
{
	int *fds = malloc((b->n_links + 1) * sizeof(*fds)), n = 0, lo = 0;

	if (!fds)
		_exit(1);
	for (size_t i = 0; i < b->n_links; i++)
		fds[n++] = bpf_link__fd(b->links[i]);
	fds[n++] = keep;
	qsort(fds, n, sizeof(*fds), by_fd);
	for (int i = 0; i < n; i++) {
		if (fds[i] > lo)
			close_range(lo, fds[i] - 1, 0);
		lo = fds[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

static bool hand_over_links(struct ls_bpf *b)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (getenv("LEAKSCOPE_SYNC_DETACH") || pipe2(pfd, O_CLOEXEC))
		return false;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		keep_only_links(b, pfd[0]);
		/* EOF once the agent has exited and released its refs. */
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pfd[0]);
	/* pfd[1] stays open until our exit, on purpose. */
	return true;
}

void ls_bpf_stop(struct ls_bpf *b)
{
	if (b->n_sys_attached > 4)
		hand_over_links(b);
	for (size_t i = 0; i < b->n_links; i++)
		bpf_link__destroy(b->links[i]);
	free(b->links);
	b->links = NULL;
	b->n_links = 0;
	ring_buffer__free(b->rb);
	b->rb = NULL;
	leakscope_bpf__destroy(b->skel);
	b->skel = NULL;
	if (b->stats_fd >= 0)
		close(b->stats_fd);
	b->stats_fd = -1;
}

int ls_bpf_ring_fd(struct ls_bpf *b)
{
	return ring_buffer__epoll_fd(b->rb);
}

int ls_bpf_drain(struct ls_bpf *b)
{
	return ring_buffer__consume(b->rb);
}

void ls_bpf_kind_stats(struct ls_bpf *b, struct ls_kind_stats out[LS_KIND_MAX])
{
	/* .bss is mmap'd: read it without a syscall. */
	memcpy(out, (const void *)b->skel->bss->kstats,
	       sizeof(struct ls_kind_stats) * LS_KIND_MAX);
}

static int percpu_sums(struct ls_bpf *b, struct bpf_map *map, uint64_t *out,
		       int n)
{
	uint64_t *vals = calloc(b->ncpus, sizeof(*vals));
	int fd = bpf_map__fd(map);

	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < (__u32)n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int cpu = 0; cpu < b->ncpus; cpu++)
			out[k] += vals[cpu];
	}
	free(vals);
	return 0;
}

int ls_bpf_losses(struct ls_bpf *b, uint64_t out[LS_LOSS_MAX])
{
	/* In .bss too: the agent asks at every BEGIN and END. */
	for (int i = 0; i < LS_LOSS_MAX; i++)
		out[i] = ((volatile __u64 *)b->skel->bss->loss_count)[i];
	return 0;
}

int ls_bpf_event_counts(struct ls_bpf *b, uint64_t out[LS_EV_MAX])
{
	return percpu_sums(b, b->skel->maps.evcounts, out, LS_EV_MAX);
}

int ls_bpf_enable_stats(struct ls_bpf *b)
{
	/* Costs a clock read per program run: only on request. */
	b->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return b->stats_fd < 0 ? -errno : 0;
}

int ls_bpf_prog_stats(struct ls_bpf *b, struct ls_prog_stat **out, size_t *n)
{
	struct bpf_program *p;
	struct ls_prog_stat *s = calloc(b->n_programs + 1, sizeof(*s));

	*n = 0;
	if (!s)
		return -ENOMEM;
	bpf_object__for_each_program (p, b->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(p) || *n > b->n_programs ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		snprintf(s[*n].name, sizeof(s[*n].name), "%s",
			 bpf_program__name(p));
		s[*n].runs = info.run_cnt;
		s[*n].ns = info.run_time_ns;
		(*n)++;
	}
	*out = s;
	return 0;
}

static double monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int ls_bpf_sweep_orphans(struct ls_bpf *b)
{
	/* .bss is mmap'd: reading the count costs no syscall. */
	uint64_t now = __atomic_load_n(&b->skel->bss->orphaned_map_records,
				       __ATOMIC_RELAXED);
	struct ls_ctl c = { .op = LS_CTL_SWEEP_MAPS };
	double t0;
	int err;

	if (now - b->orphans_at_sweep < b->sweep_every)
		return 0;
	b->orphans_at_sweep = now;
	t0 = monotonic_ms();
	err = ls_bpf_ctl(b, &c);
	if (err < 0) {
		b->sweep_every = UINT64_MAX; /* said once, by the caller */
		return err;
	}
	b->swept += c.cookie;
	ls_debug("swept %llu mapping records of exited processes in %.2f ms "
		 "(%llu in all)",
		 (unsigned long long)c.cookie, monotonic_ms() - t0,
		 (unsigned long long)b->swept);
	return 0;
}

int ls_bpf_ctl(struct ls_bpf *b, struct ls_ctl *c)
{
	/* Syscall programs write their ctx back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = c,
		    .ctx_size_in = sizeof(*c));

	if (bpf_prog_test_run_opts(bpf_program__fd(b->skel->progs.ctl), &opts))
		return -errno;
	return c->ret;
}

int ls_bpf_test_create(struct ls_bpf *b, uint64_t test)
{
	struct ls_test_counts zero = { 0 };

	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.tstats), &test, &zero,
				BPF_ANY))
		return -errno;
	return 0;
}

int ls_bpf_test_counts(struct ls_bpf *b, uint64_t test,
		       struct ls_test_counts *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.tstats), &test, out))
		return -errno;
	return 0;
}

void ls_bpf_test_forget(struct ls_bpf *b, uint64_t test)
{
	bpf_map_delete_elem(bpf_map__fd(b->skel->maps.tstats), &test);
}

uint64_t ls_bpf_losses_total(struct ls_bpf *b)
{
	uint64_t l[LS_LOSS_MAX], sum = 0;

	if (ls_bpf_losses(b, l))
		return 0;
	for (int i = 0; i < LS_LOSS_MAX; i++)
		sum += l[i];
	return sum;
}

int ls_bpf_ustack(struct ls_bpf *b, int id, struct ls_ustack *out)
{
	__u32 key = id;

	if (id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.ustacks), &key, out))
		return -errno;
	if (out->n_fp > LS_STACK_DEPTH)
		out->n_fp = LS_STACK_DEPTH;
	if (out->n_scan > LS_SCAN_WORDS)
		out->n_scan = LS_SCAN_WORDS;
	return 0;
}

int ls_bpf_add_baseline_proc(struct ls_bpf *b, uint32_t tgid,
			     const struct ls_proc *p)
{
	int fd = bpf_map__fd(b->skel->maps.procs);
	struct ls_proc cur;

	/* Only an entry the kernel made on first sight (LAZY) may be
	 * replaced: a fork or migration seen since attach is newer news. */
	if (!bpf_map_lookup_elem(fd, &tgid, &cur) &&
	    !(cur.flags & LS_PROC_LAZY))
		return 0;
	if (bpf_map_update_elem(fd, &tgid, p, BPF_ANY))
		return -errno;
	return 0;
}

int ls_bpf_add_baseline_cgroup(struct ls_bpf *b, uint64_t cgid)
{
	__u32 v = LS_CG_BASELINE;

	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.watched_cgroups),
				&cgid, &v, BPF_NOEXIST) &&
	    errno != EEXIST)
		return -errno;
	b->skel->bss->watch.nested = 1;
	return 0;
}

int ls_bpf_fd_origin(struct ls_bpf *b, uint32_t tgid, int fd,
		     struct ls_obj *out)
{
	struct ls_obj_key k = { .tgid = tgid, .cls = LS_OBJ_FD, .handle = fd };

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.objs), &k, out))
		return -errno;
	return 0;
}

int ls_bpf_departed_origin(struct ls_bpf *b, uint64_t file, struct ls_obj *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.departed), &file,
				out))
		return -errno;
	return 0;
}

int ls_bpf_proc(struct ls_bpf *b, uint32_t tgid, struct ls_proc *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.procs), &tgid, out))
		return -errno;
	return 0;
}

static struct bpf_program *iter_prog(struct ls_bpf *b, const char *which)
{
	if (!strcmp(which, "iter_task"))
		return b->skel->progs.iter_task;
	if (!strcmp(which, "iter_task_file"))
		return b->skel->progs.iter_task_file;
	if (!strcmp(which, "iter_task_vma"))
		return b->skel->progs.iter_task_vma;
	if (!strcmp(which, "iter_fd_sync"))
		return b->skel->progs.iter_fd_sync;
	return NULL;
}

static int read_all(int fd, void **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *p = malloc(cap), *grown;
	ssize_t r;

	if (!p)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			grown = realloc(p, cap * 2);
			if (!grown) {
				free(p);
				return -ENOMEM;
			}
			p = grown;
			cap *= 2;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return -errno;
		}
		if (r == 0)
			break;
		n += r;
	}
	*buf = p;
	*len = n;
	return 0;
}

int ls_bpf_iterate(struct ls_bpf *b, const char *which, pid_t pid,
		   bool unfiltered, void **buf, size_t *len)
{
	union bpf_iter_link_info info = { .task.pid = pid };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	struct bpf_program *p = iter_prog(b, which);
	struct bpf_link *link;
	int fd, err;

	if (!p)
		return -EINVAL;
	if (pid) {
		opts.link_info = &info;
		opts.link_info_len = sizeof(info);
	}
	b->skel->bss->iter_unfiltered = unfiltered && pid;
	link = bpf_program__attach_iter(p, &opts);
	if (!link) {
		err = -errno;
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
	} else {
		err = read_all(fd, buf, len);
		close(fd);
	}
	bpf_link__destroy(link);
out:
	b->skel->bss->iter_unfiltered = 0;
	return err;
}

int ls_bpf_fd_sync(struct ls_bpf *b, pid_t pid)
{
	void *buf = NULL;
	size_t len = 0;
	int err = ls_bpf_iterate(b, "iter_fd_sync", pid, false, &buf, &len);

	free(buf);
	return err;
}

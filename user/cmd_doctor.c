// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_doctor.c - `leakscope doctor`: can this machine watch, and how?
 *
 * Owns the list of checks and their fixes. Each check says what it found;
 * a failed essential check makes the exit code LS_EXIT_CANNOT_WATCH. The
 * last check loads and attaches the real programs (watching nothing), so
 * "ok" means a watch would start.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "hooks.h"
#include "json.h"
#include "loader.h"
#include "log.h"
#include "mountinfo.h"
#include "watch.h"

#define MAX_CHECKS 12

struct check {
	const char *name;
	bool ok;
	bool skipped; /* could not be checked (no privileges) */
	bool essential;
	char detail[320];
	char fix[256];
};

struct doctor {
	struct check checks[MAX_CHECKS];
	int n;
	struct ls_bpf bpf; /* hooks and counts from the trial load */
	bool loaded;
	double load_ms;
};

static struct check *add(struct doctor *d, const char *name, bool essential)
{
	struct check *c = &d->checks[d->n++];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->essential = essential;
	return c;
}

static void check_kernel(struct doctor *d)
{
	struct check *c = add(d, "kernel", false);
	struct utsname u;

	c->ok = uname(&u) == 0;
	snprintf(c->detail, sizeof(c->detail), "%s %s", c->ok ? u.release : "?",
		 c->ok ? u.machine : "");
}

static void check_privileges(struct doctor *d)
{
	struct check *c = add(d, "privileges", true);
	int err = ls_probe_bpf_allowed();

	c->ok = err == 0;
	snprintf(c->detail, sizeof(c->detail), "%s, %s",
		 geteuid() == 0 ? "root" : "not root",
		 c->ok ? "BPF programs load" : strerror(-err));
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix),
			 "run as root (sudo), or grant "
			 "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN");
}

static void check_btf(struct doctor *d)
{
	struct check *c = add(d, "btf", true);

	c->ok = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	snprintf(c->detail, sizeof(c->detail), "%s",
		 c->ok ? "/sys/kernel/btf/vmlinux" : "missing");
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix),
			 "use a kernel built with "
			 "CONFIG_DEBUG_INFO_BTF=y (most distribution kernels)");
}

static void check_lockdown(struct doctor *d)
{
	struct check *c = add(d, "lockdown", false);
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	c->ok = true;
	if (f && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(c->detail, sizeof(c->detail), "%s", buf);
		/* [confidentiality] forbids reading kernel memory: no BPF. */
		c->ok = !strstr(buf, "[confidentiality]");
		if (!c->ok)
			snprintf(c->fix, sizeof(c->fix),
				 "lockdown="
				 "confidentiality forbids BPF tracing; boot "
				 "with lockdown=integrity or none");
	} else {
		snprintf(c->detail, sizeof(c->detail),
			 "unknown (securityfs "
			 "not mounted); the trial load below decides");
	}
	if (f)
		fclose(f);
}

static void check_cgroup2(struct doctor *d)
{
	struct check *c = add(d, "cgroup2", true);
	char mnt[PATH_MAX], v1[PATH_MAX];
	int err = ls_cgroup_mount(mnt, sizeof(mnt));

	c->ok = err == 0;
	if (!c->ok) {
		snprintf(c->detail, sizeof(c->detail),
			 "no cgroup2 mount in "
			 "/proc/self/mountinfo");
		snprintf(c->fix, sizeof(c->fix),
			 "mount -t cgroup2 none "
			 "/sys/fs/cgroup (or boot with "
			 "systemd.unified_cgroup_hierarchy=1)");
		return;
	}
	snprintf(c->detail, sizeof(c->detail), "%s%s", mnt,
		 ls_mount_point("cgroup", v1, sizeof(v1)) == 0
			 ? " (hybrid: v1 controllers mounted too)"
			 : "");
}

static void check_tracefs(struct doctor *d, const struct ls_hooks *h)
{
	struct check *c = add(d, "tracefs", false);

	c->ok = h->tracefs[0] != 0;
	if (c->ok)
		snprintf(c->detail, sizeof(c->detail), "%s%s", h->tracefs,
			 h->tracefs_mounted ? " (mounted by leakscope)" : "");
	else
		snprintf(c->detail, sizeof(c->detail),
			 "%s; syscalls fall back "
			 "to a generic sys_exit hook (slower)",
			 h->tracefs_err);
}

static void skip(struct doctor *d, const char *name, const char *why)
{
	struct check *c = add(d, name, true);

	c->skipped = true;
	snprintf(c->detail, sizeof(c->detail), "not checked: %s", why);
}

static void check_features(struct doctor *d)
{
	struct check *c;

	if (!d->checks[1].ok) { /* privileges */
		skip(d, "ringbuf", "needs privileges");
		skip(d, "iterators", "needs privileges");
		return;
	}
	c = add(d, "ringbuf", true);

	c->ok = ls_probe_ringbuf();
	snprintf(c->detail, sizeof(c->detail), "%s",
		 c->ok ? "BPF ring buffer supported" : "not supported");
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix), "needs Linux 5.8 or later");
	c = add(d, "iterators", true);
	c->ok = ls_probe_iter();
	snprintf(c->detail, sizeof(c->detail), "%s",
		 c->ok ? "task, task_file, task_vma" : "not supported");
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix),
			 "needs Linux 5.9 or later "
			 "with BTF");
}

static int no_events(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static void check_load(struct doctor *d, enum ls_level level)
{
	struct check *c = add(d, "load", true);
	struct ls_bpf_config cfg = {
		.cgid = 0, /* watches nothing */
		.level = level,
		.ring_bytes = 1 << 16,
		.on_event = no_events,
		.probe_all = true,
	};
	uint64_t t = ls_now_ns();
	int err = ls_bpf_start(&d->bpf, &cfg);

	d->load_ms = (ls_now_ns() - t) / 1e6;
	c->ok = err == 0;
	if (!c->ok) {
		snprintf(c->detail, sizeof(c->detail), "%s", d->bpf.err);
		return;
	}
	d->loaded = true;
	snprintf(c->detail, sizeof(c->detail),
		 "%u programs, %u syscall "
		 "tracepoints, %zu links in %.0f ms%s%s",
		 d->bpf.n_programs, d->bpf.n_sys_attached, d->bpf.n_links,
		 d->load_ms,
		 d->bpf.missing_sys[0] ? "; no tracepoint for: " : "",
		 d->bpf.missing_sys);
	ls_bpf_stop(&d->bpf);
}

static bool all_ok(const struct doctor *d)
{
	for (int i = 0; i < d->n; i++)
		if (d->checks[i].essential && !d->checks[i].ok &&
		    !d->checks[i].skipped)
			return false;
	/* Without the trial load there is no proof that watching works. */
	return d->loaded;
}

static const char *status(const struct check *c)
{
	if (c->skipped)
		return "--";
	if (c->ok)
		return "ok";
	return c->essential ? "FAIL" : "warn";
}

static void print_text(const struct doctor *d, const struct ls_hooks *h)
{
	printf("leakscope %s doctor\n", LEAKSCOPE_VERSION);
	for (int i = 0; i < d->n; i++) {
		const struct check *c = &d->checks[i];

		printf("  %-11s %-4s %s\n", c->name, status(c), c->detail);
		if (c->fix[0])
			printf("  %-11s      fix: %s\n", "", c->fix);
	}
	printf("  hooks (chosen / available here):\n");
	for (int k = 0; k < LS_HOOK_MAX; k++) {
		printf("    %-11s %-17s", ls_hook_name(k),
		       ls_attach_name(h->chosen[k]));
		for (int t = 1; t < LS_ATTACH_MAX; t++)
			if (h->avail[k][t])
				printf(" %s", ls_attach_name(t));
		printf("\n");
	}
	printf("%s\n", all_ok(d) ? "watching works here."
				 : "leakscope cannot watch here: see FAIL "
				   "above.");
}

static void print_json(const struct doctor *d, const struct ls_hooks *h)
{
	struct ls_json j;

	ls_json_init(&j, stdout, true);
	ls_json_begin_object(&j);
	ls_json_kv_bool(&j, "ok", all_ok(d));
	ls_json_key(&j, "checks");
	ls_json_begin_array(&j);
	for (int i = 0; i < d->n; i++) {
		ls_json_begin_object(&j);
		ls_json_kv_string(&j, "name", d->checks[i].name);
		if (d->checks[i].skipped)
			ls_json_kv_null(&j, "ok");
		else
			ls_json_kv_bool(&j, "ok", d->checks[i].ok);
		ls_json_kv_bool(&j, "essential", d->checks[i].essential);
		ls_json_kv_string(&j, "detail", d->checks[i].detail);
		if (d->checks[i].fix[0])
			ls_json_kv_string(&j, "fix", d->checks[i].fix);
		ls_json_end_object(&j);
	}
	ls_json_end_array(&j);
	ls_json_key(&j, "hooks");
	ls_json_begin_object(&j);
	for (int k = 0; k < LS_HOOK_MAX; k++) {
		ls_json_key(&j, ls_hook_name(k));
		ls_json_begin_object(&j);
		ls_json_kv_string(&j, "chosen", ls_attach_name(h->chosen[k]));
		ls_json_key(&j, "available");
		ls_json_begin_array(&j);
		for (int t = 1; t < LS_ATTACH_MAX; t++)
			if (h->avail[k][t])
				ls_json_string(&j, ls_attach_name(t));
		ls_json_end_array(&j);
		ls_json_end_object(&j);
	}
	ls_json_end_object(&j);
	ls_json_kv_double(&j, "load_ms", d->load_ms, 1);
	ls_json_end_object(&j);
	ls_json_finish(&j);
}

int ls_cmd_doctor(const struct ls_opts *o)
{
	struct doctor d = { 0 };
	struct ls_hooks hooks;

	check_kernel(&d);
	check_privileges(&d);
	check_btf(&d);
	check_lockdown(&d);
	check_cgroup2(&d);
	ls_hooks_probe(&hooks, o->level, true);
	check_tracefs(&d, &hooks);
	check_features(&d);
	if (d.checks[1].ok && d.checks[2].ok)
		check_load(&d, o->level);
	else
		skip(&d, "load", "needs privileges and BTF");
	if (o->json)
		print_json(&d, &hooks);
	else
		print_text(&d, &hooks);
	return all_ok(&d) ? LS_EXIT_OK : LS_EXIT_CANNOT_WATCH;
}

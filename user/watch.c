// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - see watch.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "log.h"
#include "stacks.h"
#include "watch.h"
#include "watchdog.h"

/* How often the ring buffer is drained when nothing forces a wakeup. */
#define DRAIN_MS 100

static int ls_group_id(const char *name, gid_t *gid)
{
	struct group *g = getgrnam(name);

	if (!g)
		return -ENOENT;
	*gid = g->gr_gid;
	return 0;
}

uint64_t ls_agent_start_ns;

void ls_watch_started(struct ls_watch *w)
{
	w->report.agent.startup_ms = (ls_now_ns() - ls_agent_start_ns) / 1e6;
}

uint64_t ls_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void ls_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int ls_watch_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	return sigprocmask(SIG_BLOCK, &set, old) ? -errno : 0;
}

/*
 * The report replaces FILE as a whole (written beside it, then renamed),
 * so a reader or a kill mid-write never leaves half a report. A FIFO or a
 * device (/dev/stdout) is written in place instead, opened now. Either
 * way an unwritable place fails now, before the run.
 */
static int open_report(struct ls_watch *w)
{
	const char *path = w->o->report_path;
	struct stat st;
	int fd;

	w->report_fd = -1;
	if (!path || !strcmp(path, "-"))
		return 0;
	snprintf(w->report_tmp, sizeof(w->report_tmp), "%s.leakscope-%d.tmp",
		 path, (int)getpid());
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fd = w->report_fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	} else {
		fd = open(w->report_tmp,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
			  0644);
		if (fd >= 0) {
			close(fd);
			unlink(w->report_tmp);
		}
	}
	if (fd < 0) {
		ls_err("--report %s: cannot write there: %s (choose a "
		       "writable file)",
		       path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int open_event_log(struct ls_watch *w)
{
	const char *path = w->o->events_path;

	if (!path)
		return 0;
	w->events.log = !strcmp(path, "-") ? stdout : fopen(path, "we");
	if (!w->events.log) {
		ls_err("--events %s: cannot write there: %s (choose a "
		       "writable file)",
		       path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* --suppressions FILE, else .leakscope/suppressions if present. */
static int load_suppressions(struct ls_watch *w)
{
	const char *path = w->o->suppressions;
	char err[512];
	int r;

	ls_supp_init(&w->supp);
	r = ls_supp_load(&w->supp, path ? path : LS_SUPP_DEFAULT_PATH, err,
			 sizeof(err));
	if (r == -ENOENT && !path)
		return 0;
	if (r) {
		ls_err("%s", err);
		return -EINVAL;
	}
	ls_info("%zu suppression rules from %s", w->supp.n,
		path ? path : LS_SUPP_DEFAULT_PATH);
	return 0;
}

int ls_watch_prepare(struct ls_watch *w, const struct ls_opts *o,
		     const char *mode)
{
	char why[PATH_MAX + 64];
	int err;

	memset(w, 0, sizeof(*w));
	w->o = o;
	w->sigfd = w->epfd = w->report_fd = -1;
	w->ctl.listen_fd = -1;
	ls_supp_init(&w->supp);
	ls_ledger_init(&w->ledger, w, &w->supp, NULL);
	ls_report_init(&w->report, mode);
	ls_baseline_init(&w->base);
	err = ls_temps_init(&w->temps, o->temp_roots, o->n_temp_roots, why,
			    sizeof(why));
	ls_events_init(&w->events,
		       o->level >= LS_LEVEL_FULL ? &w->temps : NULL);
	if (err) {
		ls_err("%s", why[0] ? why : strerror(-err));
		return -EINVAL;
	}
	w->events.hook = ls_ledger_event;
	w->events.hook_ctx = &w->ledger;
	return open_report(w) ?: open_event_log(w) ?: load_suppressions(w);
}

static int setup_loop(struct ls_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	w->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->sigfd < 0 || w->epfd < 0)
		return -errno;
	ev.data.fd = w->sigfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev))
		return -errno;
	ev.data.fd = ls_bpf_ring_fd(&w->bpf);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return 0;
}

static void record_attach(struct ls_watch *w)
{
	struct ls_report *r = &w->report;

	r->level = w->o->level;
	r->created_at_tick_ms = w->bpf.tick_ns / 1e6;
	for (int k = 0; k < LS_HOOK_MAX; k++)
		if (w->bpf.hooks.chosen[k])
			r->attach[k] = ls_attach_name(w->bpf.hooks.chosen[k]);
	snprintf(r->missing_sys, sizeof(r->missing_sys), "%s",
		 w->bpf.missing_sys);
	for (int k = 0; k < LS_HOOK_MAX; k++)
		ls_info("hook %-10s %s", ls_hook_name(k),
			ls_attach_name(w->bpf.hooks.chosen[k]));
	if (w->bpf.missing_sys[0])
		ls_info("no tracepoint here for: %s", w->bpf.missing_sys);
}

int ls_watch_start(struct ls_watch *w, const char *cgroup)
{
	struct ls_temp_root_key keys[LS_MAX_TEMP_ROOTS];
	struct ls_bpf_config c = {
		.level = w->o->level,
		.ring_bytes = w->o->ring_bytes,
		.temp_roots = keys,
		.n_temp_roots = w->temps.n_roots,
		.temp_ancestors = w->temps.ancestors,
		.n_temp_ancestors = w->temps.n_ancestors,
		.on_event = ls_events_handle,
		.event_ctx = &w->events,
		.flags = (w->events.log ? LS_CFG_STREAM_ALL : 0) |
			 (w->o->test_per_exec ? LS_CFG_TEST_PER_EXEC : 0),
		.agent_tgid = getpid(),
	};

	int err;

	memcpy(c.table_size, w->o->table_size, sizeof(c.table_size));
	snprintf(w->cgroup, sizeof(w->cgroup), "%s", cgroup);
	snprintf(w->report.cgroup, sizeof(w->report.cgroup), "%s", cgroup);
	err = ls_cgroup_id(cgroup, &w->cgid);
	if (err) {
		ls_err("cannot read the id of cgroup %s: %s", cgroup,
		       strerror(-err));
		return err;
	}
	c.cgid = w->report.cgid = w->cgid;
	for (int i = 0; i < w->temps.n_roots; i++)
		keys[i] = w->temps.roots[i].key;
	/* Before attaching: anything that starts later is the watch's. */
	w->t0_ns = w->events.log_origin_ns = ls_now_ns();
	w->report.started = time(NULL);
	err = ls_bpf_start(&w->bpf, &c);
	if (err) {
		ls_err("%s", w->bpf.err);
		return err;
	}
	w->bpf_up = true;
	w->origin_ns = w->events.log_origin_ns = ls_now_ns();
	if (w->o->bpf_stats && (err = ls_bpf_enable_stats(&w->bpf)))
		ls_warn("--bpf-stats: cannot enable BPF statistics: %s",
			strerror(-err));
	if (w->o->level >= LS_LEVEL_STACKS && !(w->sym = ls_sym_new()))
		return -ENOMEM;
	record_attach(w);
	ls_info("watching %s (cgroup id %llu)", cgroup,
		(unsigned long long)w->cgid);
	err = setup_loop(w);
	if (err)
		ls_err("cannot set up the event loop: %s", strerror(-err));
	return err;
}

static void sweep_orphans(struct ls_watch *w)
{
	int err = ls_bpf_sweep_orphans(&w->bpf);

	if (err)
		ls_warn("cannot sweep the records of exited processes' "
			"mappings (%s): a run of many short programs may "
			"fill the object table (see losses; --max-objects)",
			strerror(-err));
}

enum ls_wake ls_watch_wait(struct ls_watch *w, int fd, long timeout_ms,
			   struct signalfd_siginfo *si)
{
	uint64_t deadline = timeout_ms >= 0
				    ? ls_now_ns() + timeout_ms * 1000000ULL
				    : UINT64_MAX;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	enum ls_wake wake = LS_WAKE_ERROR;

	if (fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) &&
	    errno != EEXIST)
		return LS_WAKE_ERROR;
	for (;;) {
		struct epoll_event got[4];
		uint64_t now = ls_now_ns();
		long wait = DRAIN_MS;
		int n;

		if (now >= deadline) {
			wake = LS_WAKE_DEADLINE;
			break;
		}
		if (deadline - now < DRAIN_MS * 1000000ULL)
			wait = (deadline - now) / 1000000 + 1;
		n = epoll_wait(w->epfd, got, 4, wait);
		if (n < 0 && errno != EINTR)
			break;
		ls_bpf_drain(&w->bpf);
		sweep_orphans(w);
		ls_ledger_run_pending(&w->ledger);
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == w->sigfd &&
			    read(w->sigfd, si, sizeof(*si)) == sizeof(*si))
				wake = LS_WAKE_SIGNAL;
			else if (got[i].data.fd == fd && fd >= 0)
				wake = LS_WAKE_FD;
			else if (w->ctl_up)
				ls_control_ready(&w->ctl, got[i].data.fd);
		}
		if (wake == LS_WAKE_SIGNAL || wake == LS_WAKE_FD)
			break;
		wake = LS_WAKE_ERROR;
	}
	if (fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	return wake;
}

/* Peak resident memory in KiB: VmHWM, since getrusage's ru_maxrss keeps
 * the peak of the image exec replaced (a big parent's, say). */
static unsigned long peak_rss_kib(void)
{
	char line[128];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The agent's CPU so far (all its threads; not its children). */
static double own_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void read_agent(struct ls_watch *w)
{
	w->report.agent.max_rss_kib = peak_rss_kib();
	w->report.agent.cpu_ms = own_cpu_ms();
	if (w->bpf.stats_fd >= 0)
		ls_bpf_prog_stats(&w->bpf, &w->report.agent.progs,
				  &w->report.agent.n_progs);
}

static void read_metrics(struct ls_watch *w)
{
	struct ls_metrics *m = &w->report.metrics;
	struct ls_kind_stats *t = &m->kinds[LS_KIND_TEMPFILE];

	ls_bpf_kind_stats(&w->bpf, m->kinds);
	/* Temp files are counted where they are resolved: here. */
	t->created = w->temps.n_created;
	t->released = w->temps.n_removed;
	t->cur = w->temps.n_live;
	t->peak = w->temps.peak_live;
	ls_bpf_event_counts(&w->bpf, m->events);
	ls_bpf_losses(&w->bpf, m->losses);
	memcpy(m->received, w->events.received, sizeof(m->received));
	m->malformed = w->events.malformed;
}

/* Drop the findings a suppression rule names; count them. */
static void suppress(struct ls_watch *w)
{
	struct ls_report *r = &w->report;
	size_t keep = 0;

	for (size_t i = 0; i < r->n_findings; i++) {
		if (w->supp.n && ls_supp_match(&w->supp, &r->findings[i])) {
			ls_report_drop(r, &r->findings[i]);
			r->suppressed++;
			continue;
		}
		r->findings[keep++] = r->findings[i];
	}
	r->n_findings = keep;
	for (size_t t = 0; t < r->n_tests; t++)
		r->suppressed += r->tests[t].suppressed;
}

int ls_watch_serve(struct ls_watch *w, const char *path, const char *run_id)
{
	const char *sudo_uid = getenv("SUDO_UID"),
		   *sudo_gid = getenv("SUDO_GID");
	uid_t uid = sudo_uid ? (uid_t)atoi(sudo_uid) : getuid();
	gid_t gid = sudo_gid ? (gid_t)atoi(sudo_gid) : getgid();
	char why[PATH_MAX + 128];
	int err;

	if (w->o->socket_group && ls_group_id(w->o->socket_group, &gid)) {
		ls_err("--socket-group %s: no such group", w->o->socket_group);
		return -EINVAL;
	}
	err = ls_control_open(&w->ctl, path, run_id, w->cgroup, uid, gid,
			      w->o->socket_group != NULL, why, sizeof(why));
	if (!err)
		err = ls_control_attach(&w->ctl, w->epfd, ls_ledger_request,
					&w->ledger);
	if (err) {
		ls_err("%s", why[0] ? why : strerror(-err));
		return err;
	}
	w->ctl_up = true;
	w->ledger.sock_path = w->ctl.path;
	ls_info("control socket %s", w->ctl.path);
	return 0;
}

int ls_watch_conclude(struct ls_watch *w)
{
	struct ls_leftover_ctx c = {
		.bpf = &w->bpf,
		.events = &w->events,
		.temps = w->o->level >= LS_LEVEL_FULL ? &w->temps : NULL,
		.base = &w->base,
		.cgroup = w->cgroup,
		.t0_ns = w->t0_ns,
		.origin_ns = w->origin_ns,
		.test_name = ls_ledger_test_name,
		.names_ctx = &w->ledger,
	};
	struct ls_snapshot s;
	int err;

	if (w->o->level >= LS_LEVEL_FULL)
		ls_bpf_fd_sync(&w->bpf, 0); /* counts exact for the report */
	ls_bpf_drain(&w->bpf);
	err = ls_snapshot_take(&w->bpf, LS_SNAP_TASKS | LS_SNAP_FILES, 0, false,
			       &s);
	if (err) {
		ls_err("cannot read the final snapshot: %s", strerror(-err));
		return err;
	}
	ls_bpf_drain(&w->bpf);
	w->report.duration_s = (ls_now_ns() - w->origin_ns) / 1e9;
	ls_ledger_run_pending(&w->ledger);
	ls_ledger_end_all(&w->ledger);
	err = ls_leftovers_collect(&c, &s, &w->report);
	ls_snapshot_free(&s);
	ls_stacks_attach(w->sym, &w->bpf, &w->report, 0);
	if (!err)
		err = ls_ledger_conclude(&w->ledger, &w->report);
	suppress(w);
	read_metrics(w);
	read_agent(w);
	if (w->o->level < LS_LEVEL_FULL)
		ls_report_note(&w->report, "level snapshot: temporary files "
					   "are not tracked; use --level full");
	if (err)
		ls_err("cannot build the report: %s", strerror(-err));
	return err;
}

static enum ls_format report_format(const struct ls_opts *o)
{
	const char *p = o->report_path;
	size_t n = p ? strlen(p) : 0;

	if (o->format != LS_FMT_AUTO)
		return o->format;
	return n > 5 && !strcmp(p + n - 5, ".json") ? LS_FMT_JSON : LS_FMT_TEXT;
}

static int write_report_to(struct ls_watch *w, int fd, bool truncate)
{
	FILE *f;
	int err;

	if (fd < 0 || (truncate && ftruncate(fd, 0)))
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	err = ls_report_write(&w->report, f, report_format(w->o));
	if (truncate && fsync(fileno(f)) && !err)
		err = -errno;
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}

static int write_file_report(struct ls_watch *w)
{
	const char *path = w->o->report_path;
	int err;

	if (!path)
		return 0;
	if (!strcmp(path, "-"))
		return ls_report_write(&w->report, stdout, report_format(w->o));
	if (w->report_fd >= 0) /* a FIFO or a device */
		return write_report_to(w, dup(w->report_fd), false);
	err = write_report_to(
		w,
		open(w->report_tmp,
		     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644),
		true);
	if (!err && rename(w->report_tmp, path))
		err = -errno;
	if (err)
		unlink(w->report_tmp);
	return err;
}

/*
 * Until the real report, FILE says the run did not finish: after a kill
 * it must not pass for this run's report (or hold an older run's).
 */
void ls_watch_report_placeholder(struct ls_watch *w)
{
	bool interrupted = w->report.interrupted;
	const char *reason = w->report.interrupt_reason;
	int err;

	if (!w->o->report_path || !strcmp(w->o->report_path, "-") ||
	    w->report_fd >= 0)
		return;
	w->report.interrupted = true;
	w->report.interrupt_reason =
		"leakscope did not finish (still running, or killed)";
	err = write_file_report(w);
	if (err)
		ls_warn("cannot write the report to %s yet: %s",
			w->o->report_path, strerror(-err));
	w->report.interrupted = interrupted;
	w->report.interrupt_reason = reason;
}

int ls_watch_write_reports(struct ls_watch *w)
{
	int err = 0;

	if (!w->o->quiet)
		ls_report_write_text(&w->report, stderr);
	err = write_file_report(w);
	if (err)
		ls_err("cannot write the report to %s: %s", w->o->report_path,
		       strerror(-err));
	if (w->events.log && (w->events.log_err || fflush(w->events.log))) {
		ls_err("cannot write the event log %s: %s", w->o->events_path,
		       strerror(EIO));
		err = err ?: -EIO;
	}
	return err;
}

void ls_watch_close(struct ls_watch *w)
{
	if (w->bpf_up)
		ls_bpf_stop(&w->bpf);
	w->bpf_up = false;
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->report_fd >= 0)
		close(w->report_fd);
	w->sigfd = w->epfd = w->report_fd = -1;
	if (w->ctl_up)
		ls_control_close(&w->ctl);
	w->ctl_up = false;
	ls_ledger_free(&w->ledger);
	if (w->sym)
		ls_sym_free(w->sym);
	w->sym = NULL;
	ls_supp_free(&w->supp);
	if (w->events.log && w->events.log != stdout)
		fclose(w->events.log);
	w->events.log = NULL;
	ls_events_free(&w->events);
	ls_temps_free(&w->temps);
	ls_baseline_free(&w->base);
	ls_report_free(&w->report);
}

void ls_watch_arm_watchdog(struct ls_watch *w, struct ls_watchdog *d,
			   bool own_cgroup)
{
	int err;

	if (own_cgroup)
		snprintf(d->cgroup, sizeof(d->cgroup), "%s", w->cgroup);
	if (w->ctl_up && w->ctl.own_dir) {
		snprintf(d->sock_dir, sizeof(d->sock_dir), "%s", w->ctl.dir);
		snprintf(d->sock_path, sizeof(d->sock_path), "%s", w->ctl.path);
	}
	if (w->report_tmp[0] && w->report_fd < 0)
		snprintf(d->report_tmp, sizeof(d->report_tmp), "%s",
			 w->report_tmp);
	d->keep_processes = w->o->keep_orphans;
	err = ls_watchdog_start(d);
	if (err && own_cgroup)
		ls_warn("cannot start the watchdog (%s): if leakscope is "
			"killed, what CMD started runs on in %s",
			strerror(-err), w->cgroup);
	else if (err)
		ls_warn("cannot start the watchdog (%s): if leakscope is "
			"killed, its socket stays behind",
			strerror(-err));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the report of a watch: what ran, what it left behind
 * (findings), what it did meanwhile (metrics), what was lost, and what
 * cleanup did. Writers (report_text.c, report_json.c) only format it.
 *
 * Owns the model and its memory. Must not: gather data (leftovers.c does)
 * or print.
 */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "leakscope/abi.h"

enum ls_class {
	LS_CLASS_LEAK = 0, /* alive at the end of its test, after the grace */
	LS_CLASS_LATE,	   /* leaked, then freed before the run ended */
	LS_CLASS_ORPHAN,   /* still alive at the end of the run */
	LS_CLASS_ZOMBIE,   /* exited, never reaped */
	LS_CLASS_MAX,
};

struct ls_finding {
	enum ls_kind kind;
	enum ls_class cls;
	char *test; /* NULL: not inside a test */

	/* the holder: process owning the fd/thread, or the process itself */
	int pid, tid, ppid;
	char comm[LS_COMM_LEN];

	/* who created it, and when (seconds into the watch; < 0: unknown) */
	bool has_creator;
	int creator_pid, creator_tid;
	char creator_comm[LS_COMM_LEN];
	double created_at;

	/* fd and socket */
	int fd;
	const char *type; /* file, dir, pipe, socket, eventfd, ... */
	char *path;	  /* fd target, temp path, cgroup path; a
			   * process: the cgroup it moved out to */
	bool inherited;	  /* came from outside the watch (baseline) */

	/* socket */
	const char *family;    /* unix, inet, inet6, netlink, ... */
	const char *sock_type; /* stream, dgram, seqpacket, raw */
	const char *protocol;  /* tcp, udp, ... */
	const char *state;     /* LISTEN, ESTABLISHED, ... */
	char local_addr[64];
	int local_port; /* -1: none */
	char peer_addr[LS_PATH_LEN];
	int peer_port;
	const char *database; /* "postgresql", ... for well-known ports */

	/* process */
	char **argv;
	char inherited_fds[64]; /* fds from outside the watch, e.g. "0,1,2" */
	int threads;		/* thread count, leader included */
	uint64_t rss_bytes;
	int exit_status; /* zombie: wait(2) status */

	/* temp file / mapping / cgroup */
	uint64_t bytes;
	bool is_dir;
	uint64_t cgid;
	uint64_t addr;	   /* mapping start */
	unsigned int prot; /* mapping: 1 read, 2 write, 4 exec */

	/* identity and origin, for verdicts that come later */
	uint64_t cookie; /* fd: the struct file's address */
	int stack_id;	 /* creation stack (level stacks), -1: none */
	char **stack;	 /* symbolized frames, NULL-terminated */
};

struct ls_metrics {
	struct ls_kind_stats kinds[LS_KIND_MAX];
	uint64_t events[LS_EV_MAX];   /* that happened (kernel counts) */
	uint64_t received[LS_EV_MAX]; /* that reached the agent */
	uint64_t losses[LS_LOSS_MAX];
	uint64_t malformed;
};

/* One test of the run, as the report shows it. */
struct ls_report_test {
	char *name;
	uint64_t id;
	const char *outcome; /* passed, failed, skipped, error, or NULL */
	double begin_s;	     /* into the watch */
	double duration_s;
	unsigned int by_class[LS_CLASS_MAX];
	unsigned int suppressed, allowed;
	bool lossy;
	struct ls_test_counts counts;
};

enum ls_exit_kind {
	LS_CHILD_EXITED = 0,
	LS_CHILD_SIGNALED,
	LS_CHILD_NOT_STARTED,
	LS_CHILD_NONE, /* attach: no command */
};

struct ls_report {
	const char *mode; /* "run" or "attach" */
	char run_id[64];
	char **argv; /* run: the command */
	char cgroup[PATH_MAX];
	uint64_t cgid;
	time_t started;	   /* wall clock */
	double duration_s; /* of the watch */
	bool interrupted;
	const char *interrupt_reason;
	enum ls_level level;
	double created_at_tick_ms; /* created_at of fds, maps, threads; 0: ns */
	const char *attach[LS_HOOK_MAX];
	char missing_sys[256];

	enum ls_exit_kind exit_kind;
	int exit_code; /* exited: code; signaled: signal */
	char start_error[256];

	struct ls_finding *findings;
	size_t n_findings, cap_findings;
	unsigned int suppressed;

	struct ls_report_test *tests;
	size_t n_tests;

	struct ls_metrics metrics;

	struct {
		bool attempted;
		bool kept;		 /* --keep-orphans */
		unsigned int terminated; /* got SIGTERM */
		bool killed;		 /* cgroup.kill needed */
		bool cgroup_removed;
		char error[256];
	} cleanup;

	/* leakscope's own cost */
	struct {
		double startup_ms; /* start to CMD's exec (run), to watching */
		double cpu_ms;	   /* the agent's own user + system CPU time */
		uint64_t max_rss_kib;
		struct ls_prog_stat {
			char name[32];
			uint64_t runs, ns;
		} * progs; /* --bpf-stats */
		size_t n_progs;
	} agent;

	char *notes[16]; /* things the reader should know (not findings) */
	int n_notes;
};

void ls_report_init(struct ls_report *r, const char *mode);
void ls_report_free(struct ls_report *r);

/* A zeroed finding appended to @r (NULL on ENOMEM). */
struct ls_finding *ls_report_add(struct ls_report *r, enum ls_kind kind,
				 enum ls_class cls);
void ls_report_note(struct ls_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Findings of @kind and @cls (cls LS_CLASS_MAX: any class). */
size_t ls_report_count(const struct ls_report *r, enum ls_kind kind,
		       enum ls_class cls);
/* Anything left behind that fails a run (every class but late). */
bool ls_report_has_leftovers(const struct ls_report *r);
/* Was confidence lowered by losses? */
bool ls_report_lossy(const struct ls_report *r);

/* Copy a kernel comm (at most LS_COMM_LEN bytes, maybe unterminated). */
void ls_comm_copy(char *dst, const char *src);

const char *ls_kind_name(enum ls_kind kind);
const char *ls_class_name(enum ls_class cls);
const char *ls_loss_name(enum ls_loss loss);
/* The option that makes room against @loss, or NULL if none does. */
const char *ls_loss_remedy(enum ls_loss loss);
const char *ls_event_name(enum ls_event_type type);

enum ls_format;
/* Write the report in @fmt (text or json). Returns 0 or -EIO. */
int ls_report_write(const struct ls_report *r, FILE *f, int fmt);
int ls_report_write_text(const struct ls_report *r, FILE *f);
int ls_report_write_json(const struct ls_report *r, FILE *f);
struct ls_json;
/* One finding as a JSON object (the END reply uses it too). */
void ls_report_json_finding(struct ls_json *j, const struct ls_finding *f);
/* Free what finding @f owns (it stays in place, emptied). */
void ls_report_drop(struct ls_report *r, struct ls_finding *f);
/* Move finding @f (its strings too) to the end of @r; @f is zeroed. */
struct ls_finding *ls_report_take(struct ls_report *r, struct ls_finding *f);

#endif

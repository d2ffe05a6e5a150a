/* SPDX-License-Identifier: GPL-2.0 */
/*
 * suppress.h - suppression rules: which findings are known and must not
 * count. A rule is one line, "KIND FIELD=GLOB...", read from a suppression
 * file (default .leakscope/suppressions, or --suppressions FILE) or sent by
 * a test harness as a per-test allow rule. The format is documented in
 * docs/suppressions.md.
 *
 * Owns: the rule grammar (parsing, quoting, glob validation), the rule list
 * and its memory, and matching a finding against the rules.
 * Must not: print, keep global state, decide what a missing file means (the
 * caller does), or read out of bounds on any input (the parser is a fuzz
 * target).
 */
#ifndef LS_SUPPRESS_H
#define LS_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "report.h"

#define LS_SUPP_DEFAULT_PATH ".leakscope/suppressions"
#define LS_SUPP_MAX_CONDS    16	  /* conditions per rule */
#define LS_SUPP_LINE_MAX     4096 /* bytes per line, line terminator excluded */

/* What a condition looks at (docs/suppressions.md, "Fields"). */
enum ls_supp_field {
	LS_SUPP_PATH = 0, /* fd target, temp path, cgroup path, mapped file */
	LS_SUPP_COMM,	  /* the holder's comm */
	LS_SUPP_TEST,	  /* the test that created it */
	LS_SUPP_ADDR,	  /* socket: "addr:port", "[addr6]:port" or unix path */
	LS_SUPP_ARGV,	  /* process: argv joined with single spaces */
	LS_SUPP_TYPE,	  /* fd type (eventfd, ...), tempfile file/dir/other */
	LS_SUPP_CLASS,	  /* leak, late, orphan, zombie */
	LS_SUPP_DATABASE, /* postgresql, redis, ... */
	LS_SUPP_CREATOR,  /* the creating thread's comm */
	LS_SUPP_FIELD_MAX,
};

struct ls_supp_cond {
	int field;  /* enum ls_supp_field */
	char *glob; /* fnmatch(3) pattern, flags 0; never empty */
};

struct ls_supp_rule {
	int kind; /* enum ls_kind, or -1 for "*" */
	struct ls_supp_cond conds[LS_SUPP_MAX_CONDS];
	int n_conds;
	char *source;	    /* "FILE:LINE", or the caller's source ("ALLOW") */
	unsigned long hits; /* findings it matched (ls_supp_match) */
};

struct ls_suppressions {
	struct ls_supp_rule *rules;
	size_t n, cap;
};

void ls_supp_init(struct ls_suppressions *s);
/* Frees every rule; @s is empty (and initialized) afterwards. */
void ls_supp_free(struct ls_suppressions *s);

/*
 * Parse one rule line (a trailing "\n", "\r\n" or "\r" is ignored) and append
 * the rule, with a copy of @source ("" when NULL) as its source. Returns 0 when
 * a rule was added; 1 for a blank or comment-only line (nothing added); -EINVAL
 * for a malformed line, with a one-line reason in @err (no file/line prefix);
 * -ENOMEM. @s is unchanged on error. @err (may be NULL) is "" on success.
 */
int ls_supp_add_line(struct ls_suppressions *s, const char *line,
		     const char *source, char *err, size_t errlen);

/*
 * Load a suppression file: every rule in it is appended, with source
 * "FILE:LINE". All or nothing: on error no rule of the file is kept, and
 * @err says "FILE:LINE: reason" (or "FILE: reason" when it cannot be opened
 * or read). Returns 0; -ENOENT (and the other open errors) if it cannot be
 * opened, which the caller may ignore for the default file; -EINVAL for a bad
 * line (also a NUL byte in it); -EIO on a read error (a directory, say);
 * -ENOMEM. @err (may be NULL) is "" on success.
 */
int ls_supp_load(struct ls_suppressions *s, const char *path, char *err,
		 size_t errlen);
/* ls_supp_load on an open stream; @name is used in sources and errors. */
int ls_supp_load_stream(struct ls_suppressions *s, FILE *f, const char *name,
			char *err, size_t errlen);

/*
 * Does @f satisfy @r: the kind matches (or the rule says "*") and every
 * condition's glob matches its field? A field the finding does not have
 * (NULL or empty) matches no glob, not even "*".
 */
bool ls_supp_rule_matches(const struct ls_supp_rule *r,
			  const struct ls_finding *f);
/* The first rule, in order of addition, that matches @f (its hits counted
 * up), or NULL. */
struct ls_supp_rule *ls_supp_match(struct ls_suppressions *s,
				   const struct ls_finding *f);

/* "path", "comm", ... ("?" when out of range). */
const char *ls_supp_field_name(int field);

#endif

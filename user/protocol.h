/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protocol.h - requests of the control protocol (docs/protocol.md), parsed
 * from one line: verb, test name, outcome, pid, rule.
 *
 * Owns the grammar and every check on what a client may send (length,
 * UTF-8, control characters, outcome words). Pure: no I/O, no state, so it
 * can be fuzzed. Must not: decide whether a request makes sense now (a
 * nested BEGIN, an END for a test not running): the ledger does.
 */
#ifndef LS_PROTOCOL_H
#define LS_PROTOCOL_H

#include <stddef.h>

#define LS_PROTO_VERSION  1
#define LS_PROTO_MAX_LINE 4096 /* bytes, the final newline included */
#define LS_PROTO_MAX_NAME 1024

enum ls_verb {
	LS_REQ_HELLO = 1,
	LS_REQ_PING,
	LS_REQ_BEGIN,
	LS_REQ_END,
	LS_REQ_ALLOW,
	LS_REQ_FOR,
	LS_REQ_STATUS,
};

enum ls_outcome {
	LS_OUTCOME_NONE = 0,
	LS_OUTCOME_PASSED,
	LS_OUTCOME_FAILED,
	LS_OUTCOME_SKIPPED,
	LS_OUTCOME_ERROR,
};

/*
 * One request. Its strings point into the parsed line and are not
 * NUL-terminated: use them with their length. For ALLOW, @rule's length
 * is in @name_len and @name is NULL.
 */
struct ls_request {
	enum ls_verb verb;
	const char *name;	 /* BEGIN, END; HELLO: client (may be "") */
	size_t name_len;	 /* of @name; ALLOW: of @rule */
	enum ls_outcome outcome; /* END */
	long pid;		 /* FOR: 0 to 0x3fffffff */
	const char *rule;	 /* ALLOW: "<kind> <conditions>" */
};

/*
 * Parse @line (without its '\n'; @len bytes, may contain NUL) into @req,
 * whose strings point into @line. Returns 0, or -EINVAL with the reply's
 * reason ("bad name: ...") in @err.
 */
int ls_proto_parse(const char *line, size_t len, struct ls_request *req,
		   char *err, size_t errlen);

/* Is @s (@len bytes) a valid test name? Else the reason in @err. */
int ls_proto_check_name(const char *s, size_t len, char *err, size_t errlen);

const char *ls_outcome_name(enum ls_outcome o);

#endif

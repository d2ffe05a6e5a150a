/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * client.h - the C client of leakscope's control protocol (docs/protocol.md):
 * what a test harness links to tell leakscope where each test begins and
 * ends, and to get each test's verdict. Usage: docs/client.md.
 *
 * Owns: the public API of libleakscope; nothing else is exported.
 * Must not: depend on anything but libc, print, exit, abort, raise signals,
 * or keep global state (the only process-wide thing read is the
 * environment variable LEAKSCOPE_SOCK, by ls_client_connect(path = NULL)).
 *
 * Conventions
 *
 * - Every int function returns 0 or a negative errno value; nothing sets
 *   errno for the caller to read.
 * - Calls block until leakscope replies (no timeouts; a leakscope that goes
 *   away is seen as -ECONNRESET). Signals do not interrupt a call: EINTR is
 *   retried. SIGPIPE is never raised. The socket is close-on-exec.
 * - Thread-compatible, not thread-safe: a struct ls_client must not be used
 *   by two threads at once (take your own lock, or give each thread its own
 *   connection). Different clients are independent. Note that a test belongs
 *   to a process, not to a thread: threads of one process cannot run
 *   different tests at the same time (the second BEGIN gets -EBUSY).
 * - A connection belongs to the process that opened it (leakscope identifies
 *   it by its peer credentials). In a child forked after ls_client_connect
 *   every call returns -ECHILD; the child may ls_client_close() its copy
 *   (which sends nothing) and connect again.
 *
 * Errors, for every request (ERR <reason> from leakscope, matched on the
 * first words of the reason; the connection stays usable):
 *
 *   reason                    errno
 *   line too long             -E2BIG
 *   empty request             -EINVAL
 *   unknown request           -EOPNOTSUPP
 *   bad name                  -EINVAL
 *   bad outcome               -EINVAL
 *   nested                    -EBUSY
 *   not running               -ENOENT
 *   no test                   -ENOENT
 *   bad pid                   -ESRCH
 *   forbidden                 -EPERM
 *   bad kind, bad glob        -EINVAL
 *   bad rule                  -EINVAL
 *   anything else, or none    -EPROTO
 *
 * and from the client itself:
 *
 *   -EINVAL      a NULL argument, or a name/outcome/rule that leakscope would
 *                reject (checked before anything is sent)
 *   -E2BIG       the request line would exceed LS_CLIENT_LINE_MAX bytes
 *   -EBADMSG     a reply that is neither "OK..." nor "ERR...", contains a NUL
 *                byte, or lacks what the request's reply must carry (END's
 *                "leaks", HELLO's "protocol"); the connection stays usable
 *   -ECONNRESET  leakscope closed the connection (EOF, also in the middle of
 *                a reply line) or reset it
 *   -EMSGSIZE    a reply line longer than LS_CLIENT_REPLY_MAX bytes
 *   -ENOTCONN    an earlier -ECONNRESET, -EMSGSIZE or I/O error broke the
 *                connection; only ls_client_close() is left to do
 *   -ECHILD      called in a process forked after the connection was made
 *   -ENOMEM      out of memory (while reading a reply, it also breaks the
 *                connection)
 *   other        an unexpected socket error, as returned by the kernel;
 *                the connection is broken afterwards
 *
 * ls_client_last_reply() keeps the text of the last reply (or the reason
 * for a client-side failure) either way.
 */
#ifndef LEAKSCOPE_CLIENT_H
#define LEAKSCOPE_CLIENT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LS_CLIENT_PROTOCOL  1		     /* the protocol version spoken */
#define LS_CLIENT_SOCK_ENV  "LEAKSCOPE_SOCK" /* where the socket path is */
#define LS_CLIENT_NAME_MAX  1024	     /* bytes in a test name */
#define LS_CLIENT_LINE_MAX  4096	     /* bytes in a request, with '\n' */
#define LS_CLIENT_REPLY_MAX (16 << 20)	     /* bytes in a reply, with '\n' */

struct ls_client; /* opaque: one connection to leakscope */

/*
 * Connect to the socket at @path, or, when @path is NULL, at
 * $LEAKSCOPE_SOCK, and say HELLO (checking that leakscope speaks protocol
 * LS_CLIENT_PROTOCOL). On success *@out is the new client; on failure it is
 * NULL. Errors:
 *   -ENOENT           @path is NULL and LEAKSCOPE_SOCK is unset or empty:
 *                     nobody watches, run the tests unwatched; or no file at
 *                     the path
 *   -ECONNREFUSED     nobody listens there (leakscope has exited)
 *   -EACCES           not allowed to open the socket (its mode is 0600 or
 *                     0660, see leakscope's --socket-group)
 *   -EPERM            leakscope refused this process: it is neither root nor
 *                     inside the watched cgroup
 *   -EPROTONOSUPPORT  leakscope speaks another protocol version
 *   -ENAMETOOLONG     the path does not fit a Unix socket address
 *   -EINVAL           @out is NULL or @path is ""
 *   and the generic ones above (-ECONNRESET, -EBADMSG, -ENOMEM, ...).
 * After success, ls_client_last_reply() is "leakscope <version> protocol 1".
 * The environment is read with secure_getenv(): a set-user-ID harness is
 * never watched through LEAKSCOPE_SOCK.
 */
int ls_client_connect(const char *path, struct ls_client **out);

/* Close the connection and free @c (NULL is fine). Sends nothing: a test
 * still running stays running until its process exits. */
void ls_client_close(struct ls_client *c);

/*
 * FOR <pid>: the following requests on this connection act for process
 * @pid, which must be in the watched cgroup and be this process or one of
 * its ancestors; 0 goes back to this process. -EINVAL for a negative @pid;
 * -ESRCH (bad pid) or -EPERM (forbidden) from leakscope.
 */
int ls_client_act_for(struct ls_client *c, pid_t pid);

/*
 * BEGIN <name>: the acting process and every process it forks from now on
 * run test @name. When this returns 0, the kernel knows: nothing the test
 * creates afterwards is missed. ls_client_last_reply() is "test=<id>".
 * -EINVAL for a bad name (see ls_client_check_name), -EBUSY when the acting
 * process already runs a test.
 */
int ls_client_begin(struct ls_client *c, const char *name);

/*
 * END <name> [<outcome>]: test @name is over; leakscope settles its verdict
 * (re-checking survivors for up to its --grace) before it replies.
 * @outcome is "passed", "failed", "skipped", "error", or NULL for none. A
 * name whose last word (after its last space, or the whole name) is one of
 * those four words needs an outcome (-EINVAL without one: leakscope would
 * read that word as the outcome). On success *@leaks (if @leaks is
 * not NULL) is the verdict's "leaks" count, and ls_client_last_reply() is the
 * verdict, a JSON object (docs/protocol.md, "The verdict at END"). -ENOENT when
 * the acting process does not run test @name; -EBADMSG when the reply has no
 * "leaks" (the test is over all the same).
 */
int ls_client_end(struct ls_client *c, const char *name, const char *outcome,
		  int *leaks);

/*
 * ALLOW <rule>: the acting process's current test may leak what @rule
 * matches. @rule is one suppression rule, "KIND FIELD=GLOB..." (the
 * suppression file's syntax, docs/suppressions.md), sent as it is: UTF-8,
 * no control characters, not empty. -ENOENT when no test is running,
 * -EINVAL for a rule leakscope cannot parse, -E2BIG for one too long for a
 * request line.
 */
int ls_client_allow(struct ls_client *c, const char *rule);

/* PING: is leakscope still there? 0, or why not. */
int ls_client_ping(struct ls_client *c);

/* STATUS: on success ls_client_last_reply() is
 * {"tests_running": n, "tests_done": n, "protocol": 1}. */
int ls_client_status(struct ls_client *c);

/*
 * Send one raw request @line (without its '\n'; UTF-8, no control
 * characters, 1 to LS_CLIENT_LINE_MAX - 1 bytes) and wait for its reply:
 * for requests this API does not wrap. Returns 0 for OK, the table's errno
 * for ERR.
 */
int ls_client_request(struct ls_client *c, const char *line);

/*
 * The text of the last reply, without its "OK " or "ERR " (so "" for a bare
 * "OK"); after a failure without a usable reply, a short description of it
 * in the same style ("bad name: control character", "connection closed by
 * leakscope"). Never NULL ("" for a NULL @c); valid until the next call on
 * @c.
 */
const char *ls_client_last_reply(const struct ls_client *c);

/*
 * Is @name a valid test name: UTF-8, no control characters (bytes below
 * 0x20, 0x7f), 1 to LS_CLIENT_NAME_MAX bytes? 0 or -EINVAL. Spaces are
 * fine, and kept as they are (leading and trailing ones too).
 */
int ls_client_check_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif

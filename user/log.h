/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - messages to the user, on stderr, prefixed "leakscope: ".
 *
 * Owns the verbosity level. The rule it serves: an error is reported once,
 * by the code that knows what the user should do about it; everything below
 * returns a negative errno and stays quiet.
 */
#ifndef LS_LOG_H
#define LS_LOG_H

#include <stdarg.h>

extern int ls_verbosity; /* 0 normal, 1 --verbose, 2 -vv (libbpf too) */

void ls_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ls_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with --verbose. */
void ls_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ls_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

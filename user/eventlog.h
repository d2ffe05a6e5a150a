/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eventlog.h - `--events FILE`: every lifecycle event the kernel streams,
 * one compact JSON object per line, in the order the ring buffer gave them.
 *
 * Owns the line format (documented in docs/report-schema.md). Must not:
 * interpret events (events.c does); it only writes what it is given.
 */
#ifndef LS_EVENTLOG_H
#define LS_EVENTLOG_H

#include <stdint.h>
#include <stdio.h>

/* Write one validated ring-buffer record as a JSON line. @origin_ns is
 * "+0s" (CLOCK_MONOTONIC). Returns 0 or -EIO. */
int ls_eventlog_write(FILE *f, const void *rec, uint64_t origin_ns);

#endif

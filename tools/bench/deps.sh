#!/usr/bin/env bash
# deps.sh - install what `make bench` compares leakscope with, and its
# realistic load, only if missing (tools/deps.sh does the work).
# The peers (strace, valgrind, bpftrace), hyperfine for ad-hoc timing (not
# used by bench.py), and the realistic load (python3 -m test ...).
set -euo pipefail
exec "$(dirname "$0")/../deps.sh" --as "bench deps" \
	strace valgrind bpftrace \
	hyperfine \
	libpython3.11-testsuite

#!/bin/sh
# suite.sh - a tiny "test suite" with deliberate leftovers, for `make demo`.
#
# Five tests; three of them leave something behind, the way real test
# suites do by accident: a daemon that outlives its test, a temporary file
# nobody removes, a child cgroup nobody removes. leakscope should name
# exactly those, and nothing from the two clean tests.
set -u
tmp=${TMPDIR:-/tmp}

echo "test_clean_files ... ok"
f=$(mktemp "$tmp/demo-clean.XXXXXX")
echo data >"$f"
rm -f "$f"

echo "test_starts_a_server ... ok"
# Forgets to stop its server: a daemonized child keeps running.
sh -c 'exec sleep 300' </dev/null >/dev/null 2>&1 &

echo "test_writes_a_report ... ok"
# Forgets to clean up its temporary file.
echo "partial results" >"$tmp/demo-leftover-$$.txt"

echo "test_sandbox_cgroup ... ok"
# Makes a child cgroup for a sandbox and forgets to remove it.
cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
mkdir "$mnt$cg/demo-sandbox"

echo "test_clean_processes ... ok"
sleep 0.1 &
wait $!

echo "5 passed"

#!/bin/sh
# run.sh - `make demo`: run the demo suite under leakscope and show the
# report. Needs root (BPF); says so otherwise.
set -u
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root to load BPF programs: run it as root (sudo make demo)" >&2
	exit 1
fi
echo "== leakscope run -- tools/demo/suite.sh"
"$BUILD/leakscope" run --report "$BUILD/demo-report.json" -- "$here/suite.sh"
rc=$?
echo "== exit code $rc; the JSON report is in $BUILD/demo-report.json"
rm -f "${TMPDIR:-/tmp}"/demo-leftover-*.txt
exit $rc

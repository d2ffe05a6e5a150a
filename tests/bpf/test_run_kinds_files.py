"""`leakscope run` against real workloads: memory mappings, temporary files
and child cgroups.

Covers: a "clean" workload (no findings, and the metrics prove that tracing
saw the activity) for each, and "leak" workloads (exactly the expected
findings, compared as a multiset, with their details) for temp files and
cgroups; the temp roots (/var/tmp, a directory outside them, --temp-root,
$TMPDIR); a daemon in a nested cgroup.

Every run must also exit 0, lose nothing, remove its cgroup and leave no
process behind (lsworkload.py). Workloads: tests/bpf/workloads/workload.c;
they print KEY=VALUE facts.
"""

import os
import shutil
import subprocess

import pytest

from lstest import BUILD, REPO
from lsworkload import (WORKLOAD, assert_creator, assert_findings,
                        assert_metric, assert_no_findings, assert_run_ok,
                        check_temp_leak, daemon_process, facts, metric,
                        num, of_kind, one, run_workload)

# -------------------------------------------------------------- mappings


def test_mmap_clean(run_ls):
    n = 200
    res = run_workload(run_ls, ["mmap-clean", str(n)])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "MAPS")
    assert made > n, made
    assert_metric(report, "mapping", "created", ">=", made)
    assert_metric(report, "mapping", "released", "==",
                  metric(report, "mapping")["created"])
    assert_metric(report, "mapping", "alive", "==", 0)
    # Each region is unmapped before the next: a missed munmap piles up.
    assert_metric(report, "mapping", "peak", "<=", 32)
    assert_metric(report, "mapping", "heap_bytes_peak", ">=", 16 * 4096)


# ------------------------------------------------------------ temp files


def test_temp_clean(run_ls):
    res = run_workload(run_ls, ["temp-clean"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "TEMP_CREATED")
    assert made >= 20, made
    assert_metric(report, "tempfile", "created", "==", made)
    assert_metric(report, "tempfile", "released", "==", made)
    assert_metric(report, "tempfile", "alive", "==", 0)


def test_temp_leak(run_ls, existing_temp_file):
    res = run_workload(run_ls, ["temp-leak", existing_temp_file])
    check_temp_leak(res, existing_temp_file)
    assert one(facts(res.stdout), "TMPFILE") in ("0", "1")


TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")


def _under_temp_root(path):
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r + "/")
               for r in map(os.path.realpath, TEMP_ROOTS))


@pytest.fixture
def outside_dir():
    """A directory outside every default temp root."""
    for base in (os.path.join(BUILD, "tests"), REPO, "/root", "/var/lib"):
        if os.path.isdir(base) and not _under_temp_root(base) and \
                os.access(base, os.W_OK):
            break
    else:
        pytest.fail("no writable directory outside the temp roots")
    path = os.path.join(base, f"lsw-root-{os.getpid()}")
    os.makedirs(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def temp_in_findings(fs):
    return [("tempfile", "orphan", one(fs, "LEFT_FILE"), "file", 4),
            ("tempfile", "orphan", one(fs, "LEFT_DIR"), "dir", 0)]


def test_temp_in_var_tmp(run_ls):
    res = run_workload(run_ls, ["temp-in", "/var/tmp"])
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


def test_temp_outside_roots_is_not_tracked(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       env={"TMPDIR": ""})
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "tempfile", "created", "==", 0)


def test_temp_root_option(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       extra=["--temp-root", outside_dir])
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


def test_temp_root_from_tmpdir(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       env={"TMPDIR": outside_dir})
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


# --------------------------------------------------------------- cgroups


def test_cgroup_clean(run_ls):
    res = run_workload(run_ls, ["cgroup-clean"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    assert one(fs, "CGROUP").startswith(report["cgroup"] + "/")
    assert_metric(report, "cgroup", "created", "==", 1)
    assert_metric(report, "cgroup", "released", "==", 1)
    assert_metric(report, "cgroup", "alive", "==", 0)


def check_cgroup_finding(report, fs, creator):
    path = one(fs, "CGROUP")
    assert path == report["cgroup"] + "/lsw-child", (path, report["cgroup"])
    [f] = of_kind(report, "cgroup")
    assert f["path"].endswith("/lsw-child"), f
    assert f["pid"] == creator == num(fs, "CREATOR"), f
    assert_creator(report, f, creator)
    return ("cgroup", "orphan", path, num(fs, "CGROUP_ID"))


def test_cgroup_leak(run_ls):
    res = run_workload(run_ls, ["cgroup-leak"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_findings(report, [check_cgroup_finding(report, fs,
                                                  num(fs, "CREATOR"))])
    assert_metric(report, "cgroup", "created", "==", 1)
    assert_metric(report, "cgroup", "alive", "==", 1)


def test_cgroup_with_a_daemon_inside(run_ls):
    """A daemon in a child cgroup of the run: still watched, reported, and
    killed; both cgroups are removed."""
    res = run_workload(run_ls, ["cgroup-daemon"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    assert_findings(report, [
        daemon_process(report, fs, [WORKLOAD, "cgroup-daemon"]),
        check_cgroup_finding(report, fs, d),
    ])


# ---------------------------------------------------- long temp paths

# CMD: makes DEPTH nested directories below argv[1], each named "dNN" and
# argv[3] x's, each with mkdir(2) relative to the one before (chdir), and
# leaves a file in the deepest; prints its path. argv: the top directory,
# the depth, the x's.
LONG_PATH = r"""
import os, sys
os.chdir(sys.argv[1])
path = os.getcwd()
for i in range(int(sys.argv[2])):
    name = "d%02d" % i + "x" * int(sys.argv[3])
    os.mkdir(name)
    os.chdir(name)
    path += "/" + name  # getcwd fails past PATH_MAX
open("left-behind", "w").close()
print("FILE=" + path + "/left-behind", flush=True)
"""


@pytest.mark.parametrize("depth,xs,fits,min_lost", [
    (12, 57, True, 0),       # ~750 bytes below the root
    (20, 57, False, 1),      # ~1230 bytes: does not fit
    (150, 0, True, 0),       # 150 levels, ~700 bytes: deep, but fits
    (1100, 0, False, 800),   # past the walk's 1024 steps
])
def test_temp_long_path(run_ls, tmp_path, depth, xs, fits, min_lost):
    """A temp file whose path fits (up to 1023 bytes below its root, at
    any depth: the kernel's walk has steps enough) is reported with its
    whole path and nothing lost. One that does not fit, or whose walk runs
    out before it knows whether a root is above, is counted as
    path_truncated and lowers the confidence: never cut or dropped
    silently. 1100 levels deep, every mkdir past the first ~220 (1023
    bytes of 4-5 byte names) is counted, found or not."""
    res = run_ls([], ["/usr/bin/python3", "-c", LONG_PATH, str(tmp_path),
                      str(depth), str(xs)])
    top = os.path.join(str(tmp_path), "d00" + "x" * xs)
    try:
        path = one(facts(res.stdout), "FILE")
        assert (len(os.path.relpath(path, "/tmp")) < 1024) == fits, path
        if fits:
            assert_run_ok(res)
            files = [f["path"] for f in of_kind(res.report, "tempfile")
                     if f["type"] == "file"]
            assert files == [path], files
        else:
            assert res.rc == 0, res.stderr
            losses = res.report["losses"]
            assert losses["path_truncated"] >= min_lost, losses
            assert losses["confidence"] == "reduced", losses
    finally:
        # Deeper than python's recursion limit: rm walks it iteratively.
        subprocess.run(["rm", "-rf", top], check=True)


# CMD: makes directories a and b below argv[1], a file in a, and moves it
# into b with renameat(2) on two directory fds (relative names).
RENAME_AT = r"""
import os, sys
a, b = (os.path.join(sys.argv[1], n) for n in ("a", "b"))
os.mkdir(a)
os.mkdir(b)
fa = os.open(a, os.O_RDONLY | os.O_DIRECTORY)
fb = os.open(b, os.O_RDONLY | os.O_DIRECTORY)
with open(os.path.join(a, "made"), "w") as f:
    f.write("xyz")
os.rename("made", "moved", src_dir_fd=fa, dst_dir_fd=fb)
print("LEFT_A=" + a)
print("LEFT_B=" + b)
print("LEFT_FILE=" + os.path.join(b, "moved"), flush=True)
"""


def test_rename_between_directory_fds(run_ls, tmp_path):
    """renameat with a directory fd on each side: the file is reported
    where it went (a mix-up of the two sides would look for it in a)."""
    res = run_ls([], ["/usr/bin/python3", "-c", RENAME_AT, str(tmp_path)])
    assert_run_ok(res)
    fs = facts(res.stdout)
    assert_findings(res.report, [
        ("tempfile", "orphan", one(fs, "LEFT_A"), "dir", 0),
        ("tempfile", "orphan", one(fs, "LEFT_B"), "dir", 3),  # holds it
        ("tempfile", "orphan", one(fs, "LEFT_FILE"), "file", 3),
    ])

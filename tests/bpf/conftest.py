"""Shared setup of the BPF tests (tests/bpf): real workloads under a real
`leakscope run`, with BPF programs loaded into this kernel.

Covers: where the binaries are ($BUILD, default "build", relative to the
repository root); the root gate (skip without root, but fail under CI=true;
fail if `leakscope doctor` says this machine cannot watch); `run_ls()`, which
runs `leakscope run --report <tmp>/rN.json --format json -q` and hands back
(exit code, parsed report, CMD's stdout, stderr); the removal of the lsw-*
files the workloads leave in the temp roots on purpose; a temp file made
before the run (`existing_temp_file`); for the marked tests, the C harness,
the removal of its lsh-* files and a fresh cgroup to attach to
(`attach_cgroup`). The suites' helper modules next to tests/lstest.py
(lsworkload.py, lsmarked.py) get pytest's assert rewriting.
"""

import collections
import glob
import itertools
import json
import os
import shutil
import signal
import subprocess
import time

import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Before any test module imports them: their asserts explain themselves too.
pytest.register_assert_rewrite("lsmarked", "lsworkload")
from lstest import (BUILD, LEAKSCOPE, REPO, cgroup2_mount,  # noqa: E402
                    require_watch)

WORKLOAD = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                         "workload"))

# Where the workloads leave their lsw-* objects.
TEMP_GLOBS = ("/tmp/lsw-*", "/var/tmp/lsw-*", "/dev/shm/lsw-*")

LsRun = collections.namedtuple("LsRun", "rc report stdout stderr")


@pytest.fixture(scope="session", autouse=True)
def leakscope_ready():
    """Root, built binaries and a machine that `leakscope doctor` accepts."""
    require_watch()
    if not os.access(WORKLOAD, os.X_OK):
        pytest.fail(f"{WORKLOAD} is missing: build it first (make)",
                    pytrace=False)


def _temp_entries():
    return {p for g in TEMP_GLOBS for p in glob.glob(g)}


@pytest.fixture(autouse=True)
def remove_lsw_leftovers():
    """Remove what a test's workloads left in the temp roots (on purpose:
    leakscope reports temp files, it does not delete them by default)."""
    before = _temp_entries()
    yield
    for path in sorted(_temp_entries() - before, reverse=True):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


@pytest.fixture
def run_ls(tmp_path):
    """run_ls(args, cmd, timeout=60, env=None) -> LsRun(rc, report, stdout,
    stderr): `leakscope run ARGS -- CMD` with a JSON report in tmp_path.
    CMD's stdout goes to a file (never a pipe, which a leftover daemon
    could hold open); env entries are added to the environment."""
    counter = itertools.count()

    def run(args, cmd, timeout=60, env=None):
        n = next(counter)
        report = tmp_path / f"r{n}.json"
        out_path = tmp_path / f"out{n}.txt"
        err_path = tmp_path / f"err{n}.txt"
        full_env = dict(os.environ)
        full_env.update(env or {})
        argv = [LEAKSCOPE, "run", "--report", str(report), "--format",
                "json", "-q", *args, "--", *cmd]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=err, env=full_env, timeout=timeout)
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
        text = report.read_text() if report.exists() else ""
        parsed = json.loads(text) if text.strip() else None
        return LsRun(proc.returncode, parsed, stdout, stderr)

    return run


@pytest.fixture
def existing_temp_file():
    """A file in /tmp made before the run: opening it with O_CREAT during
    the run does not create it."""
    path = f"/tmp/lsw-pre-{os.getpid()}"
    with open(path, "w") as f:
        f.write("before")
    yield path
    if os.path.exists(path):
        os.unlink(path)


# ----------------------------------------- marked tests (test_tests_*.py,
# test_pytest_plugin.py): the C harness and what it leaves on purpose.

HARNESS = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                        "harness"))

# Where the harness, the shell harnesses and the pytest suite leave their
# lsh-* temp files (on purpose, like the workloads' lsw-* ones).
LSH_GLOBS = ("/tmp/lsh-*",)


@pytest.fixture
def harness():
    """The path of the C test harness (tests/bpf/workloads/harness.c)."""
    if not os.access(HARNESS, os.X_OK):
        pytest.fail(f"{HARNESS} is missing: build it first (make)",
                    pytrace=False)
    return HARNESS


@pytest.fixture(autouse=True)
def remove_lsh_leftovers():
    """Remove the lsh-* temp files a test's harness left behind."""
    before = {p for g in LSH_GLOBS for p in glob.glob(g)}
    yield
    after = {p for g in LSH_GLOBS for p in glob.glob(g)}
    for path in sorted(after - before, reverse=True):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


# -------------------------------- attach (test_tests_*.py): a fresh cgroup

_cg_counter = itertools.count()


def _cgroup_pids(path):
    pids = []
    for d, _, files in os.walk(path):
        if "cgroup.procs" in files:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids += [int(x) for x in f.read().split()]
    return pids


def _remove_cgroup(path):
    if not os.path.isdir(path):
        return
    kill = os.path.join(path, "cgroup.kill")
    if os.path.exists(kill):
        with open(kill, "w") as f:
            f.write("1")
    else:
        for pid in _cgroup_pids(path):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while _cgroup_pids(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    for d, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
        try:
            os.rmdir(d)
        except OSError:
            pass


@pytest.fixture
def attach_cgroup():
    """A fresh cgroup v2 directory; everything in it is killed and it is
    removed afterwards (attach never kills or removes anything)."""
    mnt = cgroup2_mount()
    assert mnt, "no cgroup2 mount"
    path = os.path.join(mnt, f"lsh-attach-{os.getpid()}-{next(_cg_counter)}")
    os.mkdir(path)
    try:
        yield path
    finally:
        _remove_cgroup(path)
    assert not os.path.exists(path), f"cannot remove {path}"

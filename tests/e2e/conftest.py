"""Shared fixtures for the end-to-end tests: the built binary, root
handling, and helpers that run leakscope and read its JSON report.

Tests that need root (to load BPF) skip for a user without root, saying
why; under CI=true they fail instead, because CI must run them.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
BUILD_DIR = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
LEAKSCOPE = os.path.join(BUILD_DIR, "leakscope")


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    return None


@pytest.fixture(scope="session")
def leakscope():
    if not os.access(LEAKSCOPE, os.X_OK):
        pytest.fail("%s is missing: run make first" % LEAKSCOPE)
    return LEAKSCOPE


@pytest.fixture(scope="session")
def root_bpf(leakscope):
    """Root and a kernel where leakscope can watch; else skip or fail."""
    if os.geteuid() != 0:
        msg = ("needs root to load BPF programs; run as root "
               "(sudo make check)")
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but not root: " + msg)
        pytest.skip(msg)
    doc = subprocess.run([leakscope, "doctor"], capture_output=True,
                         text=True, timeout=60)
    if doc.returncode != 0:
        pytest.fail("leakscope doctor says this kernel cannot be "
                    "watched:\n" + doc.stdout + doc.stderr)
    return leakscope


def run(args, timeout=60, **kw):
    """Run leakscope with @args; CompletedProcess with text output."""
    return subprocess.run([LEAKSCOPE] + args, capture_output=True,
                          text=True, timeout=timeout, **kw)


def run_json(tmp_path, args, cmd, timeout=60, **kw):
    """`leakscope <args> --report R --format json -q -- cmd`: (proc, report)."""
    report = tmp_path / "report.json"
    sub = args[0]
    proc = run([sub] + args[1:] + ["--report", str(report), "--format",
                                    "json", "-q"] + (["--"] + cmd if cmd else []),
               timeout=timeout, **kw)
    data = None
    if report.exists() and report.stat().st_size:
        data = json.loads(report.read_text())
    return proc, data


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False

"""Helpers shared by the pytest suites (tests/bpf, tests/e2e): where the
built binaries are, the root gate, and the BPF objects a process holds.

The gate: without root, tests that load BPF skip and say why; under
CI=true they fail instead (CI must run them); with root, a machine that
`leakscope doctor` rejects fails them with doctor's own explanation.
"""
import glob
import json
import os
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_build = os.environ.get("BUILD", "build")
BUILD = _build if os.path.isabs(_build) else os.path.join(REPO, _build)
LEAKSCOPE = os.path.join(BUILD, "leakscope")
BPF_KINDS = ("prog", "link", "map")
# The report's loss counters (docs/report-schema.md): all 0 in a clean run.
LOSS_KEYS = ("ringbuf_full", "object_table_full", "process_table_full",
             "cgroup_table_full", "path_truncated", "origin_table_full",
             "thread_table_full", "stack_table_full", "malformed_records")
ROOT_MSG = "needs root to load BPF programs; run as root (sudo make check)"


def require_watch():
    """Skip, or fail under CI, unless this process can watch."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(ROOT_MSG + " (CI=true: these tests must not be "
                        "skipped under CI)", pytrace=False)
        pytest.skip(ROOT_MSG)
    if not os.access(LEAKSCOPE, os.X_OK):
        pytest.fail("%s is missing: build it first (make)" % LEAKSCOPE,
                    pytrace=False)
    doc = subprocess.run([LEAKSCOPE, "doctor"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=120)
    if doc.returncode != 0:
        pytest.fail("`leakscope doctor` exited %d: this machine cannot run "
                    "the BPF tests\n%s%s" % (doc.returncode, doc.stdout,
                                             doc.stderr), pytrace=False)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    return None


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


def held_ids(pid):
    """{"prog"|"link"|"map": ids} of the BPF objects @pid holds fds of."""
    out = {k: set() for k in BPF_KINDS}
    for f in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(f) as fh:
                text = fh.read()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, val = line.partition(":")
            if key in ("prog_id", "link_id", "map_id"):
                out[key[:-3]].add(int(val))
    return out


def held_map(pid, name):
    """The id of the BPF map called @name that @pid holds, or None."""
    for map_id in sorted(held_ids(pid)["map"]):
        p = subprocess.run(["bpftool", "-j", "map", "show", "id",
                            str(map_id)], capture_output=True, text=True,
                           timeout=30)
        if p.returncode == 0 and json.loads(p.stdout).get("name") == name:
            return map_id
    return None


def map_entries(map_id):
    """{key: value} of BPF map @map_id, as bpftool formats them from BTF."""
    p = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(map_id)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"bpftool map dump id {map_id}: {p.stderr}"
    out = {}
    for e in json.loads(p.stdout or "[]"):
        f = e.get("formatted", e)
        out[f["key"]] = f["value"]
    return out


def poll_until(pred, timeout, step=0.02):
    """pred() until truthy or @timeout: its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)

"""Smoke test of the benchmark driver (tools/bench/bench.py): a quick run
of one workload writes JSON of the expected shape. The numbers themselves
are not checked: benchmarks are measurements, not timed assertions (that
is `make bench`). Needs root (BPF); skips without it, fails under CI=true.
"""
import json
import os
import subprocess
import sys

import pytest

from lstest import BUILD, REPO

sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
from analysis import QUIET_MIN_BLOCKS  # noqa: E402

pytestmark = pytest.mark.usefixtures("root_bpf")

WORKLOAD = os.path.join(BUILD, "bench", "workload")
LEVELS = {"leakscope snapshot", "leakscope full (default)", "leakscope stacks"}
PEERS = {"strace", "bpftrace", "valgrind"}


@pytest.fixture(scope="module")
def workload():
    # Not built by `make all`; one compile.
    p = subprocess.run(["make", "--no-print-directory", "-C", REPO,
                        "BUILD=" + BUILD, WORKLOAD,
                        os.path.join(BUILD, "bench", "floor")], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return WORKLOAD


def test_quick_open(tmp_path, workload):
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "bench", "bench.py"),
                        "--quick", "--only", "open", "--json", str(out)],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, BUILD=BUILD))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "workload | tool" in p.stdout
    assert "bench: targets met" in p.stdout
    doc = json.loads(out.read_text())
    assert doc["schema"] == "leakscope.bench/1"
    assert doc["options"] == {"reps": 2, "cost_reps": 1, "quick": True,
                              "only": ["open"]}
    assert doc["errors"] == []
    assert doc["correctness"] is None  # tests not selected
    assert list(doc["workloads"]) == ["open"]
    assert 0 <= doc["untraced_spread"]["open"]

    rows = {r["tool"]: r for r in doc["results"]}
    assert set(rows) == {"untraced", "floor"} | LEVELS | PEERS
    for tool in {"untraced", "floor"} | LEVELS:
        r = rows[tool]
        assert r["workload"] == "open" and r["n_samples"] == 2, r
        assert 0 < r["min_ns"] <= r["median_ns"] <= r["max_ns"], r
    for tool in LEVELS | {"floor"}:
        assert rows[tool]["ratio"] > 0 and rows[tool]["mean_ratio"] > 0
    for tool in {"untraced", "floor"} | LEVELS:  # every block was probed
        r = rows[tool]
        assert r["blocks"] > 0 and 0 <= r["quiet_blocks"] <= r["blocks"], r
        assert (r["quiet_ns"] is None) == (r["quiet_blocks"] < QUIET_MIN_BLOCKS), r
    assert rows["leakscope full (default)"]["target"] == 1.25
    assert rows["leakscope full (default)"]["verdict"] in ("PASS", "FAIL")
    assert rows["leakscope snapshot"]["target"] == 1.03
    for tool in PEERS:  # measured, or n/a with the reason
        r = rows[tool]
        assert r["n_samples"] == 2 or r["note"], r

    # The BPF statistics pass: the floor's no-op runs once per traced
    # syscall, leakscope's program too at full, none at snapshot.
    assert "BPF programs' own time per operation" in p.stdout
    cost = {r["tool"]: r for r in doc["bpf_cost"]["rows"]}
    assert {"floor"} | LEVELS - {"leakscope stacks"} <= set(cost), cost
    assert 1 <= cost["floor"]["runs_per_op"] < 1.5, cost["floor"]
    assert 20 < cost["floor"]["stats_ns_per_run"] < 1000, cost["floor"]
    assert cost["floor"]["net_ns_per_op"] == 0
    full = cost["leakscope full (default)"]
    assert abs(full["runs_per_op"] - cost["floor"]["runs_per_op"]) < 0.2, full
    assert full["net_ns_per_op"] > 0 and 0 < full["net_share"] < 1, full
    assert cost["leakscope snapshot"]["runs_per_op"] < 0.01, cost
    assert all(s["error"] is None for s in doc["bpf_cost"]["samples"]), \
        doc["bpf_cost"]["samples"]

    samples = doc["samples"]
    assert {(s["tool"], s["rep"]) for s in samples} >= {
        (t, rep) for t in {"untraced", "floor"} | LEVELS for rep in (0, 1)}
    for s in samples:
        assert s["workload"] == "open" and s["error"] is None, s
        assert s["ns_per_op"] > 0 and s["n"] > 0 and s["cmd"]
        if s["tool"] in LEVELS:
            assert s["agent"]["startup_ms"] > 0
            assert s["agent"]["max_rss_kib"] > 0
            assert s["report"]["level"] in ("full", "snapshot")


def run_workload(*args):
    p = subprocess.run([WORKLOAD] + list(args), capture_output=True, text=True,
                       timeout=60)
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    return p.returncode, dict(kv.split("=", 1) for kv in line.split()), p


def test_loop_reports_its_median_block(workload):
    rc, out, p = run_workload("open", "20000")
    assert rc == 0, p.stderr
    assert int(out["ops"]) == 20000 and int(out["blocks"]) >= 1
    lo, mid, hi = (float(out[k]) for k in ("block_min_ns", "ns_per_op", "block_max_ns"))
    assert 0 < lo <= mid <= hi
    assert float(out["mean_ns"]) > 0
    # each block's time per op, in the order run, and the core probe after it
    blocks = [float(x) for x in out["block_ns"].split(",")]
    probes = [float(x) for x in out["probe_ns"].split(",")]
    assert len(blocks) == len(probes) == int(out["blocks"])
    assert sorted(blocks)[len(blocks) // 2] == pytest.approx(mid, abs=0.05)
    assert min(blocks) == pytest.approx(lo, abs=0.05)
    assert all(p > 0 for p in probes)


def test_parts_times_each_part_and_sums_them(workload):
    rc, out, p = run_workload("parts", "sleep", "--", "0.2", "0.05")
    assert rc == 0, p.stderr
    a, b = int(out["part_0.2"]), int(out["part_0.05"])
    assert a >= 200e6 and b >= 50e6
    assert int(out["ns_per_op"]) == a + b and out["ops"] == "2"


def test_parts_passes_on_a_failing_part(workload):
    rc, out, _ = run_workload("parts", "sh", "-c", "exit $0", "--", "0", "3", "4")
    assert rc == 3
    assert set(out) >= {"part_0", "part_3", "part_4", "ns_per_op"}
    assert run_workload("parts", "true")[0] == 2  # no parts: usage

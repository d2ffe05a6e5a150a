"""The BPF statistics pass of the benchmark (tools/bench/bpfcost.py) on
made-up counts: which programs count as a tool's, and what is taken off
for the statistics' own timing. No BPF, no root."""
import os
import sys

from lstest import REPO

sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
import bpfcost  # noqa: E402


def sample(workload, tool, n, runs, ns, error=None):
    return {"workload": workload, "tool": tool, "rep": 0, "n": n, "runs": runs,
            "run_time_ns": ns, "ns_per_op_timed": 3000.0, "error": error}


def test_only_programs_loaded_after_the_start_count():
    before = {1: ("other", 100, 5000)}
    t0 = {1: ("other", 150, 7000), 2: ("sys_exit_tp", 10, 900),
          3: ("proc_fork_btf", 0, 0)}
    t1 = {1: ("other", 9000, 10 ** 6), 2: ("sys_exit_tp", 1010, 70900),
          3: ("proc_fork_btf", 0, 0), 4: ("late", 5, 500)}
    runs, ns, per = bpfcost.delta(before, t0, t1)
    # 1 was there before the tool; 4 appeared after t0: neither is its.
    assert (runs, ns) == (1000, 70000)
    assert per == {"sys_exit_tp": [1000, 70000]}


def test_the_floors_cost_per_run_is_taken_off_every_run():
    s = [sample("open", "floor", 1000, 1050, 1050 * 55),
         sample("open", "floor", 1000, 1050, 1050 * 57),
         sample("open", "floor", 1000, 1050, 1050 * 53),
         sample("open", "leakscope full (default)", 1000, 1050, 1050 * (55 + 20)),
         sample("open", "bpftrace", 1000, 2100, 2100 * (55 + 25)),
         sample("open", "bpftrace", 1000, 2100, 10 ** 9, error="crashed")]
    rows = {r["tool"]: r for r in bpfcost.analyse(s, {"open": 2500.0})}
    assert rows["floor"]["stats_ns_per_run"] == 55
    assert rows["floor"]["net_ns_per_op"] == 0
    full = rows["leakscope full (default)"]
    assert abs(full["net_ns_per_op"] - 1.05 * 20) < 1e-9
    assert abs(full["gross_ns_per_op"] - 1.05 * 75) < 1e-9
    assert abs(full["net_share"] - 1.05 * 20 / 2500) < 1e-12
    bt = rows["bpftrace"]
    assert bt["n_samples"] == 1 and abs(bt["runs_per_op"] - 2.1) < 1e-9
    assert abs(bt["net_ns_per_op"] - 2.1 * 25) < 1e-9


def test_without_the_floor_nothing_is_netted():
    s = [sample("fork", "leakscope snapshot", 100, 300, 300 * 80)]
    [r] = bpfcost.analyse(s, {})
    assert r["net_ns_per_op"] is None and r["net_share"] is None
    assert r["gross_ns_per_op"] == 240

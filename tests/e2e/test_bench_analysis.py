"""The benchmark's arithmetic (tools/bench/analysis.py) on made-up samples:
which figure a row reports, what a target is judged on, and the floor
that the outside-the-cgroup target is built from. No BPF, no root."""
import os
import sys
import types

from lstest import REPO

sys.path.insert(0, os.path.join(REPO, "tools", "bench"))
import analysis  # noqa: E402


def sample(workload, tool, ns, rep=0, **output):
    return {"workload": workload, "tool": tool, "rep": rep, "ns_per_op": ns,
            "error": None, "output": output}


def bench(items, samples):
    return types.SimpleNamespace(items=items, samples=samples, na={}, tests=None,
                                 args=types.SimpleNamespace(reps=3), warnings=[],
                                 errors=[], realistic_skipped=None)


def rows_of(b):
    rows, checks, _ = analysis.analyse(b)
    return {(r["workload"], r["tool"]): r for r in rows}, checks


def test_best_judges_the_target_and_median_is_shown():
    # untraced: one fast-regime run among slow ones; full likewise.
    s = [sample("open", "untraced", ns, i, mean_ns=ns) for i, ns in
         enumerate((2400, 3100, 3000))]
    s += [sample("open", analysis.LS_DEFAULT, ns, i, mean_ns=ns) for i, ns in
          enumerate((2900, 3800, 3700))]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["median_ns"] == 3700 and r["best_ns"] == 2900
    assert abs(r["ratio"] - 3700 / 3000) < 1e-9
    assert abs(r["best_ratio"] - 2900 / 2400) < 1e-9
    assert r["target"] == 1.25 and r["verdict"] == "PASS"  # 1.21 by best
    s[-1]["ns_per_op"] = s[-2]["ns_per_op"] = s[-3]["ns_per_op"] = 3100
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    assert rows[("open", analysis.LS_DEFAULT)]["verdict"] == "FAIL"  # 1.29


def test_realistic_sums_each_module():
    def run(tool, rep, a, b):
        return sample("realistic", tool, a + b, rep, part_test_a=a, part_test_b=b)
    # Each module's slow spell falls in a different run: the sums of
    # per-module medians and minimums ignore both.
    s = [run("untraced", 0, 10, 20), run("untraced", 1, 15, 20), run("untraced", 2, 9, 30)]
    s += [run(analysis.LS_DEFAULT, 0, 11, 21), run(analysis.LS_DEFAULT, 1, 11, 22),
          run(analysis.LS_DEFAULT, 2, 16, 21)]
    rows, _ = rows_of(bench([("realistic", "realistic",
                              ["untraced", analysis.LS_DEFAULT])], s))
    u, f = rows[("realistic", "untraced")], rows[("realistic", analysis.LS_DEFAULT)]
    assert (u["median_ns"], u["best_ns"]) == (30, 29)
    assert (f["median_ns"], f["best_ns"]) == (32, 32)
    assert abs(f["ratio"] - 32 / 30) < 1e-9
    assert abs(f["best_ratio"] - 32 / 29) < 1e-9
    assert f["verdict"] == "FAIL"  # 1.10 > 1.03
    assert f["min_ns"] == 32 and f["max_ns"] == 37  # of the run totals


def test_outside_target_is_the_measured_floor_plus_two_points():
    tools = ["untraced", "floor", analysis.LS_DEFAULT, "bpftrace"]
    s = [sample("outside-open", "untraced", 1000, mean_ns=1000),
         sample("outside-open", "floor", 1100, mean_ns=1100),
         sample("outside-open", analysis.LS_DEFAULT, 1125, mean_ns=1125),
         sample("outside-open", "bpftrace", 1400, mean_ns=1400)]
    rows, checks = rows_of(bench([("outside-open", "outside", tools)], s))
    r = rows[("outside-open", analysis.LS_DEFAULT)]
    assert abs(r["target"] - 1.12) < 1e-9
    assert r["verdict"] == "FAIL"  # 1.125 > 1.10 + 0.02
    cheaper = [c for c in checks if c["name"].startswith("outside-open")]
    assert [c["verdict"] for c in cheaper] == ["PASS"]


def test_outside_without_a_floor_is_not_judged():
    s = [sample("outside-open", "untraced", 1000),
         sample("outside-open", analysis.LS_DEFAULT, 1010)]
    rows, _ = rows_of(bench([("outside-open", "outside",
                              ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("outside-open", analysis.LS_DEFAULT)]
    assert r["verdict"] == "n/a" and r["note"] == "the floor was not measured"


def test_unjudged_tools_run_in_the_first_repetitions_only():
    import bench
    b = bench.Bench.__new__(bench.Bench)  # no cgroups: only the plan runs
    b.args = types.SimpleNamespace(reps=5, only=["open"], quick=False,
                                   cost_reps=0)
    b.plan = lambda: [("open", "micro", ["untraced", "strace", analysis.LS_DEFAULT,
                                         analysis.LS_STACKS])]
    calls = []
    b.sample = lambda w, kind, tool, rep: calls.append((tool, rep))
    b.go()
    reps = {t: sorted(r for tool, r in calls if tool == t) for t, _ in calls}
    assert reps["untraced"] == reps[analysis.LS_DEFAULT] == [0, 1, 2, 3, 4]
    assert reps["strace"] == reps[analysis.LS_STACKS] == list(range(bench.PEER_REPS))
    assert b.peer_reps == bench.PEER_REPS


def blocky(workload, tool, rep, blocks):
    """A run of @blocks [(ns per op, probe ns)], its figure the median block."""
    ns = sorted(n for n, _ in blocks)[len(blocks) // 2]
    return sample(workload, tool, ns, rep, mean_ns=ns,
                  block_ns=[n for n, _ in blocks], probe_ns=[p for _, p in blocks])


FAST, SLOW = 4500.0, 8600.0  # core probes at the host's two speeds


def test_quiet_blocks_judge_the_target():
    # untraced ran mostly at the fast speed, full mostly at the slow one:
    # best says 1.63×, the blocks at the same speed 1.23×.
    s = [blocky("open", "untraced", i, [(2400, FAST)] * 30 + [(3100, SLOW)] * 10)
         for i in range(3)]
    s += [blocky("open", analysis.LS_DEFAULT, i, [(2950, FAST)] * 10 + [(3900, SLOW)] * 30)
          for i in range(3)]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert abs(r["best_ratio"] - 3900 / 2400) < 1e-9
    assert abs(r["quiet_ratio"] - 2950 / 2400) < 1e-9
    assert (r["quiet_blocks"], r["blocks"]) == (30, 120)
    assert r["verdict"] == "PASS"
    assert analysis.fmt_quiet(r) == "1.23× (25%)"
    assert analysis.fmt_quiet(rows[("open", "untraced")]) == "(75%)"
    # The same blocks 1.3× apart at the fast speed fail, whatever best says.
    for x in s[3:]:
        x["output"]["block_ns"] = [3120 if p == FAST else 3000
                                   for p in x["output"]["probe_ns"]]
        x["ns_per_op"] = 2400
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["best_ratio"] == 1.0 and abs(r["quiet_ratio"] - 1.3) < 1e-9
    assert r["verdict"] == "FAIL"


def test_too_few_quiet_blocks_fall_back_to_best():
    few = analysis.QUIET_MIN_BLOCKS - 1
    s = [blocky("open", "untraced", 0, [(2400, FAST)] * 20),
         blocky("open", analysis.LS_DEFAULT, 0, [(2500, FAST)] * few + [(3300, SLOW)] * 20)]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["quiet_ns"] is None and r["quiet_ratio"] is None
    assert r["quiet_blocks"] == few
    assert r["verdict"] == "FAIL"  # best: 3300 / 2400
    assert analysis.fmt_quiet(r) == "(31%)"


def test_the_quiet_limit_comes_from_the_whole_workload():
    # untraced never ran at the fast speed: its blocks are measured against
    # the fastest probe of every tool, so none is quiet and best judges.
    limit = FAST * analysis.QUIET_FACTOR
    s = [blocky("open", "untraced", 0, [(3100, FAST * 1.5)] * 20),
         blocky("open", analysis.LS_DEFAULT, 0,
                [(2500, FAST)] * 10 + [(2600, limit)] * 10 + [(9000, limit + 1)] * 5)]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    u, f = rows[("open", "untraced")], rows[("open", analysis.LS_DEFAULT)]
    assert u["quiet_blocks"] == 0 and u["quiet_ns"] is None
    assert f["quiet_blocks"] == 20 and f["quiet_ns"] == 2550  # at the limit counts
    assert f["quiet_ratio"] is None and f["verdict"] == "PASS"  # best 2600 / 3100


def test_a_run_of_one_block_prints_numbers_not_lists():
    one = sample("open", "untraced", 2400, block_ns=2400.0, probe_ns=FAST)
    assert analysis.blocks_of(one) == [(2400.0, FAST)]
    odd = sample("open", "untraced", 2400, block_ns=[1.0, 2.0], probe_ns=[FAST])
    assert analysis.blocks_of(odd) == []


def test_the_outside_floor_is_measured_on_quiet_blocks_too():
    tools = ["untraced", "floor", analysis.LS_DEFAULT]
    s = [blocky("outside-open", "untraced", 0, [(1000, FAST)] * 10 + [(1300, SLOW)] * 30),
         blocky("outside-open", "floor", 0, [(1100, FAST)] * 30 + [(1400, SLOW)] * 10),
         blocky("outside-open", analysis.LS_DEFAULT, 0, [(1125, FAST)] * 20)]
    rows, _ = rows_of(bench([("outside-open", "outside", tools)], s))
    r = rows[("outside-open", analysis.LS_DEFAULT)]
    assert abs(r["target"] - 1.12) < 1e-9  # floor 1100 / 1000, not 1100 / 1300
    assert abs(r["quiet_ratio"] - 1.125) < 1e-9 and r["verdict"] == "FAIL"


def test_one_freak_fast_probe_does_not_move_the_quiet_limit():
    # 199 probes at the fast speed and one 3× faster: the blocks at the
    # fast speed stay quiet (with the fastest probe as the base, none
    # would be, and best would judge).
    blocks = [(2400, FAST)] * 199 + [(2400, FAST / 3)]
    s = [blocky("open", "untraced", 0, blocks),
         blocky("open", analysis.LS_DEFAULT, 0, [(2500, FAST)] * 20)]
    assert analysis.quiet_limit(s) == FAST * analysis.QUIET_FACTOR
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["quiet_blocks"] == 20 and abs(r["quiet_ratio"] - 2500 / 2400) < 1e-9


def test_comparisons_use_one_figure_on_both_sides():
    # The floor has quiet blocks, leakscope has too few: the target is
    # the floor's best ratio + 0.02 (1.30× + 0.02), not its quiet one
    # (1.00× + 0.02). Likewise against bpftrace: its best 1.40×, not its
    # quiet 1.25×.
    tools = ["untraced", "floor", analysis.LS_DEFAULT, "bpftrace"]
    s = [blocky("outside-open", "untraced", 0, [(1000, FAST)] * 20),
         blocky("outside-open", "floor", 0, [(1000, FAST)] * 20 + [(1300, SLOW)] * 60),
         blocky("outside-open", analysis.LS_DEFAULT, 0, [(1310, SLOW)] * 20),
         blocky("outside-open", "bpftrace", 0, [(1250, FAST)] * 20 + [(1400, SLOW)] * 60)]
    rows, checks = rows_of(bench([("outside-open", "outside", tools)], s))
    r = rows[("outside-open", analysis.LS_DEFAULT)]
    assert r["quiet_ratio"] is None and abs(r["best_ratio"] - 1.31) < 1e-9
    assert abs(r["target"] - 1.32) < 1e-9 and r["verdict"] == "PASS"
    [c] = [c for c in checks if c["name"].startswith("outside-open")]
    assert c["value"] == "1.31× vs 1.40×" and c["verdict"] == "PASS"


def test_runs_whose_blocks_and_probes_differ_are_named():
    b = bench([("open", "micro", ["untraced"])],
              [sample("open", "untraced", 2400, block_ns=[1.0, 2.0], probe_ns=[FAST]),
               sample("open", "untraced", 2400, rep=1, block_ns=[1.0], probe_ns=[FAST])])
    analysis.analyse(b)
    assert b.warnings == ["open / untraced (rep 0): 2 blocks but 1 probes; its "
                          "blocks are left out of the quiet figures"]


def test_probes_a_fifth_slower_are_not_quiet():
    # The sixth full run saw the slow speed with probes ~1.15-1.45x the
    # fast ones (not ~1.9x), its blocks as slow as ever.
    s = [blocky("open", "untraced", 0, [(2400, FAST)] * 20 + [(3200, FAST * 1.2)] * 20),
         blocky("open", analysis.LS_DEFAULT, 0, [(2500, FAST)] * 20)]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    assert rows[("open", "untraced")]["quiet_blocks"] == 20
    assert abs(rows[("open", analysis.LS_DEFAULT)]["quiet_ratio"] - 2500 / 2400) < 1e-9


def test_runs_that_agree_resolve_the_verdict():
    s = [sample("open", "untraced", 2400, i) for i in range(3)]
    s += [sample("open", analysis.LS_DEFAULT, 2900, i) for i in range(3)]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["interval"] == (2900 / 2400, 2900 / 2400) and r["resolved"] is True
    assert analysis.fmt_interval(r) == "1.21–1.21×"
    assert analysis.fmt_verdict(r) == "PASS"
    assert rows[("open", "untraced")]["interval"] is None


def test_runs_spread_across_the_target_leave_the_verdict_to_the_noise():
    # Best judges: the fastest run, 1.21× (target 1.25×). Two runs of
    # three were 1.38×; a resampling without the fast one is likely.
    s = [sample("open", "untraced", 2400, i) for i in range(3)]
    s += [sample("open", analysis.LS_DEFAULT, ns, i) for i, ns in enumerate((2900, 3300, 3300))]
    b = bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s)
    rows, checks, spreads = analysis.analyse(b)
    r = rows[1]
    assert r["verdict"] == "PASS" and r["resolved"] is False
    assert r["interval"] == (2900 / 2400, 3300 / 2400)
    assert analysis.fmt_verdict(r) == "PASS within the noise"
    assert analysis.noise_summary(rows, checks) == "; 1 within the noise (1 met, 0 not)"


def test_each_interval_is_seeded_on_its_own():
    # Seven runs a side, of distinct blocks: the ends depend on the draws.
    # Measuring another workload first must not change them.
    def runs(w, base):
        return [blocky(w, t, i, [(base * f * (1 + (7 * i + k) % 50 / 100), FAST)
                                 for k in range(10)])
                for t, f in (("untraced", 1.0), (analysis.LS_DEFAULT, 1.1))
                for i in range(7)]

    def interval(items, s):
        return {(x["workload"], x["tool"]): x["interval"]
                for x in analysis.analyse(bench(items, s))[0]}[("open", analysis.LS_DEFAULT)]
    tools = ["untraced", analysis.LS_DEFAULT]
    alone = interval([("open", "micro", tools)], runs("open", 2400))
    after = interval([("pipe", "micro", tools), ("open", "micro", tools)],
                     runs("pipe", 5000) + runs("open", 2400))
    assert alone == after and alone[0] < alone[1]


def test_resolved_at_the_edges():
    # A target is met at its edge (≤); "cheaper than" is strict (<).
    assert analysis.resolved((1.25, 1.25), 1.25) is True
    assert analysis.resolved((1.24, 1.26), 1.25) is False
    assert analysis.resolved((1.2501, 1.3), 1.25) is True
    assert analysis.resolved((0.0, 0.0), 0.0, strict=True) is True
    assert analysis.resolved((-0.1, 0.0), 0.0, strict=True) is False
    assert analysis.resolved((-0.1, -0.01), 0.0, strict=True) is True
    assert analysis.resolved(None, 0.0) is None


def test_the_interval_leaves_a_fortieth_out_on_each_side():
    class Counting:
        """choice() hands out 0, 1, 2, ... in turn."""
        n = 0

        def choice(self, seq):
            self.n += 1
            return self.n - 1
    lo, hi = analysis.bootstrap({"x": [None]}, lambda d: d["x"][0], Counting())
    assert (lo, hi) == (25, 974)  # of 0..999 at 95%


def test_quiet_figures_are_resampled_run_by_run():
    # Each run's quiet blocks stay together: runs at 2500 and 2700 per op
    # (1.04× and 1.125× untraced's 2400, target 1.25×) resolve a PASS.
    s = [blocky("open", "untraced", i, [(2400, FAST)] * 20) for i in range(2)]
    s += [blocky("open", analysis.LS_DEFAULT, i, [(ns, FAST)] * 20)
          for i, ns in enumerate((2500, 2700))]
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["interval"] == (2500 / 2400, 2700 / 2400) and r["resolved"] is True
    # Half its runs without a quiet block: too many resamplings have no
    # quiet figure, so there is no interval, and nothing is claimed.
    s[3] = blocky("open", analysis.LS_DEFAULT, 1, [(2700, SLOW)] * 20)
    rows, _ = rows_of(bench([("open", "micro", ["untraced", analysis.LS_DEFAULT])], s))
    r = rows[("open", analysis.LS_DEFAULT)]
    assert r["quiet_ratio"] is not None
    assert r["interval"] is None and r["resolved"] is None and r["no_interval"]
    assert analysis.fmt_verdict(r) == r["verdict"] + \
        " (no interval: too few resamplings had a figure)"
    assert analysis.noise_summary([r], []) == "; 1 without an interval"


def test_comparisons_have_an_interval_of_their_margin():
    tools = ["untraced", "floor", analysis.LS_DEFAULT, "bpftrace"]
    s = [sample("outside-open", "untraced", 1000),
         sample("outside-open", "floor", 1100),
         sample("outside-open", analysis.LS_DEFAULT, 1130),
         sample("outside-open", "bpftrace", 1400)]
    rows, checks = rows_of(bench([("outside-open", "outside", tools)], s))
    r = rows[("outside-open", analysis.LS_DEFAULT)]
    lo, hi = r["margin_interval"]  # 1.13 - (1.10 + 0.02)
    assert abs(lo - 0.01) < 1e-9 and abs(hi - 0.01) < 1e-9
    assert r["verdict"] == "FAIL" and r["resolved"] is True
    assert analysis.fmt_interval(r) == "floor +0.03…+0.03"
    [c] = [c for c in checks if c["name"].startswith("outside-open")]
    assert [round(m, 9) for m in c["margin_interval"]] == [-0.27, -0.27]
    assert c["resolved"] is True
    # bpftrace's runs straddle leakscope's: the check is not resolved.
    s.append(sample("outside-open", "bpftrace", 1100, rep=1))
    rows, checks = rows_of(bench([("outside-open", "outside", tools)], s))
    [c] = [c for c in checks if c["name"].startswith("outside-open")]
    assert c["verdict"] == "FAIL" and c["resolved"] is False  # best 1.10×
    assert analysis.fmt_verdict(c) == "FAIL within the noise"


def test_bpf_cost_takes_the_stats_cost_from_where_the_floor_ran_enough():
    import bpfcost

    def cost(w, tool, runs, ns, n=1000):
        return {"workload": w, "tool": tool, "n": n, "error": None, "runs": runs,
                "run_time_ns": ns}
    # open: the floor's 300,000 runs at 60 ns. thread: its 140 cold runs
    # at 390 ns say nothing of the stats' cost; open's figure stands in.
    samples = [cost("open", "floor", 300000, 18000000),
               cost("open", analysis.LS_DEFAULT, 300000, 90000000),
               cost("thread", "floor", 140, 54600),
               cost("thread", analysis.LS_DEFAULT, 3000, 1500000)]
    rows = {(r["workload"], r["tool"]): r for r in bpfcost.analyse(samples, {"thread": 50000})}
    t = rows[("thread", analysis.LS_DEFAULT)]
    pooled = (18000000 + 54600) / (300000 + 140)
    assert abs(t["stats_ns_per_run"] - pooled) < 1e-9
    assert abs(t["net_ns_per_op"] - (1500000 - 3000 * pooled) / 1000) < 1e-9
    assert rows[("open", analysis.LS_DEFAULT)]["stats_ns_per_run"] == 60

"""bpfcost.py - what each tool's BPF programs themselves cost per operation,
from the kernel's BPF statistics: a second, quiet instrument beside the
timed ratios.

The timed ratios swing by 2-4% between invocations on these VMs, more
than some targets' margins (the floor + 0.02, "cheaper than bpftrace" on
rows where both add ~nothing). The kernel's per-program run time does
not see the host's slow spells the same way: it is the programs' own
time. With kernel.bpf_stats_enabled each run of a program is timed with
two clock reads; the floor's no-op program shows what that costs per run
(~55 ns here), and it is taken off every tool's runs. What BPF statistics
do not show is the kernel's dispatch to a program (the floor's timed
ratio is that); runs per operation are printed so that the two can be
told apart.

Each tool watches as in the timed runs, except that leakscope watches
with `attach` (its programs must still be loaded when the counts are
read): the workload runs in the watched cgroup for the loops, outside it
for the outside rows. Nothing here judges a target; bench.py prints the
table and keeps the samples in the JSON under "bpf_cost".
"""
import json
import shutil
import subprocess
import time

from analysis import LS_DEFAULT, LS_SNAPSHOT, median

TOOLS = ("floor", LS_SNAPSHOT, LS_DEFAULT, "bpftrace")
# A workload on which the floor's no-op ran fewer times than this (the
# thread and fork loops make few traced syscalls: ~140 runs) takes the
# stats' own cost per run from the floor's runs on every workload: a
# hundred cold runs once put it at 390 ns, and every tool's net at 0.
MIN_NOP_RUNS = 10000
STATS_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


def programs():
    """{id: (name, run_cnt, run_time_ns)} of every BPF program loaded."""
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    return {p["id"]: (p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))
            for p in json.loads(out or "[]")}


def delta(before, t0, t1):
    """Runs and run time of the programs loaded since @before, between the
    snapshots @t0 and @t1; per program name too."""
    runs = ns = 0
    per = {}
    for pid, (name, c1, n1) in t1.items():
        if pid in before or pid not in t0:
            continue
        dc, dn = c1 - t0[pid][1], n1 - t0[pid][2]
        runs += dc
        ns += dn
        if dc:
            r = per.setdefault(name, [0, 0])
            r[0] += dc
            r[1] += dn
    return runs, ns, per


class Stats:
    """kernel.bpf_stats_enabled on for the pass, put back as it was."""

    def __enter__(self):
        with open(STATS_SYSCTL) as f:
            self.old = f.read().strip()
        with open(STATS_SYSCTL, "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open(STATS_SYSCTL, "w") as f:
            f.write(self.old)


def start(b, tool, cgroup, duration):
    """Start @tool watching @cgroup: the process, or None (said in the
    warnings)."""
    if tool == "bpftrace":
        p, ok = b.start_bpftrace(cgroup)
        why = None if ok else "bpftrace never got ready: %s" % b.stop_background(p)[2]
        p = p if ok else None
    else:
        # Watching longer than the run may take: an agent that stopped
        # itself would take its programs' counts with it.
        p, why = b.start_watcher(tool, cgroup, duration=duration)
    if not p:
        b.warnings.append("bpf cost: " + (why or "")[-300:])
    return p


def one(b, env, workload, tool, rep, cmd, n, cgroup, inside, timeout):
    """One run of @cmd under @tool with BPF statistics: a sample."""
    s = {"workload": workload, "tool": tool, "rep": rep, "n": n, "error": None}
    before = programs()
    p = start(b, tool, cgroup, timeout + 30)
    if p is None:
        s["error"] = "tool never got ready"
        return s
    try:
        t0 = programs()
        rc, parsed, _, out, err = b.run(cmd, timeout,
                                        preexec=env.enter_cgroup(cgroup) if inside else None)
        t1 = programs()
        gone = p.poll() is not None
    finally:
        b.stop_background(p)
    if gone:
        s["error"] = "%s stopped before the run ended" % tool
        return s
    if rc != 0 or not parsed or "ns_per_op" not in parsed:
        s["error"] = "workload exited %s: %s" % (rc, (err or out or "")[-300:])
        return s
    s["runs"], s["run_time_ns"], s["programs"] = delta(before, t0, t1)
    s["ns_per_op_timed"] = parsed["ns_per_op"]
    return s


def command(b, env, workload, kind):
    """(ops, argv, timeout) of one run of @workload: the realistic load is
    one op."""
    if kind == "realistic":
        return 1, env.realistic_cmd(), env.RUN_TIMEOUT["realistic"]
    mode = env.OUTSIDE.get(workload, workload)
    n = b.n_for(mode, "untraced")
    return n, [env.WORKLOAD, mode, str(n)], env.RUN_TIMEOUT["micro"]


def measure(b, items, reps, env):
    """The pass: each loop, outside row and the realistic load, under each
    tool, @reps times, interleaved. @env: bench.py's module (its paths and
    helpers). [] when bpftool is missing (said in the warnings)."""
    if not shutil.which("bpftool"):
        b.warnings.append("bpf cost: bpftool not found: no BPF statistics")
        return []
    rows = [(w, kind) for w, kind, _ in items if kind in ("micro", "outside", "realistic")]
    samples = []
    t0 = time.monotonic()
    with Stats():
        for rep in range(reps):
            env.log("bench: BPF statistics, repetition %d/%d (%.0fs so far)"
                      % (rep + 1, reps, time.monotonic() - t0))
            for w, kind in rows:
                n, cmd, timeout = command(b, env, w, kind)
                k = rep % len(TOOLS)
                for tool in TOOLS[k:] + TOOLS[:k]:
                    if (w, tool) in b.na:
                        continue
                    cg = b.bt_cgroup if tool == "bpftrace" else b.watched
                    samples.append(one(b, env, w, tool, rep, cmd, n, cg,
                                       inside=kind != "outside", timeout=timeout))
    return samples


def analyse(samples, untraced_ns):
    """Rows (workload, tool): runs per op, gross and net ns per op. Net
    takes the stats' own cost per run off: the floor's no-op's ns per run
    on the same workload (median over its runs), or over every workload
    where it ran too rarely there (MIN_NOP_RUNS). net_share: net against
    an untraced op (@untraced_ns: {workload: ns}, from the timed runs)."""
    good = [s for s in samples if not s["error"] and s.get("runs")]
    rows = []
    workloads = []
    for s in good:
        if s["workload"] not in workloads:
            workloads.append(s["workload"])
    floors = [s for s in good if s["tool"] == "floor"]
    pooled = (sum(s["run_time_ns"] for s in floors) / sum(s["runs"] for s in floors)
              if floors else None)
    for w in workloads:
        mine = [s for s in good if s["workload"] == w]
        nop = median([s["run_time_ns"] / s["runs"] for s in mine if s["tool"] == "floor"])
        if sum(s["runs"] for s in mine if s["tool"] == "floor") < MIN_NOP_RUNS:
            nop = pooled
        for tool in TOOLS:
            ss = [s for s in mine if s["tool"] == tool]
            if not ss:
                continue
            runs = median([s["runs"] / s["n"] for s in ss])
            gross = median([s["run_time_ns"] / s["n"] for s in ss])
            net = None if nop is None else max(0.0, median(
                [(s["run_time_ns"] - s["runs"] * nop) / s["n"] for s in ss]))
            op = untraced_ns.get(w)
            rows.append({"workload": w, "tool": tool, "n_samples": len(ss),
                         "runs_per_op": runs, "gross_ns_per_op": gross,
                         "stats_ns_per_run": nop, "net_ns_per_op": net,
                         "net_share": net / op if net is not None and op else None})
    return rows


def print_table(rows):
    if not rows:
        return
    print("\nBPF programs' own time per operation (kernel BPF statistics, less the"
          "\nstats' own ~%s ns a run, which the floor's no-op shows; median of runs):"
          % ("%.0f" % median([r["stats_ns_per_run"] for r in rows if r["stats_ns_per_run"]])
             if any(r["stats_ns_per_run"] for r in rows) else "?"))
    print("%-14s %-26s %8s %10s %16s" % ("workload", "tool", "runs/op", "ns/op",
                                          "of untraced op"))
    for r in rows:
        net = r["net_ns_per_op"]
        net = "?" if net is None else "%.1f ms" % (net / 1e6) if net >= 1e6 else "%.0f" % net
        share = "%.2f%%" % (100 * r["net_share"]) if r["net_share"] is not None else ""
        runs = "%.0f" % r["runs_per_op"] if r["runs_per_op"] >= 1e4 else "%.2f" % r["runs_per_op"]
        print("%-14s %-26s %8s %10s %16s" % (r["workload"], r["tool"], runs, net, share))

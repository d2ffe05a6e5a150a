"""Accuracy under storms: per-test attribution while several processes and
threads churn fds, sockets, threads and children as fast as the machine
allows, with tests running in parallel (issue 4).

The workload (tests/bpf/workloads/storm.c) runs WORKERS processes, each
with its own connection and its own sequence of tests; every test churns
for CHURN_MS from the worker's main thread and its churning threads, and
some tests leak one thing on purpose halfway through the churn (an fd on a
file of their own, a listening TCP socket, a blocked thread, a child
`sleep 60`). The workload prints what it leaked (LEAKED lines) and each
END reply (VERDICT lines), so every verdict is compared exactly.

Covers:
- default table sizes: every deliberate leak is in the verdict of exactly
  the test that made it and nothing else is anywhere (verdicts, final
  report); nothing lost, confidence full everywhere; the final report's
  classes (fds, sockets, threads held until every test is over: leak; the
  children outlive the run: orphan, ended by leakscope); consistent
  metrics;
- tables and ring buffer forced small: the losses are in the report and
  in the verdicts' confidence; no verdict ever holds a false positive; a
  deliberate leak is missing only from a verdict that says "reduced";
  full verdicts are exact; the final report invents nothing and misses no
  leftover process; threads, children and (once the object table has
  overflowed) fds left without a record are still charged to their test;
- the overlap scenario: a loss while a test runs reduces its confidence,
  whatever other tests begin meanwhile;
- leakscope bugs found on the way (test_regression_*; they fail until
  leakscope is fixed).

Every run must exit 0, remove its cgroup and leave no process behind; the
rates reached are printed (pytest -rA shows them).
"""

import collections
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import lsmarked
from lstest import BUILD, LEAKSCOPE, LOSS_KEYS

STORM = os.path.realpath(os.path.join(BUILD, "tests", "workloads", "storm"))

WORKERS, TESTS, CHURN_MS, CHURNERS = 3, 8, 150, 2
# Small enough to overflow on a 2-core machine: the object table holds
# less than what the storm keeps alive at once (its processes' mappings,
# the churned fds), the thread table fewer than the threads alive at once
# (4 churning threads per worker, and the threads they start), and a 4 KiB
# ring buffer fewer records than the events of a drain interval (the
# minimum of every option). The fork/exit/reap records alone filled it in
# most runs, not all: --events streams every event through it too.
OVERFLOW_OPTS = ["--max-objects", "64", "--max-threads", "16",
                 "--max-processes", "16", "--ring-size", "4K"]
OVERFLOW_CHURNERS = 4
RUN_TIMEOUT = 60

KINDS = ("fd", "socket", "process", "thread", "mapping", "tempfile",
         "cgroup")
CLASSES = ("leak", "late", "orphan", "zombie")
# Where each kind of deliberate leak ends up in the final report: fds,
# sockets and threads are held until every test is over, then go with
# their worker (leak); the children outlive the run (orphan).
FINAL_CLASS = {"fd": "leak", "socket": "leak", "thread": "leak",
               "process": "orphan"}

Leak = collections.namedtuple("Leak", "test kind pid ident extra")
Ops = collections.namedtuple("Ops", "test start_ms ms fds sockets threads "
                             "forks")
Storm = collections.namedtuple(
    "Storm", "rc report stdout stderr seconds verdicts leaks_count leaked "
    "ops workers facts")

# ---------------------------------------------------------------- helpers


def parse(stdout):
    """The storm's lines (see storm.c)."""
    verdicts, leaks_count, leaked, ops, workers = {}, {}, [], [], {}
    facts = collections.defaultdict(list)
    for line in stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "VERDICT":
            name, text = rest.split(" ", 1)
            assert name not in verdicts, f"two verdicts for {name}"
            verdicts[name] = json.loads(text)
        elif word == "LEAKS":
            name, n = rest.split(" ")
            leaks_count[name] = int(n)
        elif word == "LEAKED":
            name, kind, pid, ident, *extra = rest.split(" ", 4)
            leaked.append(Leak(name, kind, int(pid), int(ident),
                               extra[0] if extra else None))
        elif word == "OPS":
            name, start, ms, *n = rest.split(" ")
            ops.append(Ops(name, float(start), float(ms),
                           *(int(x) for x in n)))
        elif word == "WORKER":
            i, pid = rest.split(" ")
            workers[int(i)] = int(pid)
        else:
            key, sep, value = line.partition("=")
            if sep and key.isupper():
                facts[key].append(value)
    return verdicts, leaks_count, leaked, ops, workers, facts


def _stop(proc):
    """A run that hangs: SIGINT ends CMD, a second one kills everything in
    the run's cgroup (README); only then SIGKILL leakscope itself."""
    for sig in (signal.SIGINT, signal.SIGINT):
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()


def run_storm(tmp, tag, ls_args, storm_args, timeout=RUN_TIMEOUT):
    """`leakscope run ARGS --report R -- storm STORM_ARGS`; stdout to a
    file (a leaked child keeps its stdio open)."""
    report, out, err = (tmp / f"{tag}.json", tmp / f"{tag}.out",
                        tmp / f"{tag}.err")
    t0 = time.monotonic()
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            [LEAKSCOPE, "run", "--report", str(report), "--format", "json",
             "-q", *ls_args, "--", STORM, *storm_args],
            stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            pytest.fail(f"the storm did not finish in {timeout} s: "
                        f"{err.read_text(errors='replace')}")
    seconds = time.monotonic() - t0
    text = report.read_text() if report.exists() else ""
    stdout = out.read_text(errors="replace")
    return Storm(proc.returncode, json.loads(text) if text.strip() else None,
                 stdout, err.read_text(errors="replace"), seconds,
                 *parse(stdout))


def leak_files(tmp, workers, tests):
    """A file per test for its fd leak, made here so that opening it in the
    run creates no temporary file."""
    d = tmp / "leaks"
    d.mkdir()
    for i in range(workers):
        for j in range(tests):
            (d / f"storm-w{i}-t{j:02d}").write_text(f"{i} {j}\n")
    return d


def show(x):
    return json.dumps(x, indent=1)


def finding_key(f):
    """What identifies a finding (no times, no RSS, no class, no test)."""
    kind = f["kind"]
    if kind == "fd":
        return (kind, f["pid"], f["fd"], f["type"], f["path"])
    if kind == "socket":
        return (kind, f["pid"], f["fd"], f["family"], f["sock_type"],
                f["protocol"], f["state"], f["local_addr"], f["local_port"],
                f["peer_addr"], f["peer_port"])
    if kind == "process":
        argv = tuple(f["argv"]) if f["argv"] is not None else None
        return (kind, f["pid"], f["comm"], argv, f["threads"])
    if kind == "thread":
        return (kind, f["pid"], f["tid"], f["comm"])
    return (kind, json.dumps(f, sort_keys=True))


def leak_key(leak):
    """The finding key a deliberate leak must have."""
    if leak.kind == "fd":
        return ("fd", leak.pid, leak.ident, "file", leak.extra)
    if leak.kind == "socket":
        return ("socket", leak.pid, leak.ident, "inet", "stream", "tcp",
                "LISTEN", "127.0.0.1", int(leak.extra), None, None)
    if leak.kind == "process":
        return ("process", leak.pid, "sleep", ("sleep", "60"), 1)
    if leak.kind == "thread":
        return ("thread", leak.pid, leak.ident, "storm-leak")
    raise AssertionError(leak)


def expected_by_test(run):
    want = collections.defaultdict(collections.Counter)
    for leak in run.leaked:
        want[leak.test][leak_key(leak)] += 1
    return want


def verdict_keys(v):
    return collections.Counter(finding_key(f) for f in v["findings"])


def names(workers, tests):
    return [f"storm-w{i}-t{j:02d}" for i in range(workers)
            for j in range(tests)]


def losses_of(report):
    return {k: report["losses"][k] for k in LOSS_KEYS}


def assert_gone(pids):
    """The processes of a run are gone (leakscope ended the leftovers)."""
    lsmarked.assert_gone(pids, comms=("storm", "sleep"))


def assert_run_ok(run):
    assert run.report is not None, \
        f"no JSON report; rc={run.rc}\nstderr:\n{run.stderr}"
    assert run.rc == 0, (f"leakscope exited {run.rc}\nstderr:\n{run.stderr}"
                         f"\nexit: {run.report.get('exit')}")
    assert "STORM_DONE" in run.facts, \
        f"the storm did not finish\nstderr:\n{run.stderr}"
    assert run.report["exit"]["status"] == "exited", run.report["exit"]
    cleanup = run.report["cleanup"]
    assert cleanup and cleanup["cgroup_removed"] is True, cleanup
    assert cleanup["error"] is None, cleanup
    assert not os.path.exists(run.report["cgroup"]), run.report["cgroup"]
    assert run.report["summary"]["findings"] == len(run.report["findings"])
    pids = list(run.workers.values()) + [
        int(p) for p in run.facts.get("STORM_PID", [])] + [
        leak.pid for leak in run.leaked if leak.kind == "process"]
    assert_gone(pids)


def assert_every_test_answered(run, expected_names):
    assert sorted(run.verdicts) == sorted(expected_names), (
        f"verdicts for {sorted(run.verdicts)}\nstderr:\n{run.stderr}")
    for name, v in run.verdicts.items():
        assert v["test"] == name and v["outcome"] == "passed", v
        assert v["leaks"] == len(v["findings"]), v
        assert run.leaks_count[name] == v["leaks"], (
            f"ls_client_end said {run.leaks_count[name]} leaks, the "
            f"verdict {v['leaks']}: {v}")
        for f in v["findings"]:
            assert f["test"] == name and f["class"] == "leak", \
                f"verdict of {name}: {show(f)}"
    assert sorted(t["name"] for t in run.report["tests"]) == \
        sorted(expected_names), show(run.report["tests"])


def rates(run):
    """Ops per second of the whole machine while any test churned (the
    union of the tests' churn intervals), per kind and in all."""
    spans = sorted((o.start_ms, o.start_ms + o.ms) for o in run.ops)
    busy, end = 0.0, None
    for a, b in spans:
        if end is None or a > end:
            busy += b - a
            end = b
        elif b > end:
            busy += b - end
            end = b
    tot = {k: sum(getattr(o, k) for o in run.ops)
           for k in ("fds", "sockets", "threads", "forks")}
    sec = busy / 1000 if busy else float("nan")
    out = {k: round(v / sec) for k, v in tot.items()}
    out["all"] = round(sum(tot.values()) / sec)
    out["churn_s"] = round(sec, 3)
    return out


def describe(run, label):
    r = rates(run)
    return (f"{label}: {run.seconds:.1f} s, churning {r['churn_s']} s at "
            f"{r['all']} ops/s ({r['fds']} fds, {r['sockets']} sockets, "
            f"{r['threads']} threads, {r['forks']} forks per s); losses "
            f"{ {k: v for k, v in losses_of(run.report).items() if v} }")


def overlapped(tests):
    """Did tests of different workers run at the same time?"""
    spans = [(t["begin_s"], t["begin_s"] + t["duration_s"],
              t["name"].split("-")[1]) for t in tests]
    return any(a0 < b1 and b0 < a1 and wa != wb
               for i, (a0, a1, wa) in enumerate(spans)
               for (b0, b1, wb) in spans[i + 1:])


@pytest.fixture(scope="module")
def storm_bin():
    if not os.access(STORM, os.X_OK):
        pytest.fail(f"{STORM} is missing: build it first (make)",
                    pytrace=False)
    return STORM


# --------------------------------------------------- default table sizes


@pytest.fixture(scope="module")
def default_storm(tmp_path_factory, storm_bin):
    tmp = tmp_path_factory.mktemp("storm")
    d = leak_files(tmp, WORKERS, TESTS)
    try:
        run = run_storm(tmp, "default", [], [
            "-w", str(WORKERS), "-n", str(TESTS), "-m", str(CHURN_MS),
            "-c", str(CHURNERS), "-d", str(d)])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return run


def test_storm_runs(default_storm):
    """The storm ran to its end, its tests overlapped, and the run left
    nothing behind."""
    run = default_storm
    assert_run_ok(run)
    assert_every_test_answered(run, names(WORKERS, TESTS))
    assert overlapped(run.report["tests"]), \
        f"the workers' tests never overlapped: {show(run.report['tests'])}"
    kinds = collections.Counter(leak.kind for leak in run.leaked)
    assert set(kinds) == set(FINAL_CLASS), kinds
    print(describe(run, "storm, default tables"))


def test_storm_loses_nothing(default_storm):
    """Default table and ring sizes hold a storm of this machine: nothing
    lost, confidence full in the report and in every verdict."""
    run = default_storm
    assert run.report is not None, run.stderr
    assert losses_of(run.report) == dict.fromkeys(LOSS_KEYS, 0), (
        f"losses with default sizes: {losses_of(run.report)}")
    assert run.report["losses"]["confidence"] == "full"
    reduced = sorted(n for n, v in run.verdicts.items()
                     if v["confidence"] != "full")
    assert not reduced, f"verdicts with confidence reduced: {reduced}"
    for t in run.report["tests"]:
        assert t["confidence"] == "full", t


def test_storm_verdicts_exact(default_storm):
    """Every deliberate leak is in the verdict of exactly the test that
    made it, and no verdict holds anything else."""
    run = default_storm
    want = expected_by_test(run)
    problems = []
    for name in names(WORKERS, TESTS):
        v = run.verdicts.get(name)
        if v is None:
            problems.append(f"{name}: no verdict")
            continue
        got = verdict_keys(v)
        missing, extra = want[name] - got, got - want[name]
        if missing or extra:
            problems.append(f"{name} ({v['confidence']}): missing "
                            f"{sorted(missing)}, unexpected {sorted(extra)}")
    assert not problems, "verdicts differ from the deliberate leaks:\n  " + \
        "\n  ".join(problems) + f"\nstderr:\n{run.stderr}"
    for leak in run.leaked:
        f = [f for f in run.verdicts[leak.test]["findings"]
             if finding_key(f) == leak_key(leak)][0]
        by = f["created_by"]
        # A child's creator is its parent (the LEAKED line's last field).
        creator = leak.ident if leak.kind == "process" else leak.pid
        assert by is not None and by["pid"] == creator, \
            f"creator of {leak}: {show(f)}"


def test_storm_final_report(default_storm):
    """The final report holds the deliberate leaks and nothing else, each
    with its test and its final class; the tests' entries agree."""
    run = default_storm
    report = run.report
    assert report is not None, run.stderr
    got = collections.Counter((f["test"], f["class"], finding_key(f))
                              for f in report["findings"])
    want = collections.Counter((leak.test, FINAL_CLASS[leak.kind],
                                leak_key(leak)) for leak in run.leaked)
    missing, extra = want - got, got - want
    assert not missing and not extra, (
        f"final report: missing {sorted(missing, key=repr)}\nunexpected "
        f"{sorted(extra, key=repr)}\nall: {show(report['findings'])}")
    for leak in run.leaked:
        if leak.kind == "process":
            f = [f for f in report["findings"] if f["kind"] == "process"
                 and f["pid"] == leak.pid][0]
            assert f["inherited_fds"] == "0,1,2", show(f)
    by_test = collections.defaultdict(collections.Counter)
    for leak in run.leaked:
        by_test[leak.test][FINAL_CLASS[leak.kind]] += 1
    for t in report["tests"]:
        want_classes = dict.fromkeys(CLASSES, 0)
        want_classes.update(by_test[t["name"]])
        assert t["findings"] == want_classes, t
        assert t["outcome"] == "passed", t


def test_storm_metrics_consistent(default_storm):
    """The activity counters add up: nothing is released more often than
    it was made, and no counter went below zero."""
    metrics = default_storm.report["metrics"]
    bad = {}
    for kind in KINDS:
        m = metrics[kind]
        if not (m["released"] <= m["created"] and m["peak"] <= m["created"]
                and m["alive"] == m["created"] - m["released"]):
            bad[kind] = m
    assert not bad, f"inconsistent metrics: {show(bad)}"


# ---------------------------------------------------- tables forced small


@pytest.fixture(scope="module")
def overflow_storm(tmp_path_factory, storm_bin):
    tmp = tmp_path_factory.mktemp("storm-overflow")
    d = leak_files(tmp, WORKERS, TESTS)
    try:
        run = run_storm(tmp, "overflow", OVERFLOW_OPTS + [
            "--events", str(tmp / "overflow.events")], [
            "-w", str(WORKERS), "-n", str(TESTS), "-m", str(CHURN_MS),
            "-c", str(OVERFLOW_CHURNERS), "-d", str(d)])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return run


def test_overflow_runs_and_says_so(overflow_storm):
    """Overflowing tables and ring: the run still works, and the losses
    are in the report (every kind forced here) and in the verdicts."""
    run = overflow_storm
    assert_run_ok(run)
    assert_every_test_answered(run, names(WORKERS, TESTS))
    losses = losses_of(run.report)
    for key in ("object_table_full", "thread_table_full", "ringbuf_full"):
        assert losses[key] > 0, f"{key} not forced: {losses}"
    assert run.report["losses"]["confidence"] == "reduced"
    reduced = [n for n, v in run.verdicts.items()
               if v["confidence"] == "reduced"]
    assert reduced, "losses, but every verdict says confidence full"
    for t in run.report["tests"]:
        assert t["confidence"] == run.verdicts[t["name"]]["confidence"], \
            (t, run.verdicts[t["name"]])
    want = expected_by_test(run)
    found = sum(sum((verdict_keys(run.verdicts[n]) & want[n]).values())
                for n in run.verdicts)
    missed = sorted((n, k) for n in run.verdicts
                    for k in want[n] - verdict_keys(run.verdicts[n]))
    print(describe(run, "storm, tables forced small") +
          f"; {len(reduced)} of {len(run.verdicts)} verdicts reduced; "
          f"{found} of {len(run.leaked)} deliberate leaks found; "
          f"missed: {missed}")


def test_overflow_no_false_positive(overflow_storm):
    """Whatever is lost, a verdict holds nothing the test did not leak."""
    run = overflow_storm
    want = expected_by_test(run)
    extra = {n: sorted(verdict_keys(v) - want[n])
             for n, v in run.verdicts.items() if verdict_keys(v) - want[n]}
    assert not extra, f"false positives in verdicts: {extra}"


def test_overflow_full_verdicts_exact(overflow_storm):
    """A deliberate leak may be missing only from a verdict that says
    "reduced"; a verdict that says "full" is exact."""
    run = overflow_storm
    want = expected_by_test(run)
    wrong = {}
    for name, v in run.verdicts.items():
        missing = want[name] - verdict_keys(v)
        if missing and v["confidence"] != "reduced":
            wrong[name] = sorted(missing)
    assert not wrong, (f"leaks missing from verdicts that say confidence "
                       f"full: {wrong}\nlosses: {losses_of(run.report)}")


def test_overflow_final_report(overflow_storm):
    """The final report invents nothing: each finding is a deliberate leak
    that its test's verdict reported (with that test, or none when its
    origin was lost), in its final class; and since leftovers are checked
    on the live system, every child still running is there."""
    run = overflow_storm
    report = run.report
    assert report is not None, run.stderr
    by_key = {leak_key(leak): leak for leak in run.leaked}
    problems = []
    seen = set()
    for f in report["findings"]:
        leak = by_key.get(finding_key(f))
        if leak is None or f["test"] not in (leak.test, None) or \
                f["class"] != FINAL_CLASS[leak.kind]:
            problems.append(f"not a deliberate leak: {show(f)}")
            continue
        seen.add(finding_key(f))
    for leak in run.leaked:
        key = leak_key(leak)
        in_verdict = key in verdict_keys(run.verdicts[leak.test])
        if leak.kind == "process":
            if key not in seen:
                problems.append(f"leftover child missing: {leak}")
        elif in_verdict != (key in seen):
            problems.append(f"{leak}: in the verdict {in_verdict}, in the "
                            f"final report {key in seen}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------- overlap


def test_overlap_loss_reduces_running_tests(tmp_path, storm_bin):
    """overlap-long runs while overlap-before, overlap-burst (48 threads
    alive at once: the 16-entry thread table overflows) and overlap-after
    run one after the other in child processes. The loss happened while
    overlap-long and overlap-burst ran: both must say "reduced" (a BEGIN
    after the loss does not wash it out); the other two saw no loss."""
    run = run_storm(tmp_path, "overlap", ["--max-threads", "16"],
                    ["-o", "-b", "48"])
    assert_run_ok(run)
    assert losses_of(run.report)["thread_table_full"] > 0, \
        losses_of(run.report)
    want = {"overlap-long": "reduced", "overlap-before": "full",
            "overlap-burst": "reduced", "overlap-after": "full"}
    assert set(run.verdicts) == set(want), run.stdout
    for name, v in run.verdicts.items():
        assert v["findings"] == [], v
    got = {n: v["confidence"] for n, v in run.verdicts.items()}
    assert got == want, f"confidence of the verdicts: {got}, expected {want}"
    assert run.report["findings"] == [], show(run.report["findings"])


# ------------------------------------------ leakscope bugs (regressions)


def test_regression_fd_reuse_race_hides_leaks(tmp_path, storm_bin):
    """One worker whose two churning threads open and close fds without
    pause, while its main thread leaks 20 fds per test (40 tests), one
    churn round apart, in the middle of the churn; nothing else runs
    (--grace 50: the leaks never go away, a long re-check only costs
    time). Every leaked fd must be in its test's verdict, or the verdict
    must say "reduced" -- and no table can be full: the 65536-entry object
    table never holds more than ~1000 entries here.

    The bug this caught: a close handled at its syscall exit by the fd
    number alone deleted the record of a new fd that another thread had
    been given the same number for meanwhile (the leak was missing from a
    "full" verdict); in the other order the opener's insert failed and was
    counted as object_table_full. close is now handled as it enters."""
    tests, per_test = 40, 20
    d = leak_files(tmp_path, 1, tests)
    run = run_storm(tmp_path, "race", ["--grace", "50"], [
        "-w", "1", "-n", str(tests), "-m", "30", "-c", "2", "-k", "fd",
        "-l", str(per_test), "-d", str(d)])
    assert_run_ok(run)
    assert len(run.leaked) == tests * per_test
    want = expected_by_test(run)
    wrong = {}
    for name, v in run.verdicts.items():
        missing = want[name] - verdict_keys(v)
        extra = verdict_keys(v) - want[name]
        if extra or (missing and v["confidence"] != "reduced"):
            wrong[name] = (v["confidence"], sorted(k[2] for k in missing),
                           sorted(extra))
    assert not wrong, (
        f"verdicts (confidence, missing fds, unexpected) that are wrong: "
        f"{wrong}\nlosses: {losses_of(run.report)}")
    assert losses_of(run.report) == dict.fromkeys(LOSS_KEYS, 0), \
        f"losses of a 65536-entry table holding < 1000 fds: " \
        f"{losses_of(run.report)}"


# CMD under --max-objects 16: the Python interpreter's own mappings fill
# the object table before the first test. Test kept opens a file and keeps
# it; test before-kept ends with a file that was open at its BEGIN; test
# clean opens and closes one.
UNRECORDED = lsmarked.ASK_PRELUDE + r"""
early = open("/etc/hostname")
ask("BEGIN_BEFORE", b"BEGIN before-kept\n")
ask("END_BEFORE", b"END before-kept passed\n")
ask("BEGIN_KEPT", b"BEGIN kept\n")
kept = open("/etc/os-release")
print("KEPT_FD=%d" % kept.fileno(), flush=True)
ask("END_KEPT", b"END kept passed\n")
ask("BEGIN_CLEAN", b"BEGIN clean\n")
open("/etc/os-release").close()
ask("END_CLEAN", b"END clean passed\n")
"""


def test_overflow_unrecorded_fd_still_charged(run_ls):
    """Once the object table has overflowed, an fd can be made without a
    record. The open files of a test's process are then noted at BEGIN,
    and an unrecorded fd the test opened and kept is still its leak (its
    creator unknown); one open before BEGIN, or opened and closed, is not."""
    res = run_ls(["--max-objects", "16"],
                 ["/usr/bin/python3", "-c", UNRECORDED])
    assert res.rc == 0, res.stderr
    facts = lsmarked.parse(res.stdout).facts
    verdicts = {k: json.loads(lsmarked.one(facts, k)[3:])
                for k in ("END_BEFORE", "END_KEPT", "END_CLEAN")}
    assert res.report["losses"]["object_table_full"] > 0, res.report["losses"]
    kept = verdicts["END_KEPT"]
    fds = [(x["kind"], x["fd"], x["path"]) for x in kept["findings"]
           if x["kind"] == "fd"]
    assert fds == [("fd", lsmarked.num(facts, "KEPT_FD"),
                    os.path.realpath("/etc/os-release"))], \
        lsmarked.show(kept["findings"])
    for name in ("END_BEFORE", "END_CLEAN"):
        assert [x for x in verdicts[name]["findings"]
                if x["kind"] == "fd"] == [], (name, verdicts[name])


# CMD under --max-threads 16: test many-threads starts 24 threads that
# wait, and ends with them running; then they are let go.
UNRECORDED_THREADS = lsmarked.ASK_PRELUDE + r"""
import threading
go = threading.Event()
ask("BEGIN", b"BEGIN many-threads\n")
ts = [threading.Thread(target=go.wait) for _ in range(24)]
for t in ts:
    t.start()
print("TIDS=" + ",".join(str(t.native_id) for t in ts), flush=True)
ask("END", b"END many-threads passed\n")
go.set()
for t in ts:
    t.join()
"""


def test_overflow_unrecorded_threads_still_charged(run_ls):
    """A thread table of 16 cannot record 24 threads: those without a
    record, started by the test's process after its BEGIN, are still the
    test's leaks, each one exactly once."""
    res = run_ls(["--max-threads", "16"],
                 ["/usr/bin/python3", "-c", UNRECORDED_THREADS])
    assert res.rc == 0, res.stderr
    facts = lsmarked.parse(res.stdout).facts
    tids = sorted(int(t) for t in lsmarked.one(facts, "TIDS").split(","))
    assert res.report["losses"]["thread_table_full"] > 0, \
        res.report["losses"]
    v = json.loads(lsmarked.one(facts, "END")[3:])
    got = sorted(x["tid"] for x in v["findings"] if x["kind"] == "thread")
    assert got == tids, lsmarked.show(v["findings"])
    assert v["confidence"] == "reduced", v

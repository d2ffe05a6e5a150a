"""`leakscope run` against real workloads: processes, zombies and threads.

Covers: a "clean" workload (no findings, and the metrics prove that tracing
saw the activity) and a "leak" workload (exactly the expected findings,
compared as a multiset, with their details) for processes and threads; a
zombie; --keep-orphans; a daemon that ignores SIGTERM; a daemon that winds
down within the grace; processes that move out of the watched cgroup (and
the kernel's process table, read with bpftool, for one reaped out there).

Every run must also exit 0, lose nothing, remove its cgroup and leave no
process behind (lsworkload.py). Workloads: tests/bpf/workloads/workload.c;
they print KEY=VALUE facts.
"""

import concurrent.futures
import os
import subprocess
import time

from lstest import (LEAKSCOPE, cgroup2_mount, held_map, map_entries,
                    poll_until)

from lsworkload import (WORKLOAD, _comm_of, assert_creator,
                        assert_findings, assert_metric, assert_no_findings,
                        assert_nothing_left, assert_run_ok, check_proc_leak,
                        daemon_process, fact_pids, facts, num, of_kind,
                        run_workload, show)

# ------------------------------------------------------------- processes


def test_proc_clean(run_ls):
    n = 50
    res = run_workload(run_ls, ["proc-clean", str(n)])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    assert num(fs, "PROCS") == n + 2
    # The workload, n forks, one posix_spawn, one vfork: exec is no process.
    assert_metric(report, "process", "created", "==", n + 3)
    assert_metric(report, "process", "released", "==", n + 3)
    assert_metric(report, "process", "alive", "==", 0)


def test_proc_leak(run_ls):
    check_proc_leak(run_workload(run_ls, ["proc-leak"]))


def test_zombie(run_ls):
    res = run_workload(run_ls, ["zombie"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d, z = num(fs, "DAEMON"), num(fs, "ZOMBIE")
    assert_findings(report, [
        daemon_process(report, fs, [WORKLOAD, "zombie"]),
        ("process", "zombie", z, "workload", None, 1, 7 << 8),
    ])
    [zf] = [f for f in report["findings"] if f["class"] == "zombie"]
    assert zf["ppid"] == d, f"the zombie's parent is the daemon: {zf}"
    assert zf["exit_status"] == 1792, zf
    assert_creator(report, zf, d)
    assert_metric(report, "process", "created", "==", 4)
    # A process counts as released when it exits; the zombie is a finding.
    assert_metric(report, "process", "alive", "==", 1)


def test_keep_orphans(run_ls):
    """--keep-orphans: reported, left running, the cgroup kept."""
    res = run_workload(run_ls, ["proc-leak"], extra=["--keep-orphans"])
    report, fs = res.report, facts(res.stdout)
    cgroup = report["cgroup"] if report else None
    try:
        assert res.rc == 0, (res.rc, res.stderr)
        d = num(fs, "DAEMON")
        assert_findings(report, [daemon_process(
            report, fs, [WORKLOAD, "sleeper", "120"])])
        cleanup = report["cleanup"]
        assert cleanup["kept_orphans"] is True, cleanup
        assert cleanup["cgroup_removed"] is False, cleanup
        assert _comm_of(d) == "workload", "the daemon must still run"
        with open(os.path.join(cgroup, "cgroup.procs")) as f:
            assert int(f.read().split()[0]) == d
    finally:
        if cgroup and os.path.isdir(cgroup):
            with open(os.path.join(cgroup, "cgroup.kill"), "w") as f:
                f.write("1")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.rmdir(cgroup)
                    break
                except OSError:
                    time.sleep(0.02)
    assert_nothing_left(fact_pids(fs))


def test_stubborn_daemon_is_killed_through_the_cgroup(run_ls):
    """A daemon that ignores SIGTERM: SIGTERM, then cgroup.kill."""
    res = run_workload(run_ls, ["stubborn"], extra=["--kill-grace", "200"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_findings(report, [daemon_process(report, fs,
                                            [WORKLOAD, "stubborn"])])
    cleanup = report["cleanup"]
    assert cleanup["sigterm_sent"] == 1 and cleanup["cgroup_killed"] is True, \
        f"cleanup: {cleanup}"


# --------------------------------------------------------------- threads


def test_thread_clean(run_ls):
    n = 100
    res = run_workload(run_ls, ["thread-clean", str(n)])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    assert num(fs, "THREADS") == n
    assert_metric(report, "thread", "created", "==", n)
    assert_metric(report, "thread", "released", "==", n)
    assert_metric(report, "thread", "alive", "==", 0)
    assert_metric(report, "thread", "peak", "==", 20)  # batches of 20


def test_thread_leak(run_ls):
    res = run_workload(run_ls, ["thread-leak"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    tids = [int(t) for t in fs["TID"]]
    assert len(set(tids)) == 2 and d not in tids, tids
    assert_findings(report, [
        daemon_process(report, fs, [WORKLOAD, "thread-leak"], threads=3)
    ] + [("thread", "orphan", d, t, "lsw-worker") for t in tids])
    for f in of_kind(report, "thread"):
        assert f["created_at_s"] >= 0, f
    assert_metric(report, "thread", "created", "==", 2)
    assert_metric(report, "thread", "alive", "==", 2)


# --max-threads 32: 16 slots (a thread at tid modulo 16) and an overflow
# table of 16 (bpf/common.bpf.h).
SMALL_THREAD_TABLE = ["--max-threads", "32"]


def test_threads_that_share_a_slot_are_recorded_in_the_overflow(run_ls):
    """24 threads alive at once where 16 slots can hold them: at least 8
    share a slot (whatever their numbers) and go to the overflow table. Each is still recorded,
    counted, and named with its creator."""
    n = 24
    res = run_workload(run_ls, ["thread-leak", str(n)],
                       extra=SMALL_THREAD_TABLE)
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    tids = sorted(int(t) for t in fs["TID"])
    assert len(set(tids)) == n, tids
    threads = of_kind(report, "thread")
    assert sorted(f["tid"] for f in threads) == tids, show(report)
    for f in threads:
        assert_creator(report, f, d)
    assert_metric(report, "thread", "created", "==", n)
    assert_metric(report, "thread", "alive", "==", n)


def test_thread_records_are_freed_for_the_next_threads(run_ls):
    """200 threads in batches of 20 through 32 records: each exit must
    free its slot or overflow entry, or a later batch does not fit."""
    n = 200
    res = run_workload(run_ls, ["thread-clean", str(n)],
                       extra=SMALL_THREAD_TABLE)
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "thread", "created", "==", n)
    assert_metric(res.report, "thread", "released", "==", n)
    assert_metric(res.report, "thread", "alive", "==", 0)


def test_a_thread_that_execs_stops_being_a_thread(run_ls):
    """A thread other than the main one execs: it takes the process over
    as its leader, and its thread record is released (its slot too: a
    small table, so that a record left behind would show as alive)."""
    res = run_workload(run_ls, ["thread-exec"], extra=SMALL_THREAD_TABLE)
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "thread", "created", "==", 1)
    assert_metric(res.report, "thread", "released", "==", 1)
    assert_metric(res.report, "thread", "alive", "==", 0)


def test_daemon_that_winds_down_within_the_grace_is_no_leftover(run_ls):
    """--grace: a daemon that exits 100 ms after the command is not left
    over with the default 400 ms grace, and is with --grace 0."""
    res = run_workload(run_ls, ["brief-daemon", "100"])
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert res.report["cleanup"]["sigterm_sent"] == 0, res.report["cleanup"]
    assert_metric(res.report, "process", "created", "==", 3)
    res = run_workload(run_ls, ["brief-daemon", "300"],
                       extra=["--grace", "0"])
    assert_run_ok(res)
    fs = facts(res.stdout)
    assert_findings(res.report, [daemon_process(
        res.report, fs, [WORKLOAD, "brief-daemon", "300"])])


# ---------------------------------------------- processes that move out


def test_a_process_that_moves_out_is_followed_to_its_exit(run_ls,
                                                          attach_cgroup):
    """A process with a thread, an fd and a mapping made in the watch
    moves to another cgroup; its thread ends and it exits out there. The
    watch follows it: everything it made is released, nothing is alive
    (before, its exit went unseen and all of it stayed alive)."""
    res = run_workload(run_ls, ["escape-exit", attach_cgroup])
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "process", "created", "==", 2)
    assert_metric(res.report, "thread", "created", "==", 1)
    for kind in ("process", "thread", "fd", "mapping"):
        assert_metric(res.report, kind, "alive", "==", 0)


def test_a_process_that_moves_out_and_stays_is_an_orphan(run_ls,
                                                          attach_cgroup,
                                                          tmp_path):
    """A daemon that moves itself to another cgroup is still the run's
    leftover: named, with the cgroup it moved to and the fd it holds, and
    left running (it is outside the cgroup leakscope may kill in)."""
    res = run_workload(run_ls, ["escape-stay", attach_cgroup])
    assert res.rc == 0, (res.rc, res.stderr)
    assert res.report["losses"]["confidence"] == "full", res.report["losses"]
    assert res.report["cleanup"]["cgroup_removed"] is True, res.report
    daemon = num(facts(res.stdout), "DAEMON")
    [p] = of_kind(res.report, "process")
    assert (p["pid"], p["class"]) == (daemon, "orphan"), show(res.report)
    rel = "/" + os.path.relpath(attach_cgroup, cgroup2_mount())
    assert p["moved_out_to"] == rel, p
    [fd] = of_kind(res.report, "fd")
    assert (fd["pid"], fd["path"], fd["class"]) == (daemon, "/dev/null",
                                                    "orphan"), fd
    assert os.path.exists(f"/proc/{daemon}"), "an escaped daemon was killed"
    with open(os.path.join(attach_cgroup, "cgroup.procs")) as f:
        assert str(daemon) in f.read().split()

    # The text report says it too (a second daemon, to the same cgroup).
    err = tmp_path / "text.txt"
    with open(err, "wb") as f:
        subprocess.run([LEAKSCOPE, "run", "--", WORKLOAD, "escape-stay",
                        attach_cgroup], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=f, timeout=60,
                       check=True)
    assert "moved out of the watch to cgroup " + rel in err.read_text()


LS_PROC_ESCAPED = 1 << 6  # include/leakscope/abi.h


def wait_for_file(path, timeout=30):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.01)


def test_a_process_reaped_out_there_leaves_the_process_table(
        run_ls, attach_cgroup, tmp_path):
    """A child moves out and exits; its parent, in the watch, reaps it only
    when the test says so. Until then the kernel keeps its entry in the
    process table (marked escaped: all that follows it out there); at the
    reap the free hook drops it (before, nothing did: entries piled up,
    and a later process given the same pid would pass for escaped)."""
    sync = tmp_path / "sync"
    sync.mkdir()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        run = pool.submit(run_workload, run_ls,
                          ["escape-reap", attach_cgroup, str(sync)])
        try:
            wait_for_file(sync / "zombie")
            zombie, wl = map(int, (sync / "zombie").read_text().split())
            agent = int(open(f"/proc/{wl}/stat").read().rsplit(")", 1)[1]
                        .split()[1])
            assert _comm_of(agent) == "leakscope", (wl, agent)
            procs = held_map(agent, "procs")
            assert procs is not None, f"agent {agent} holds no procs map"
            entry = map_entries(procs).get(zombie)
            assert entry is not None, f"no entry for zombie {zombie}"
            assert entry["flags"] & LS_PROC_ESCAPED, entry
            (sync / "reap").touch()
            # The free hook runs an RCU grace period after the reap, which
            # lazy RCU may put off for seconds.
            gone = poll_until(lambda: zombie not in map_entries(procs), 30, 0.1)
            assert gone, f"entry of reaped {zombie} still in the table"
        finally:
            (sync / "reap").touch()
            (sync / "done").touch()
        res = run.result(timeout=90)
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert num(facts(res.stdout), "REAPED") == zombie
    assert_metric(res.report, "process", "created", "==", 2)
    assert_metric(res.report, "process", "alive", "==", 0)

"""`leakscope run` against real workloads: tests that document leakscope
bugs found here, since fixed (named test_regression_*).

Every run must also exit 0, lose nothing, remove its cgroup and leave no
process behind (lsworkload.py). Workloads: tests/bpf/workloads/workload.c;
they print KEY=VALUE facts.
"""

import os

from lsworkload import (WORKLOAD, assert_findings, assert_metric,
                        assert_no_findings, assert_run_ok, facts, num,
                        of_kind, one, run_workload, show)

# ------------------------------------- regressions: bugs found here, fixed


def test_regression_anon_inode_leaks_mistaken_for_inherited(run_ls):
    """Every eventfd a daemon keeps is a finding. Was: the baseline of
    leakscope's own files held the iterator's short-lived fds; anon inodes
    share one inode, so a leaked eventfd reusing a freed file address passed
    for inherited (about half of the runs, so try a few)."""
    n = 64
    for attempt in range(5):
        res = run_workload(run_ls, ["anon-leak", str(n)])
        assert_run_ok(res)
        report, fs = res.report, facts(res.stdout)
        d = num(fs, "DAEMON")
        fds = [int(x) for x in one(fs, "FDS").split(",")]
        assert len(fds) == n
        [p] = of_kind(report, "process")
        assert p["inherited_fds"] == "0,1,2", (
            f"attempt {attempt + 1}: the daemon's own eventfds (fds "
            f"{fds[0]}..{fds[-1]}) called inherited and not reported: "
            f"inherited_fds {p['inherited_fds']}")
        assert_findings(report, [
            ("process", "orphan", d, "workload",
             (WORKLOAD, "anon-leak", str(n)), 1, None),
        ] + [("fd", "orphan", d, fd, "eventfd", "anon_inode:[eventfd]")
             for fd in fds])


def test_regression_unbound_unix_socket_has_a_local_addr(run_ls):
    """An unbound unix socket (the client of a unix connection) has no
    local address. Was: the iterator's bpf_d_path fallback "socket:[N]"."""
    res = run_workload(run_ls, ["socket-leak"])
    assert_run_ok(res)
    fs = facts(res.stdout)
    [client] = [f for f in of_kind(res.report, "socket")
                if f["fd"] == num(fs, "UNIX_FD_CLIENT")]
    assert client["peer_addr"] == one(fs, "UNIX_PATH"), client
    assert client["local_addr"] is None, \
        f"an unbound unix socket has no local address: {client}"


def test_regression_thread_findings_name_their_creator(run_ls):
    """Each finding says who created it (pid, tid, comm), threads too.
    Was: thread findings had created_by null."""
    res = run_workload(run_ls, ["thread-leak"])
    assert_run_ok(res)
    d = num(facts(res.stdout), "DAEMON")
    threads = of_kind(res.report, "thread")
    assert len(threads) == 2, show(res.report)
    for f in threads:
        assert f["created_by"] is not None, \
            f"thread finding without created_by: {f}"
        assert f["created_by"]["pid"] == d, f


def test_regression_process_metrics_count_reaped_processes_as_alive(run_ls):
    """A process is released when it exits. Was: released only at
    sched_process_free, an RCU callback that lazy RCU runs long after the
    reap, so an exited daemon stayed "alive" and proc-clean (never more than
    two processes at once) reported a peak of about its number of forks."""
    res = run_workload(run_ls, ["brief-daemon", "100"])
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "process", "alive", "==", 0)
    n = 50
    res = run_workload(run_ls, ["proc-clean", str(n)])
    assert_run_ok(res)
    assert_metric(res.report, "process", "created", "==", n + 3)
    assert_metric(res.report, "process", "peak", "<=", 3)


def test_regression_daemon_whose_main_thread_exited_is_not_reported(run_ls):
    """A daemon whose main thread called pthread_exit lives on in its other
    thread and is reported. Was: taken for a zombie and dropped."""
    res = run_workload(run_ls, ["leader-exit"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d, tid = num(fs, "DAEMON"), num(fs, "TID")
    procs = [f for f in of_kind(report, "process") if f["pid"] == d]
    assert [p["class"] for p in procs] == ["orphan"], (
        f"the live daemon {d} (main thread exited, thread {tid} running) "
        f"must be one orphan process finding; cleanup: "
        f"{report['cleanup']}; findings: {show(report)}")
    threads = [(f["pid"], f["tid"], f["comm"])
               for f in of_kind(report, "thread")]
    assert threads == [(d, tid, "lsw-worker")], \
        f"the running thread must be reported: {show(report)}"


def test_regression_directory_renamed_away_and_remade(run_ls):
    """mkdir D; rename D to D.old; mkdir D: both directories are left and
    reported. Was: the agent read D's inode late, found the second D, and
    lost D.old."""
    res = run_workload(run_ls, ["temp-dir-swap"])
    assert_run_ok(res)
    fs = facts(res.stdout)
    assert_findings(res.report, [
        ("tempfile", "orphan", one(fs, "LEFT_DIR"), "dir", 0),
        ("tempfile", "orphan", one(fs, "LEFT_OLD"), "dir", 0),
    ])


def test_regression_relative_mkdir_into_a_root_from_outside(run_ls):
    """With cwd "/", mkdir("tmp/lsw-...") makes a directory in /tmp and is
    reported. Was: relative paths were followed only from inside a root."""
    res = run_workload(run_ls, ["temp-from-root"])
    assert_run_ok(res)
    fs = facts(res.stdout)
    assert_findings(res.report, [
        ("tempfile", "orphan", one(fs, "LEFT_DIR"), "dir", 0),
        ("tempfile", "orphan", one(fs, "LEFT_FILE"), "file", 3),
    ])


def test_regression_rename_exchange_keeps_both_files(run_ls):
    """renameat2(RENAME_EXCHANGE) swaps two temp files; both are reported.
    Was: treated as a plain rename, dropping one."""
    res = run_workload(run_ls, ["temp-exchange"])
    assert_run_ok(res)
    fs = facts(res.stdout)
    x1, x2 = one(fs, "LEFT_X1"), one(fs, "LEFT_X2")
    assert os.path.getsize(x1) == 4 and os.path.getsize(x2) == 3
    assert_findings(res.report, [("tempfile", "orphan", x1, "file", 4),
                                 ("tempfile", "orphan", x2, "file", 3)])


def test_regression_mappings_of_exited_processes_do_not_fill_the_table(
        run_ls):
    """A process that exits (or execs) holding mappings left their records
    in the table of live fds and mappings: ld.so's ~8 per exec'd program
    filled the default table after ~8000 programs, and what came later went
    unrecorded (a build or a shell-heavy suite: losses, confidence
    reduced). 1500 programs fill a table of 4096 three times over."""
    n = 1500
    loop = f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done"
    res = run_ls(["--max-objects", "4096"], ["sh", "-c", loop])
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "process", "created", "==", n + 1)
    assert_metric(res.report, "mapping", "created", ">=", 4 * n)
    assert_metric(res.report, "mapping", "alive", "==", 0)
    assert_metric(res.report, "fd", "alive", "==", 0)

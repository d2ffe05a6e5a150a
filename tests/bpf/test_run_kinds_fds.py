"""`leakscope run` against real workloads: fds and sockets.

Covers: a "clean" workload (no findings, and the metrics prove that tracing
saw the activity) and a "leak" workload (exactly the expected findings,
compared as a multiset, with their details) for fds and for sockets; the
type and path of every other kind of fd a daemon can keep; fds that the
command opened and left to a daemon.

Every run must also exit 0, lose nothing, remove its cgroup and leave no
process behind (lsworkload.py). Workloads: tests/bpf/workloads/workload.c;
they print KEY=VALUE facts.
"""

import gzip
import os

from lsworkload import (FD_CLEAN_N, WORKLOAD, assert_creator,
                        assert_findings, assert_metric, assert_no_findings,
                        assert_run_ok, check_fd_clean, check_fd_leak,
                        check_socket_leak, daemon_process, facts, metric,
                        num, of_kind, one, run_workload)

# ------------------------------------------------------------------- fds


def test_fd_clean(run_ls):
    check_fd_clean(run_workload(run_ls, ["fd-clean", str(FD_CLEAN_N)]))


def test_fd_leak(run_ls):
    check_fd_leak(run_workload(run_ls, ["fd-leak"]))


def test_fd_types(run_ls):
    """The type and path of each remaining kind of fd a daemon can keep."""
    res = run_workload(run_ls, ["fd-types"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    want = [daemon_process(report, fs, [WORKLOAD, "fd-types"])]
    for name, typ, path in (
            ("FD_DIR", "dir", "/"),
            ("FD_CHARDEV", "chardev", "/dev/null"),
            ("FD_FIFO", "fifo", one(fs, "FIFO")),
            ("FD_TIMERFD", "timerfd", "anon_inode:[timerfd]"),
            ("FD_SIGNALFD", "signalfd", "anon_inode:[signalfd]"),
            ("FD_INOTIFY", "inotify", "anon_inode:inotify"),
            ("FD_PIDFD", "pidfd", "anon_inode:[pidfd]")):
        want.append(("fd", "orphan", d, num(fs, name), typ, path))
    # mkfifo(3) is mknod(2): no temp object, as bind(2) for sockets.
    assert_findings(report, want)
    for f in of_kind(report, "fd"):
        assert_creator(report, f, d)


def test_fd_inherited_by_daemon_names_the_command_as_creator(run_ls):
    """A daemon keeps a file and a socket that the command opened and left
    to it: they are the daemon's findings, created by the command."""
    res = run_workload(run_ls, ["fd-inherit"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d, port = num(fs, "DAEMON"), num(fs, "TCP_PORT")
    assert_findings(report, [
        daemon_process(report, fs, [WORKLOAD, "fd-inherit"]),
        ("fd", "orphan", d, num(fs, "FD_FILE"), "file", "/etc/hostname"),
        ("socket", "orphan", d, num(fs, "FD_LISTEN"), "inet", "stream",
         "tcp", "LISTEN", "127.0.0.1", port, None, None, None),
    ])
    for f in of_kind(report, "fd") + of_kind(report, "socket"):
        assert_creator(report, f, num(fs, "PID"))


def test_pipe_ends_recorded_whatever_their_layout(run_ls):
    """fd.bpf.c finds a pipe's two fds in the fd table when no other task
    shares it (ends adjacent, or a few fds apart) and reads them from the
    caller's array otherwise (ends further apart, a second thread): each
    way both ends are recorded when the pipe is made, by the thread that
    made it, not found only by the end-of-run sweep. AROUND's ends enclose
    another pipe's: the scan from its write end must pass them by."""
    res = run_workload(run_ls, ["pipe-layouts"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    fds = {f["fd"]: f for f in of_kind(report, "fd") if f["pid"] == d}
    for tag in ("ADJACENT", "GAP3", "GAP12", "AROUND", "THREAD"):
        ends = [fds.get(num(fs, tag + "_R")), fds.get(num(fs, tag + "_W"))]
        assert all(ends), f"{tag}: {sorted(fds)}"
        assert {f["type"] for f in ends} == {"pipe"}, ends
        assert ends[0]["path"] == ends[1]["path"], ends
        for f in ends:
            assert f["created_by"] == {"pid": d, "tid": num(fs, tag + "_TID"),
                                       "comm": "workload"}, (tag, f)
            assert f["created_at_s"] is not None, (tag, f)
    # AROUND's ends enclose another pipe's, which is kept too
    assert len({f["path"] for f in fds.values() if f["type"] == "pipe"}) == 6
    # Each fd kept has its own live record: an end recorded under a wrong
    # number leaves one record stale and the other fd without any.
    assert_metric(report, "fd", "alive", "==", len(of_kind(report, "fd")))


def kernel_hz():
    """CONFIG_HZ from the kernel config where libbpf looks for it, or
    None if there is none."""
    release = os.uname().release
    for path, opener in (("/boot/config-" + release, open),
                         ("/proc/config.gz", gzip.open)):
        try:
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith("CONFIG_HZ="):
                        return int(line.split("=", 1)[1])
        except OSError:
            continue
    return None


def test_fd_creation_times_to_the_tick(run_ls):
    """fds are timed by jiffies (a TSC read costs too much per fd): the
    report gives the tick, and the times agree, to within it, with the
    precise times of processes made between them."""
    res = run_ls([], ["sh", "-c",
                      "exec 7</dev/null; sleep 0.3; exec 8</dev/null; "
                      "sleep 30 & echo DAEMON=$!"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    hz = kernel_hz()
    tick = report["created_at_tick_ms"]
    assert tick == (round(1000 / hz, 3) if hz else None), (tick, hz)
    slack = (tick or 0) / 1000
    d = num(fs, "DAEMON")
    fds = {f["fd"]: f["created_at_s"] for f in of_kind(report, "fd")
           if f["pid"] == d}
    procs = [f for f in of_kind(report, "process") if f["pid"] == d]
    assert len(procs) == 1, report["findings"]
    daemon_at = procs[0]["created_at_s"]
    assert set(fds) >= {7, 8}, report["findings"]
    # fd 8 was opened 0.3 s after fd 7, just before the daemon was forked.
    assert 0.3 - 2 * slack <= fds[8] - fds[7] < 1.0, fds
    assert daemon_at - 0.1 - slack <= fds[8] <= daemon_at + slack, \
        (fds, daemon_at)


# --------------------------------------------------------------- sockets


def test_socket_clean(run_ls):
    res = run_workload(run_ls, ["socket-clean"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "SOCKETS")
    assert made >= 10, made
    assert_metric(report, "socket", "created", ">=", made)
    assert_metric(report, "socket", "released", "==",
                  metric(report, "socket")["created"])
    assert_metric(report, "socket", "alive", "==", 0)
    assert_metric(report, "socket", "peak", "<=", 4)
    # The unix socket's directory: made, then removed.
    assert_metric(report, "tempfile", "created", "==", 1)
    assert_metric(report, "tempfile", "alive", "==", 0)
    assert not os.path.exists(one(fs, "UNIX_DIR"))


def test_socket_leak(run_ls):
    check_socket_leak(run_workload(run_ls, ["socket-leak"]))


def test_creation_stacks_past_the_stack_table_are_counted_losses(run_ls):
    """At --level stacks each distinct creation stack takes an entry of a
    table of 16384. A binary recursion makes 2^15 distinct ones: the
    stacks that find no room are counted (stack_table_full) and lower the
    confidence; they were dropped silently. 2^8 fit with no loss."""
    stacks = ["--level", "stacks"]
    res = run_workload(run_ls, ["stacks-many", "8"], extra=stacks)
    assert_run_ok(res)  # report-schema.md: stacks reports level "full"
    res = run_workload(run_ls, ["stacks-many", "15"], extra=stacks)
    assert res.rc == 0, res.stderr
    losses = res.report["losses"]
    made = metric(res.report, "fd")["created"]
    assert made >= 1 << 15, made
    # Every stack past the table's size, and the few whose slot (a 31-bit
    # hash) another stack took.
    assert made - 16384 <= losses["stack_table_full"] <= made - 16384 + 256, \
        losses
    assert losses["confidence"] == "reduced", losses
    others = {k: v for k, v in losses.items()
              if k not in ("stack_table_full", "confidence")}
    assert not any(others.values()), losses


def test_max_stacks_sizes_the_stack_table(run_ls):
    """--max-stacks 64: of the 2^8 distinct leaf stacks that fit the
    default table, all but 64 at most are counted as lost."""
    res = run_workload(run_ls, ["stacks-many", "8"],
                       extra=["--level", "stacks", "--max-stacks", "64"])
    assert res.rc == 0, res.stderr
    losses = res.report["losses"]
    made = metric(res.report, "fd")["created"]
    assert (1 << 8) - 64 <= losses["stack_table_full"] <= made, losses
    assert losses["confidence"] == "reduced", losses

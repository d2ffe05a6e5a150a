"""`leakscope run` against real workloads, one resource kind at a time.

Covers, for fds, sockets, processes, zombies, threads, memory mappings,
temporary files and child cgroups: a "clean" workload (no findings, and the
metrics prove that tracing saw the activity) and a "leak" workload (exactly
the expected findings, compared as a multiset, with their details). Every
run must also exit 0, lose nothing, remove its cgroup and leave no process
behind. Then the same checks under the tracing fallbacks
(LEAKSCOPE_DISABLE_ATTACH) and at --level snapshot, a few more leak shapes
(inherited fds, nested cgroups, a daemon that ignores SIGTERM, temp roots)
and tests that document leakscope bugs (named test_regression_*).

Workloads: tests/bpf/workloads/workload.c; they print KEY=VALUE facts.
"""

import collections
import json
import os
import re
import shutil
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))
WORKLOAD = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                         "workload"))

LOSS_KEYS = ("ringbuf_full", "object_table_full", "process_table_full",
             "cgroup_table_full", "path_truncated", "origin_table_full",
             "malformed_records")
SYSCALL_HOOKS = ("fd_new", "fd_close", "mm", "temp")

# ---------------------------------------------------------------- helpers


def facts(stdout):
    """KEY=VALUE lines of the workload, KEY -> [values]."""
    out = collections.defaultdict(list)
    for line in stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Z0-9_]+", name):
            out[name].append(value)
    return out


def one(fs, name):
    assert len(fs.get(name, [])) == 1, \
        f"workload printed {name}= {len(fs.get(name, []))} times: {dict(fs)}"
    return fs[name][0]


def num(fs, name):
    return int(one(fs, name))


def show(report):
    return json.dumps(report["findings"] if report else None, indent=1)


def anon(path):
    """'pipe:[1234]' -> 'pipe:[N]': inode numbers are not predictable."""
    return re.sub(r"\[\d+\]$", "[N]", path) if path else path


def finding_key(f):
    """What identifies a finding, per kind (no times, sizes of RSS...)."""
    kind, cls = f["kind"], f["class"]
    if kind == "fd":
        return (kind, cls, f["pid"], f["fd"], f["type"], anon(f["path"]))
    if kind == "socket":
        return (kind, cls, f["pid"], f["fd"], f["family"], f["sock_type"],
                f["protocol"], f["state"], f["local_addr"], f["local_port"],
                f["peer_addr"], f["peer_port"], f["database"])
    if kind == "process":
        argv = tuple(f["argv"]) if f["argv"] is not None else None
        return (kind, cls, f["pid"], f["comm"], argv, f["threads"],
                f.get("exit_status"))
    if kind == "thread":
        return (kind, cls, f["pid"], f["tid"], f["comm"])
    if kind == "tempfile":
        return (kind, cls, f["path"], f["type"], f["bytes"])
    if kind == "cgroup":
        return (kind, cls, f["path"], f["cgroup_id"])
    return (kind, cls, json.dumps(f, sort_keys=True))


def assert_findings(report, expected):
    got = collections.Counter(finding_key(f) for f in report["findings"])
    want = collections.Counter(expected)
    missing = want - got
    extra = got - want
    assert not missing and not extra, (
        f"findings differ\n  missing: {sorted(missing, key=repr)}\n"
        f"  unexpected: {sorted(extra, key=repr)}\n"
        f"all findings: {show(report)}")


def of_kind(report, kind):
    return [f for f in report["findings"] if f["kind"] == kind]


def metric(report, kind):
    return report["metrics"][kind]


def assert_metric(report, kind, what, cmp, value):
    got = metric(report, kind)[what]
    ok = {"==": got == value, ">=": got >= value, "<=": got <= value}[cmp]
    assert ok, (f"metrics.{kind}.{what} = {got}, expected {cmp} {value}; "
                f"metrics: {json.dumps(report['metrics'])}\n"
                f"findings: {show(report)}")


def _comm_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.index("(") + 1:stat.rindex(")")]


def _workload_pids():
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{d}/exe")
        except OSError:
            continue
        if exe == WORKLOAD:
            pids.append(int(d))
    return pids


def assert_nothing_left(pids):
    """The workload's processes and threads are gone (leakscope killed the
    leftovers; the reaper may need a moment for the last zombies)."""
    deadline = time.monotonic() + 3
    while True:
        left = [p for p in pids if _comm_of(p) in ("workload", "lsw-worker")]
        left += [p for p in _workload_pids() if p not in left]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, (f"processes of the workload still exist after "
                      f"leakscope exited: {[(p, _comm_of(p)) for p in left]}")


def fact_pids(fs):
    return [int(v) for k in ("DAEMON", "MIDDLE", "ZOMBIE", "TID")
            for v in fs.get(k, [])]


def assert_run_ok(res, level="full"):
    """What every run must do: exit 0, report fully, clean up."""
    rc, report, stdout, stderr = res
    assert report is not None, f"no JSON report; rc={rc}\nstderr:\n{stderr}"
    assert rc == 0, (f"leakscope exited {rc}\nstdout:\n{stdout}\nstderr:\n"
                     f"{stderr}\nreport exit: {report.get('exit')}")
    assert report["schema"] == "leakscope.report/1"
    assert report["mode"] == "run"
    assert report["level"] == level, report["level"]
    assert report["interrupted"] is False
    ex = report["exit"]
    assert (ex["status"], ex["code"], ex["signal"]) == ("exited", 0, None), ex
    losses = report["losses"]
    assert {k: losses[k] for k in LOSS_KEYS} == dict.fromkeys(LOSS_KEYS, 0), \
        f"losses: {losses}"
    assert losses["confidence"] == "full", losses
    cleanup = report["cleanup"]
    assert cleanup is not None and cleanup["cgroup_removed"] is True, \
        f"cleanup: {cleanup}"
    assert cleanup["error"] is None, f"cleanup: {cleanup}"
    assert report["cgroup"] and not os.path.exists(report["cgroup"]), \
        f"the run's cgroup {report['cgroup']} still exists"
    summary = report["summary"]
    kinds = collections.Counter(f["kind"] for f in report["findings"])
    classes = collections.Counter(f["class"] for f in report["findings"])
    assert summary["findings"] == len(report["findings"]), summary
    assert {k: v for k, v in summary["by_kind"].items() if v} == kinds, \
        f"summary.by_kind {summary['by_kind']} vs findings {dict(kinds)}"
    assert {k: v for k, v in summary["by_class"].items() if v} == classes, \
        f"summary.by_class {summary['by_class']} vs findings {dict(classes)}"
    for f in report["findings"]:
        assert f["test"] is None and f["class"] in ("orphan", "zombie"), f
    assert_nothing_left(fact_pids(facts(stdout)))


def assert_no_findings(report):
    assert report["findings"] == [], f"unexpected findings: {show(report)}"


def assert_creator(report, f, pid, tid=None, comm="workload"):
    if report["level"] != "full":
        return
    by = f["created_by"]
    assert by is not None, f"finding without created_by: {f}"
    assert (by["pid"], by["tid"], by["comm"]) == \
        (pid, pid if tid is None else tid, comm), f"created_by wrong: {f}"
    assert isinstance(f["created_at_s"], float) and f["created_at_s"] >= 0, f


def daemon_process(report, fs, argv, threads=1):
    """Checks of the daemon's process finding beyond its key."""
    daemon, middle = num(fs, "DAEMON"), num(fs, "MIDDLE")
    mine = [f for f in of_kind(report, "process") if f["pid"] == daemon]
    assert len(mine) == 1, \
        f"one process finding for the daemon {daemon}: {show(report)}"
    p = mine[0]
    assert p["ppid"] not in (middle, daemon), \
        f"a detached daemon's parent must be the reaper: {p}"
    assert p["ppid"] > 0, p
    assert p["inherited_fds"] == "0,1,2", (
        f"only leakscope's stdio was inherited: {p} (anonymous-inode fds "
        f"here: see test_regression_anon_inode_leaks_mistaken_for_inherited)")
    assert p["rss_bytes"] > 0, p
    assert_creator(report, p, middle)
    return ("process", "orphan", daemon, "workload", tuple(argv), threads,
            None)


def run_workload(run_ls, args, env=None, extra=(), timeout=60):
    return run_ls(list(extra), [WORKLOAD, *args], env=env, timeout=timeout)


# ----------------------------------------------------------- scenario checks
# Each takes the LsRun of its scenario; level "snapshot" skips the metrics
# that only syscall tracing provides.


FD_CLEAN_N = 100


def check_fd_clean(res, level="full"):
    assert_run_ok(res, level)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "FD_CREATED")
    assert made >= FD_CLEAN_N * 30, f"the workload made only {made} fds"
    assert_metric(report, "fd", "created", ">=", made)
    created = metric(report, "fd")["created"]
    assert_metric(report, "fd", "released", "==", created)
    assert_metric(report, "fd", "alive", "==", 0)
    # Every round closes what it opened: a close, close_range or dup2 that
    # tracing missed would pile up here.
    assert_metric(report, "fd", "peak", "<=", 16)
    assert_metric(report, "socket", "created", "==", 0)


def check_fd_leak(res, level="full"):
    assert_run_ok(res, level)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    want = [daemon_process(report, fs, [WORKLOAD, "fd-leak"])]
    for name, typ, path in (
            ("FD_FILE", "file", "/etc/hostname"),
            ("FD_PIPE_R", "pipe", "pipe:[N]"),
            ("FD_PIPE_W", "pipe", "pipe:[N]"),
            ("FD_EVENTFD", "eventfd", "anon_inode:[eventfd]"),
            ("FD_EPOLL", "epoll", "anon_inode:[eventpoll]"),
            ("FD_MEMFD", "memfd", "/memfd:lsw-memfd (deleted)")):
        want.append(("fd", "orphan", d, num(fs, name), typ, path))
    assert_findings(report, want)
    fds = of_kind(report, "fd")
    pipes = {f["path"] for f in fds if f["type"] == "pipe"}
    assert len(pipes) == 1, f"both pipe ends are one pipe: {pipes}"
    for f in fds:
        assert f["comm"] == "workload", f
        assert_creator(report, f, d)
    if level == "full":
        assert_metric(report, "fd", "alive", "==", len(fds))
        assert_metric(report, "process", "alive", "==", 1)
        assert_metric(report, "process", "created", "==", 3)


def socket_trio(fs, d, tag, addr):
    port, cport = num(fs, f"{tag}_PORT"), num(fs, f"{tag}_CLIENT_PORT")
    db = "redis" if port == 6379 else None
    return [
        ("socket", "orphan", d, num(fs, f"{tag}_FD_LISTEN"), "inet", "stream",
         "tcp", "LISTEN", addr, port, None, None, None),
        ("socket", "orphan", d, num(fs, f"{tag}_FD_CLIENT"), "inet", "stream",
         "tcp", "ESTABLISHED", "127.0.0.1", cport, addr, port, db),
        ("socket", "orphan", d, num(fs, f"{tag}_FD_ACCEPTED"), "inet",
         "stream", "tcp", "ESTABLISHED", addr, port, "127.0.0.1", cport,
         None),
    ]


def check_socket_leak(res, level="full"):
    assert_run_ok(res, level)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    path = one(fs, "UNIX_PATH")
    client = num(fs, "UNIX_FD_CLIENT")
    want = [daemon_process(report, fs, [WORKLOAD, "socket-leak"])]
    want += socket_trio(fs, d, "TCP", "127.0.0.1")
    if one(fs, "REDIS") == "1":
        want += socket_trio(fs, d, "REDIS", "127.77.0.1")
    want += [
        ("socket", "orphan", d, num(fs, "UDP_FD"), "inet", "dgram", "udp",
         None, "127.0.0.1", num(fs, "UDP_PORT"), None, None, None),
        ("socket", "orphan", d, num(fs, "UNIX_FD_LISTEN"), "unix", "stream",
         None, None, path, None, None, None, None),
        ("socket", "orphan", d, client, "unix", "stream", None, None,
         None, None, path, None, "postgresql"),
        # The accepted end carries the listener's address; its peer (the
        # client) is unbound.
        ("socket", "orphan", d, num(fs, "UNIX_FD_ACCEPTED"), "unix",
         "stream", None, None, path, None, None, None, None),
        ("socket", "orphan", d, num(fs, "CW_FD"), "inet", "stream", "tcp",
         "CLOSE_WAIT", "127.0.0.1", num(fs, "CW_PORT"), "127.0.0.1",
         num(fs, "CW_PEER_PORT"), None),
        ("socket", "orphan", d, num(fs, "ABSTRACT_FD"), "unix", "dgram", None,
         None, one(fs, "ABSTRACT_NAME"), None, None, None, None),
    ]
    if one(fs, "IPV6") == "1":
        want.append(("socket", "orphan", d, num(fs, "IPV6_FD"), "inet6",
                     "stream", "tcp", "LISTEN", "::1", num(fs, "IPV6_PORT"),
                     None, None, None))
    # The socket's directory is a temp dir the daemon made (mkdir); the
    # socket file in it came from bind(2), which makes no temp object.
    if level == "full":
        want.append(("tempfile", "orphan", one(fs, "UNIX_DIR"), "dir", 0))
    assert_findings(report, want)
    socks = of_kind(report, "socket")
    for f in socks:
        assert f["type"] == "socket" and f["comm"] == "workload", f
        if f["family"] != "unix":
            assert re.fullmatch(r"socket:\[\d+\]", f["path"]), f
        assert_creator(report, f, d)
    for f in of_kind(report, "tempfile"):
        assert_creator(report, f, d)
    if level == "full":
        assert_metric(report, "socket", "alive", "==", len(socks))
        assert_metric(report, "fd", "alive", "==", 0)
        assert_metric(report, "tempfile", "alive", "==", 1)


def check_proc_leak(res, level="full"):
    assert_run_ok(res, level)
    report, fs = res.report, facts(res.stdout)
    want = [daemon_process(report, fs, [WORKLOAD, "sleeper", "120"])]
    assert_findings(report, want)
    assert_metric(report, "process", "created", "==", 3)
    assert_metric(report, "process", "alive", "==", 1)
    if level == "full":
        # The daemon opened an O_CLOEXEC file before its exec.
        assert_metric(report, "fd", "alive", "==", 0)
        assert_metric(report, "fd", "created", ">=", 1)


def check_temp_leak(res, existing, level="full"):
    assert_run_ok(res, level)
    report, fs = res.report, facts(res.stdout)
    if level != "full":
        assert_no_findings(report)
        assert any("temporary files" in n for n in report["notes"]), \
            f"no note that temp files are not tracked: {report['notes']}"
        assert_metric(report, "tempfile", "created", "==", 0)
        return
    left = [
        (one(fs, "LEFT_FILE"), "file", 12),
        (one(fs, "LEFT_DIR"), "dir", 5),
        (one(fs, "LEFT_INNER"), "file", 5),
        (one(fs, "LEFT_RENAMED"), "file", 0),
        (one(fs, "LEFT_REL"), "dir", 0),
        (one(fs, "LEFT_SHM"), "file", 3),
        (one(fs, "LEFT_OPENAT2"), "file", 0),
        (one(fs, "LEFT_RENAMEAT2"), "file", 2),
        (one(fs, "LEFT_MOVED_DIR"), "dir", 5),
        (one(fs, "LEFT_MOVED_FILE"), "file", 5),
    ]
    for path, typ, size in left:
        assert os.path.exists(path), f"the workload did not leave {path}"
    assert_findings(report, [("tempfile", "orphan", p, t, b)
                             for p, t, b in left])
    assert not os.path.exists(one(fs, "GONE"))
    assert os.path.exists(existing), existing
    pid = int(re.search(r"lsw-(\d+)-", one(fs, "LEFT_FILE")).group(1))
    for f in of_kind(report, "tempfile"):
        assert f["pid"] == pid and f["comm"] == "workload", f
        assert_creator(report, f, pid)
    # Exactly what was created: not the O_TMPFILE, not the existing file
    # opened with O_CREAT; a rename is no creation.
    made = num(fs, "TEMP_CREATED")
    assert made == len(left) + 1
    assert_metric(report, "tempfile", "created", "==", made)
    assert_metric(report, "tempfile", "released", "==", 1)
    assert_metric(report, "tempfile", "alive", "==", len(left))


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
    assert_metric(report, "thread", "peak", "<=", 20)  # batches of 20


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


# -------------------------------------------------------------- mappings


def test_mmap_clean(run_ls):
    n = 200
    res = run_workload(run_ls, ["mmap-clean", str(n)])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "MAPS")
    assert made > n, made
    assert_metric(report, "mapping", "created", ">=", made)
    assert_metric(report, "mapping", "released", "==",
                  metric(report, "mapping")["created"])
    assert_metric(report, "mapping", "alive", "==", 0)
    # Each region is unmapped before the next: a missed munmap piles up.
    assert_metric(report, "mapping", "peak", "<=", 32)
    assert_metric(report, "mapping", "heap_bytes_peak", ">=", 16 * 4096)


# ------------------------------------------------------------ temp files


def test_temp_clean(run_ls):
    res = run_workload(run_ls, ["temp-clean"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    made = num(fs, "TEMP_CREATED")
    assert made >= 20, made
    assert_metric(report, "tempfile", "created", "==", made)
    assert_metric(report, "tempfile", "released", "==", made)
    assert_metric(report, "tempfile", "alive", "==", 0)


@pytest.fixture
def existing_temp_file():
    """A file in /tmp made before the run: opening it with O_CREAT during
    the run does not create it."""
    path = f"/tmp/lsw-pre-{os.getpid()}"
    with open(path, "w") as f:
        f.write("before")
    yield path
    if os.path.exists(path):
        os.unlink(path)


def test_temp_leak(run_ls, existing_temp_file):
    res = run_workload(run_ls, ["temp-leak", existing_temp_file])
    check_temp_leak(res, existing_temp_file)
    assert one(facts(res.stdout), "TMPFILE") in ("0", "1")


TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")


def _under_temp_root(path):
    real = os.path.realpath(path)
    return any(real == r or real.startswith(r + "/")
               for r in map(os.path.realpath, TEMP_ROOTS))


@pytest.fixture
def outside_dir():
    """A directory outside every default temp root."""
    for base in (os.path.join(BUILD, "tests"), REPO, "/root", "/var/lib"):
        if os.path.isdir(base) and not _under_temp_root(base) and \
                os.access(base, os.W_OK):
            break
    else:
        pytest.fail("no writable directory outside the temp roots")
    path = os.path.join(base, f"lsw-root-{os.getpid()}")
    os.makedirs(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def temp_in_findings(fs):
    return [("tempfile", "orphan", one(fs, "LEFT_FILE"), "file", 4),
            ("tempfile", "orphan", one(fs, "LEFT_DIR"), "dir", 0)]


def test_temp_in_var_tmp(run_ls):
    res = run_workload(run_ls, ["temp-in", "/var/tmp"])
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


def test_temp_outside_roots_is_not_tracked(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       env={"TMPDIR": ""})
    assert_run_ok(res)
    assert_no_findings(res.report)
    assert_metric(res.report, "tempfile", "created", "==", 0)


def test_temp_root_option(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       extra=["--temp-root", outside_dir])
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


def test_temp_root_from_tmpdir(run_ls, outside_dir):
    res = run_workload(run_ls, ["temp-in", outside_dir],
                       env={"TMPDIR": outside_dir})
    assert_run_ok(res)
    assert_findings(res.report, temp_in_findings(facts(res.stdout)))


# --------------------------------------------------------------- cgroups


def test_cgroup_clean(run_ls):
    res = run_workload(run_ls, ["cgroup-clean"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_no_findings(report)
    assert one(fs, "CGROUP").startswith(report["cgroup"] + "/")
    assert_metric(report, "cgroup", "created", "==", 1)
    assert_metric(report, "cgroup", "released", "==", 1)
    assert_metric(report, "cgroup", "alive", "==", 0)


def check_cgroup_finding(report, fs, creator):
    path = one(fs, "CGROUP")
    assert path == report["cgroup"] + "/lsw-child", (path, report["cgroup"])
    [f] = of_kind(report, "cgroup")
    assert f["path"].endswith("/lsw-child"), f
    assert f["pid"] == creator == num(fs, "CREATOR"), f
    assert_creator(report, f, creator)
    return ("cgroup", "orphan", path, num(fs, "CGROUP_ID"))


def test_cgroup_leak(run_ls):
    res = run_workload(run_ls, ["cgroup-leak"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    assert_findings(report, [check_cgroup_finding(report, fs,
                                                  num(fs, "CREATOR"))])
    assert_metric(report, "cgroup", "created", "==", 1)
    assert_metric(report, "cgroup", "alive", "==", 1)


def test_cgroup_with_a_daemon_inside(run_ls):
    """A daemon in a child cgroup of the run: still watched, reported, and
    killed; both cgroups are removed."""
    res = run_workload(run_ls, ["cgroup-daemon"])
    assert_run_ok(res)
    report, fs = res.report, facts(res.stdout)
    d = num(fs, "DAEMON")
    assert_findings(report, [
        daemon_process(report, fs, [WORKLOAD, "cgroup-daemon"]),
        check_cgroup_finding(report, fs, d),
    ])


# ------------------------------------------------------ tracing fallbacks

FALLBACKS = {
    # No syscall tracepoints: one generic tp_btf sys_exit program.
    "tracepoint": {"proc": "tp_btf", "cgroup": "tp_btf",
                   "sock_state": "tp_btf", "syscalls": "tp_btf(sys_exit)"},
    # Neither: raw tracepoints everywhere.
    "tracepoint,tp_btf": {"proc": "raw_tp", "cgroup": "raw_tp",
                          "sock_state": "raw_tp",
                          "syscalls": "raw_tp(sys_exit)"},
}


def check_attach(report, disable):
    want = FALLBACKS[disable]
    attach = report["attach"]
    for hook in ("proc", "cgroup", "sock_state"):
        assert attach.get(hook) == want[hook], \
            f"LEAKSCOPE_DISABLE_ATTACH={disable}: attach {attach}"
    for hook in SYSCALL_HOOKS:
        ok = {want["syscalls"]} | ({"fentry"} if hook == "fd_new" else set())
        assert attach.get(hook) in ok, \
            f"LEAKSCOPE_DISABLE_ATTACH={disable}: {hook} {attach}"


@pytest.mark.parametrize("disable", sorted(FALLBACKS))
@pytest.mark.parametrize("scenario",
                         ["fd-clean", "fd-leak", "temp-leak", "proc-leak"])
def test_fallback_attach(run_ls, existing_temp_file, disable, scenario):
    env = {"LEAKSCOPE_DISABLE_ATTACH": disable}
    args = {"fd-clean": ["fd-clean", str(FD_CLEAN_N)],
            "temp-leak": ["temp-leak", existing_temp_file]}.get(scenario,
                                                                [scenario])
    res = run_workload(run_ls, args, env=env)
    assert res.report is not None, res.stderr
    check_attach(res.report, disable)
    if scenario == "fd-clean":
        check_fd_clean(res)
    elif scenario == "fd-leak":
        check_fd_leak(res)
    elif scenario == "temp-leak":
        check_temp_leak(res, existing_temp_file)
    else:
        check_proc_leak(res)


def _syscall_tracepoints_exist():
    return any(os.path.isdir(os.path.join(d, "events", "syscalls"))
               for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"))


def test_default_attach(run_ls):
    """Where syscall tracepoints exist they are chosen (so the fallback
    tests above really run other programs); else the generic sys_exit."""
    res = run_workload(run_ls, ["noop"])
    assert_run_ok(res)
    attach = res.report["attach"]
    want = ("tracepoint",) if _syscall_tracepoints_exist() else \
        ("tp_btf(sys_exit)", "raw_tp(sys_exit)")
    for hook in SYSCALL_HOOKS[1:]:
        assert attach.get(hook) in want, attach
    assert_no_findings(res.report)


# ------------------------------------------------------- --level snapshot


def check_snapshot_attach(report):
    assert set(report["attach"]) == {"proc", "cgroup", "sock_state"}, \
        f"--level snapshot must not trace syscalls: {report['attach']}"


def test_snapshot_fd_leak(run_ls):
    res = run_workload(run_ls, ["fd-leak"], extra=["--level", "snapshot"])
    check_fd_leak(res, level="snapshot")
    check_snapshot_attach(res.report)
    assert_metric(res.report, "fd", "created", "==", 0)


def test_snapshot_proc_leak(run_ls):
    res = run_workload(run_ls, ["proc-leak"], extra=["--level", "snapshot"])
    check_proc_leak(res, level="snapshot")
    check_snapshot_attach(res.report)


def test_snapshot_temp_leak(run_ls, existing_temp_file):
    res = run_workload(run_ls, ["temp-leak", existing_temp_file],
                       extra=["--level", "snapshot"])
    check_temp_leak(res, existing_temp_file, level="snapshot")
    check_snapshot_attach(res.report)


def test_snapshot_socket_leak(run_ls):
    res = run_workload(run_ls, ["socket-leak"],
                       extra=["--level", "snapshot"])
    check_socket_leak(res, level="snapshot")


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

"""Helpers shared by the workload suites (tests/bpf/test_run_kinds_*.py):
`leakscope run` against real workloads (tests/bpf/workloads/workload.c),
which print KEY=VALUE facts.

Covers: reading those facts; findings compared as a multiset of per-kind
keys (inode numbers masked), with their creators; the report's metrics;
what every run must do (exit 0, report fully, lose nothing, remove its
cgroup, leave no process of the workload behind); the daemon's process
finding; and the checks of the scenarios that run under several settings
(fd-clean, fd-leak, socket-leak, proc-leak, temp-leak: level "snapshot"
skips the metrics that only syscall tracing provides). Its asserts are
rewritten by pytest (conftest.py).
"""

import collections
import json
import os
import re
import time

from lstest import BUILD, LOSS_KEYS

WORKLOAD = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                         "workload"))


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

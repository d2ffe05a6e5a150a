"""`leakscope attach` end to end: the baseline is not reported, what the
watch saw created and still alive is, nothing is killed, and cgroups that
must not be watched are refused. Needs root.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from lstest import LEAKSCOPE, cgroup2_mount, pid_alive, run

pytestmark = pytest.mark.usefixtures("root_bpf")


@pytest.fixture
def cgroup(tmp_path):
    """A fresh cgroup with a cleanup that kills and removes it."""
    path = os.path.join(cgroup2_mount(), "ls-e2e-attach-%d" % os.getpid())
    os.mkdir(path)
    yield path
    with open(os.path.join(path, "cgroup.kill"), "w") as f:
        f.write("1")
    for _ in range(200):
        with open(os.path.join(path, "cgroup.events")) as f:
            if "populated 0" in f.read():
                break
        time.sleep(0.01)
    for sub in sorted((d for d, _, _ in os.walk(path)), reverse=True):
        os.rmdir(sub)


def start_attach(cgroup, *args):
    """Start `leakscope attach -v` and return once it is watching."""
    watch = subprocess.Popen([LEAKSCOPE, "attach", "--cgroup", cgroup, "-v"] +
                             list(args), stderr=subprocess.PIPE, text=True)
    for line in watch.stderr:
        if "until" in line and "watching" in line:
            return watch
    raise AssertionError("attach ended before watching (exit %s)" %
                         watch.wait())


def spawn_in(cgroup, script):
    """Start `sh -c script` inside @cgroup; its stdout is returned."""
    wrapper = "echo $$ > %s/cgroup.procs && exec sh -c '%s'" % (cgroup, script)
    return subprocess.run(["sh", "-c", wrapper], capture_output=True,
                          text=True, timeout=30)


def daemon_in(cgroup, extra=""):
    """A daemon in @cgroup holding /etc/hostname open; returns its pid."""
    p = spawn_in(cgroup, "%s exec 3</etc/hostname; sleep 60 </dev/null "
                 ">/dev/null 2>&1 & echo $!" % extra)
    return int(p.stdout.split()[-1])


def test_attach_reports_only_what_the_watch_created(cgroup, tmp_path):
    old = daemon_in(cgroup)
    report = tmp_path / "r.json"
    watch = start_attach(cgroup, "--duration", "3", "-q", "--report",
                         str(report))
    new = daemon_in(cgroup, "echo x > /tmp/ls-e2e-attach-$$; ")
    leftover = "/tmp/ls-e2e-attach-%d" % (new - 1)
    watch.wait(timeout=30)
    assert watch.returncode == 0
    rep = json.loads(report.read_text())
    procs = [f["pid"] for f in rep["findings"] if f["kind"] == "process"]
    assert new in procs and old not in procs, rep["findings"]
    fds = [f for f in rep["findings"] if f["kind"] == "fd"]
    assert any(f["pid"] == new and f["path"] == "/etc/hostname" and
               f["fd"] == 3 for f in fds), fds
    assert not any(f["pid"] == old for f in fds), fds
    temps = [f["path"] for f in rep["findings"] if f["kind"] == "tempfile"]
    try:
        assert temps == [leftover] or leftover in temps, temps
    finally:
        for t in temps:
            if t.startswith("/tmp/ls-e2e-attach-"):
                os.unlink(t)
    # attach never kills
    assert pid_alive(old) and pid_alive(new)
    assert rep["cleanup"] is None
    assert rep["mode"] == "attach" and rep["exit"] is None


def test_attach_ends_on_sigint(cgroup, tmp_path):
    report = tmp_path / "r.json"
    watch = start_attach(cgroup, "-q", "--report", str(report))
    watch.send_signal(signal.SIGINT)
    assert watch.wait(timeout=30) == 0
    rep = json.loads(report.read_text())
    assert rep["findings"] == []
    assert any("watch ended by" in n for n in rep["notes"])


def test_attach_fail_on_leak(cgroup, tmp_path):
    watch = start_attach(cgroup, "--duration", "2", "-q", "--fail-on-leak")
    daemon_in(cgroup)
    assert watch.wait(timeout=30) == 3


def test_attach_child_cgroups(cgroup, tmp_path):
    os.mkdir(os.path.join(cgroup, "old"))
    report = tmp_path / "r.json"
    watch = start_attach(cgroup, "--duration", "2", "-q", "--report",
                         str(report))
    os.mkdir(os.path.join(cgroup, "old", "new"))
    assert watch.wait(timeout=30) == 0
    rep = json.loads(report.read_text())
    paths = [f["path"] for f in rep["findings"] if f["kind"] == "cgroup"]
    assert paths == [os.path.join(cgroup, "old", "new")]


@pytest.mark.parametrize("which,message", [
    ("missing", "No such file or directory"),
    ("tmp", "is not a cgroup v2 directory"),
    ("root", "is the root cgroup"),
    ("file", "is not a cgroup v2 directory"),
])
def test_attach_refuses(tmp_path, which, message):
    path = {"missing": "/sys/fs/cgroup/ls-no-such-cgroup",
            "tmp": str(tmp_path),
            "root": cgroup2_mount(),
            "file": os.path.join(cgroup2_mount(), "cgroup.procs")}[which]
    p = run(["attach", "--cgroup", path, "--duration", "1"])
    assert p.returncode == 2, p.stderr
    assert message in p.stderr


def test_attach_refuses_own_cgroup(cgroup):
    # leakscope started from inside the cgroup it would watch.
    p = subprocess.run(["sh", "-c", "echo $$ > %s/cgroup.procs && exec %s "
                        "attach --cgroup %s --duration 1" %
                        (cgroup, LEAKSCOPE, cgroup)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "leakscope itself runs in" in p.stderr

"""`leakscope run` end to end: exit codes, reports, signals, cleanup.
Needs root (BPF); skips without it, fails without it under CI=true.
"""
import glob
import json
import os
import signal
import stat
import subprocess
import time

import pytest

from lstest import LEAKSCOPE, cgroup2_mount, pid_alive, run, run_json

pytestmark = pytest.mark.usefixtures("root_bpf")

# A daemon that outlives the command: double fork, prints its pid.
DAEMON = ("sh -c 'sleep 60 </dev/null >/dev/null 2>&1 & echo $!'")


def run_cgroups():
    return set(glob.glob(os.path.join(cgroup2_mount(), "leakscope", "run-*")))


def test_exit_code_passthrough(tmp_path):
    p, rep = run_json(tmp_path, ["run"], ["sh", "-c", "exit 7"])
    assert p.returncode == 7
    assert rep["exit"] == {"status": "exited", "code": 7, "signal": None,
                           "error": None}
    assert rep["findings"] == []


def test_killed_by_signal(tmp_path):
    p, rep = run_json(tmp_path, ["run"], ["sh", "-c", "kill -9 $$"])
    assert p.returncode == 128 + 9
    assert rep["exit"]["status"] == "signaled"
    assert rep["exit"]["signal"] == 9


@pytest.mark.parametrize("cmd,why", [
    (["/nonexistent/ls-cmd"], "No such file or directory"),
    (["ls-no-such-command-anywhere"], "No such file or directory"),
    (None, "Permission denied"),
])
def test_command_not_started(tmp_path, cmd, why):
    if cmd is None:  # a file without an execute bit
        plain = tmp_path / "not-executable"
        plain.write_text("#!/bin/sh\n")
        plain.chmod(0o644)
        cmd = [str(plain)]
    p, rep = run_json(tmp_path, ["run"], cmd)
    assert p.returncode == 127
    assert rep["exit"]["status"] == "not_started"
    assert why in rep["exit"]["error"]
    assert rep["findings"] == []
    assert not os.path.exists(rep["cgroup"])  # removed even so


def test_text_report_on_stderr_by_default():
    p = run(["run", "--", "sh", "-c", "echo out; echo err >&2"])
    assert p.returncode == 0
    assert p.stdout == "out\n"  # CMD's output passes through untouched
    assert "err\n" in p.stderr
    assert "nothing left behind." in p.stderr
    assert "activity" in p.stderr


def test_quiet_and_report_to_stdout():
    p = run(["run", "-q", "--report", "-", "--format", "json", "--",
             "true"])
    assert p.returncode == 0
    assert p.stderr == ""
    assert json.loads(p.stdout)["schema"] == "leakscope.report/1"


def test_report_format_from_extension(tmp_path):
    for name, is_json in (("r.json", True), ("r.txt", False)):
        out = tmp_path / name
        p = run(["run", "-q", "--report", str(out), "--", "true"])
        assert p.returncode == 0
        text = out.read_text()
        assert text.lstrip().startswith("{") == is_json, text[:80]


def test_fail_on_leak(tmp_path):
    p, rep = run_json(tmp_path, ["run", "--fail-on-leak"], ["sh", "-c", DAEMON])
    assert p.returncode == 3
    assert [f["kind"] for f in rep["findings"]].count("process") == 1
    p, rep = run_json(tmp_path, ["run", "--fail-on-leak",
                                 "--leak-exit-code", "42"], ["sh", "-c", DAEMON])
    assert p.returncode == 42
    p, _ = run_json(tmp_path, ["run", "--fail-on-leak"], ["true"])
    assert p.returncode == 0
    # The command's own failure wins over leaks.
    p, _ = run_json(tmp_path, ["run", "--fail-on-leak"],
                    ["sh", "-c", DAEMON + "; exit 5"])
    assert p.returncode == 5


def test_leftovers_are_killed_and_cgroup_removed(tmp_path):
    p, rep = run_json(tmp_path, ["run"], ["sh", "-c", DAEMON])
    assert p.returncode == 0
    pid = int(p.stdout.strip())
    procs = [f for f in rep["findings"] if f["kind"] == "process"]
    assert [f["pid"] for f in procs] == [pid]
    assert procs[0]["argv"] == ["sleep", "60"]
    assert rep["cleanup"]["sigterm_sent"] == 1
    assert rep["cleanup"]["cgroup_removed"] is True
    assert not pid_alive(pid)
    assert not os.path.exists(rep["cgroup"])


def test_keep_orphans(tmp_path):
    p, rep = run_json(tmp_path, ["run", "--keep-orphans"], ["sh", "-c", DAEMON])
    pid = int(p.stdout.strip())
    try:
        assert p.returncode == 0
        assert rep["cleanup"]["kept_orphans"] is True
        assert pid_alive(pid)
        assert os.path.isdir(rep["cgroup"])
    finally:
        with open(os.path.join(rep["cgroup"], "cgroup.kill"), "w") as f:
            f.write("1")
        for _ in range(100):
            if not pid_alive(pid):
                break
            time.sleep(0.02)
        os.rmdir(rep["cgroup"])
    assert not pid_alive(pid)


def test_kill_grace_escalates_to_cgroup_kill(tmp_path):
    # A leftover that ignores SIGTERM is ended by cgroup.kill.
    cmd = ["sh", "-c", "sh -c 'trap \"\" TERM; sleep 60' </dev/null "
           ">/dev/null 2>&1 & echo $!"]
    t = time.monotonic()
    p, rep = run_json(tmp_path, ["run", "--kill-grace", "200"], cmd)
    assert p.returncode == 0
    assert rep["cleanup"]["cgroup_killed"] is True
    assert rep["cleanup"]["cgroup_removed"] is True
    assert not pid_alive(int(p.stdout.strip()))


def wait_for_run_cgroup(before, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        new = run_cgroups() - before
        for cg in new:
            with open(os.path.join(cg, "cgroup.procs")) as f:
                if f.read().strip():
                    return cg
        time.sleep(0.02)
    raise AssertionError("the run's cgroup never got its process")


def start(tmp_path, cmd, **kw):
    report = tmp_path / "r.json"
    before = run_cgroups()
    proc = subprocess.Popen([LEAKSCOPE, "run", "-q", "--report", str(report),
                             "--"] + cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)
    wait_for_run_cgroup(before)
    return proc, report


def test_sigterm_is_passed_on(tmp_path):
    proc, report = start(tmp_path, ["sleep", "30"])
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 128 + signal.SIGTERM
    rep = json.loads(report.read_text())
    assert rep["interrupted"] is True
    assert rep["exit"]["signal"] == signal.SIGTERM


def test_second_signal_ends_the_run(tmp_path):
    # The command ignores SIGTERM; the second one kills the whole cgroup.
    # Its "ready" says the trap is set (signalled before, sh would die).
    proc, report = start(tmp_path, ["sh", "-c", "trap '' TERM; echo ready; sleep 30"])
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert proc.returncode == 128 + signal.SIGKILL
    assert json.loads(report.read_text())["interrupted"] is True


def test_group_sigint_is_not_doubled(tmp_path):
    # A CI runner interrupting the job signals the whole process group. The
    # command must get it once, not once from the group and again from
    # leakscope: a handler that counts SIGINTs exits with the count.
    script = ("n=0; trap 'n=$((n+1))' INT; "
              "while [ $n -eq 0 ]; do sleep 0.05; done; sleep 0.5; exit $n")
    proc, report = start(tmp_path, ["sh", "-c", script],
                         start_new_session=True)
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert json.loads(report.read_text())["interrupted"] is True


def test_parent_cgroup_option(tmp_path):
    parent = os.path.join(cgroup2_mount(), "ls-e2e-parent")
    try:
        p, rep = run_json(tmp_path, ["run", "--parent-cgroup", parent],
                          ["true"])
        assert p.returncode == 0
        assert rep["cgroup"].startswith(parent + "/run-")
        assert not os.path.exists(rep["cgroup"])
    finally:
        if os.path.isdir(parent):
            os.rmdir(parent)


def test_parent_cgroup_not_cgroup2(tmp_path):
    p = run(["run", "--parent-cgroup", str(tmp_path / "x"), "--", "true"])
    assert p.returncode == 2
    assert "is not on cgroup v2" in p.stderr
    assert not (tmp_path / "x").exists()


def test_report_metrics_and_attach_points(tmp_path):
    p, rep = run_json(tmp_path, ["run"], ["sh", "-c", "cat /etc/hostname >/dev/null"])
    assert p.returncode == 0
    m = rep["metrics"]
    assert m["process"]["created"] >= 2 and m["process"]["alive"] == 0
    assert m["fd"]["created"] >= 3 and m["fd"]["alive"] == 0
    assert m["mapping"]["created"] > 0
    assert rep["attach"]["proc"] in ("tp_btf", "raw_tp")
    assert rep["attach"]["fd_new"] != "none"
    assert rep["losses"]["confidence"] == "full"
    assert rep["events"]["exec"]["seen"] >= 2
    assert rep["events"]["exec"]["received"] == rep["events"]["exec"]["seen"]


def test_agent_cost_in_report(tmp_path):
    """The report states leakscope's own cost; --bpf-stats adds the kernel's
    run time of each of its programs, and switches the accounting off again
    (kernel.bpf_stats_enabled is machine-wide)."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        before = f.read().strip()
    p, rep = run_json(tmp_path, ["run"], ["true"])
    assert p.returncode == 0
    a = rep["agent"]
    assert 0 < a["startup_ms"] < 60000 and a["max_rss_kib"] > 1000
    # Loading the programs alone (the kernel verifies them on our time).
    assert 0 < a["cpu_ms"] < 60000
    assert a["bpf_programs"] is None
    p, rep = run_json(tmp_path, ["run", "--bpf-stats"],
                      ["sh", "-c", "cat /etc/hostname >/dev/null"])
    assert p.returncode == 0
    progs = {x["name"]: x for x in rep["agent"]["bpf_programs"]}
    assert "sys_exit_tp" in progs, sorted(progs)
    assert progs["sys_exit_tp"]["runs"] > 0 and progs["sys_exit_tp"]["ns"] > 0
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        assert f.read().strip() == before


def test_level_snapshot(tmp_path):
    p, rep = run_json(tmp_path, ["run", "--level", "snapshot"],
                      ["sh", "-c", "touch /tmp/ls-e2e-snap-$$; rm /tmp/ls-e2e-snap-$$"])
    assert p.returncode == 0
    assert rep["level"] == "snapshot"
    assert rep["attach"].get("fd_new") is None
    assert rep["metrics"]["fd"]["created"] == 0
    assert rep["metrics"]["process"]["created"] >= 2
    assert any("temporary files are not tracked" in n for n in rep["notes"])


def test_event_log(tmp_path):
    log = tmp_path / "events.jsonl"
    p, rep = run_json(tmp_path, ["run", "--events", str(log)],
                      ["sh", "-c", "exec 3>/tmp/ls-e2e-ev-$$; rm /tmp/ls-e2e-ev-$$"])
    assert p.returncode == 0
    lines = [json.loads(l) for l in log.read_text().splitlines()]
    kinds = [e["event"] for e in lines]
    for k in ("fork", "exec", "fd_open", "fd_close", "mmap", "temp_create",
              "temp_unlink", "exit"):
        assert k in kinds, (k, sorted(set(kinds)))
    # Order is the ring buffer's (by reservation), times are from +0.
    assert all(e["t"] >= 0 for e in lines)
    assert all(e["pid"] > 0 and e["comm"] for e in lines)
    created = [e for e in lines if e["event"] == "temp_create"]
    assert created[0]["path"].startswith("ls-e2e-ev-")
    # Every streamed event reached the log and the report's counts.
    assert rep["events"]["fd_open"]["received"] == kinds.count("fd_open")
    assert rep["events"]["fd_open"]["received"] == \
        rep["events"]["fd_open"]["seen"]
    assert rep["losses"]["confidence"] == "full"


def test_event_log_unwritable(tmp_path):
    p = run(["run", "--events", str(tmp_path / "no" / "e.jsonl"), "--",
             "true"])
    assert p.returncode == 2
    assert "--events" in p.stderr and "cannot write there" in p.stderr


# Bad input found only once the run is being set up (after the cgroup is
# made and the programs are loaded): the error, and nothing left behind.
# Under a private parent cgroup, so that other runs do not interfere.
@pytest.mark.parametrize("args,env,rc,message", [
    (["--socket-group", "ls-no-such-group"], {}, 2,
     "--socket-group ls-no-such-group: no such group"),
    # exit 4 (cannot watch), not 2: see docs/bad-input.md
    (["--socket", "/dev/null"], {}, 4,
     "control socket /dev/null: the path exists and is not a socket"),
    (["--socket", "/nonexistent-ls-dir/c.sock"], {}, 4,
     "control socket /nonexistent-ls-dir/c.sock: No such file or directory"),
    ([], {"LEAKSCOPE_DISABLE_ATTACH":
          "fentry,tp_btf,raw_tp,tracepoint,generic"}, 4,
     "no attach type works for the "),
], ids=["socket-group", "socket-not-a-socket", "socket-dir-missing",
        "every-attach-type-disabled"])
def test_bad_setup_leaves_nothing(args, env, rc, message):
    parent = os.path.join(cgroup2_mount(), "ls-e2e-bad-setup")
    try:
        p = run(["run", "--parent-cgroup", parent, *args, "--", "sh", "-c",
                 "echo ran"], env=dict(os.environ, **env))
        assert p.returncode == rc, (p.returncode, p.stderr)
        assert p.stderr.startswith("leakscope: error: " + message), p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr
        assert p.stdout == "", "CMD must not run"
        # What was in the --socket's way is left alone.
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
        assert glob.glob(os.path.join(parent, "run-*")) == []
    finally:
        if os.path.isdir(parent):
            os.rmdir(parent)


def test_report_unwritable_at_the_end(tmp_path):
    """A report device that fails only when written (/dev/full): the run
    happens, the text report is still on stderr, the leftovers are still
    ended, and leakscope exits 1 saying so."""
    p = run(["run", "--report", "/dev/full", "--", "sh", "-c", DAEMON])
    assert p.returncode == 1, (p.returncode, p.stderr)
    daemon = int(p.stdout)
    lines = p.stderr.splitlines()
    assert lines[-1] == "leakscope: error: cannot write the report to " \
        "/dev/full: Input/output error", p.stderr
    assert "left behind 1 process" in p.stderr, p.stderr
    assert "pid %d (sleep)" % daemon in p.stderr, p.stderr
    deadline = time.monotonic() + 5
    while pid_alive(daemon) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(daemon)

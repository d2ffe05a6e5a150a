"""`leakscope run` exit codes and the report's "exit" object, with real
workloads: CMD's own code passes through, 128+N when CMD is killed by
signal N, 127 when CMD cannot start, and --fail-on-leak (3, or
--leak-exit-code N) only when CMD succeeded and left something behind.
"""

import os

WORKLOAD = os.path.realpath(os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))),
    os.environ.get("BUILD", "build"), "tests", "workloads", "workload"))


def exit_of(res):
    assert res.report is not None, f"no report; rc={res.rc}\n{res.stderr}"
    ex = res.report["exit"]
    return ex["status"], ex["code"], ex["signal"]


def assert_removed(res):
    cleanup = res.report["cleanup"]
    assert cleanup and cleanup["cgroup_removed"] is True, cleanup
    assert not os.path.exists(res.report["cgroup"]), res.report["cgroup"]


def test_exit_code_passes_through(run_ls):
    res = run_ls([], [WORKLOAD, "exit", "5"])
    assert res.rc == 5, (res.rc, res.stderr)
    assert exit_of(res) == ("exited", 5, None)
    assert res.report["findings"] == []
    assert_removed(res)


def test_killed_by_signal(run_ls):
    res = run_ls([], [WORKLOAD, "signal", "10"])  # SIGUSR1: no core dump
    assert res.rc == 128 + 10, (res.rc, res.stderr)
    assert exit_of(res) == ("signaled", None, 10)
    assert_removed(res)


def test_command_not_startable(run_ls, tmp_path):
    missing = str(tmp_path / "lsw-no-such-program")
    res = run_ls([], [missing, "arg"])
    assert res.rc == 127, (res.rc, res.stderr)
    status, code, sig = exit_of(res)
    assert (status, code, sig) == ("not_started", None, None)
    error = res.report["exit"]["error"] or ""
    assert "No such file" in error and "lsw-no-such-program" in error, error
    assert res.report["findings"] == []
    assert_removed(res)


def test_fail_on_leak(run_ls):
    res = run_ls(["--fail-on-leak"], [WORKLOAD, "proc-leak"])
    assert res.rc == 3, (res.rc, res.stderr)
    assert exit_of(res) == ("exited", 0, None)
    assert [f["kind"] for f in res.report["findings"]] == ["process"], \
        res.report["findings"]
    assert_removed(res)


def test_leak_exit_code(run_ls):
    res = run_ls(["--fail-on-leak", "--leak-exit-code", "42"],
                 [WORKLOAD, "cgroup-leak"])
    assert res.rc == 42, (res.rc, res.stderr)
    assert [f["kind"] for f in res.report["findings"]] == ["cgroup"]
    assert_removed(res)


def test_fail_on_leak_without_leftovers(run_ls):
    res = run_ls(["--fail-on-leak"], [WORKLOAD, "fd-clean", "10"])
    assert res.rc == 0, (res.rc, res.stderr)
    assert res.report["findings"] == []


def test_command_failure_wins_over_fail_on_leak(run_ls):
    res = run_ls(["--fail-on-leak"], [WORKLOAD, "exit", "9"])
    assert res.rc == 9, (res.rc, res.stderr)

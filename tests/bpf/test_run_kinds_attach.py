"""`leakscope run` against real workloads, however leakscope attaches: the
same checks as the kind-by-kind tests under the tracing fallbacks
(LEAKSCOPE_DISABLE_ATTACH), the programs chosen by default, and the checks
that still hold at --level snapshot.

Every run must also exit 0, lose nothing, remove its cgroup and leave no
process behind (lsworkload.py). Workloads: tests/bpf/workloads/workload.c;
they print KEY=VALUE facts.
"""

import os

import pytest

from lsworkload import (FD_CLEAN_N, assert_metric, assert_no_findings,
                        assert_run_ok, check_fd_clean, check_fd_leak,
                        check_proc_leak, check_socket_leak, check_temp_leak,
                        run_workload)

SYSCALL_HOOKS = ("fd_new", "fd_close", "mm", "temp")

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

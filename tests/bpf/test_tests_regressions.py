"""Which test left what: leakscope bugs that per-test attribution found on
the way (test_regression_*; they fail until leakscope is fixed), with real
harnesses under a real `leakscope run` (and `attach`).

Every run must exit 0, lose nothing, remove its cgroup and leave no process
behind (lsmarked.py); the lsh-* temp files are removed by conftest.py.
"""

import json
import os
import subprocess

import pytest

from lsmarked import (ASK_PRELUDE, MIB, SETPRIV, WAIT, _attach, ask,
                      assert_findings, assert_run_ok, connect, harness_run,
                      live_run, num, one, parse, show, verdict, with_class,
                      write_script)
from lstest import LEAKSCOPE

# ------------------------------------------- leakscope bugs (regressions)


@pytest.mark.parametrize("scenarios", [["mapping-small"],
                                       ["mapping-leak", "mapping-small"]],
                         ids=["alone", "after-a-leak"])
def test_regression_mapping_below_threshold_is_no_leak(run_ls, harness,
                                                       scenarios):
    """A test that keeps a 60 KiB anonymous mapping leaks nothing (below
    the 64 KiB a mapping needs). The kernel merges it with an adjacent
    anonymous mapping made earlier (ld.so's, or an earlier test's); the
    verdict must not charge the test for the merged VMA."""
    run = harness_run(run_ls, harness, scenarios)
    v = verdict(run, "mapping-small")
    assert (v["leaks"], v["findings"]) == (0, []), \
        f"a 60 KiB mapping is no leak: {v}"
    if "mapping-leak" in scenarios:
        leak = verdict(run, "mapping-leak")["findings"]
        assert [f["bytes"] for f in leak] == [MIB], show(leak)


def test_regression_thread_malloc_arena_is_no_leak(run_ls, harness):
    """Threads that malloc and are joined leave nothing a test could
    release: glibc's per-thread malloc arena (64 MiB reserved, the first
    132 KiB read-write) is a cache that glibc keeps for the next thread,
    like the reservation leftovers.c already excludes."""
    run = harness_run(run_ls, harness, ["thread-malloc-clean"])
    v = verdict(run, "thread-malloc-clean")
    assert (v["leaks"], v["findings"]) == (0, []), \
        f"glibc's malloc arena is no leak: {v}"


def test_regression_shell_redirect_makes_inherited_stdout_a_finding(
        run_ls, tmp_path):
    """A shell harness whose test writes its temp file with a redirect
    (`echo data > FILE`: the shell saves fd 1, opens FILE on it, restores
    fd 1 with dup2). The background sleep's stdout is the file leakscope's
    caller opened before the run (inherited): it must be listed in
    inherited_fds, not reported as an orphan fd."""
    temp = f"/tmp/lsh-redirect-{os.getpid()}"
    script = write_script(tmp_path, "redirect.sh", f"""
LS={LEAKSCOPE}
$LS mark begin redirect
sleep 60 &
echo "SLEEP_PID=$!"
echo data > {temp}
$LS mark end redirect --outcome passed
""")
    res = run_ls([], ["/bin/sh", script])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    sleep = num(parse(res.stdout).facts, "SLEEP_PID")
    assert_findings(res.report["findings"], [
        ("process", "orphan", "redirect", sleep, "sleep", ("sleep", "60"),
         1, None),
        ("fd", "orphan", "redirect", sleep, 0, "chardev", "/dev/null"),
        ("tempfile", "orphan", "redirect", temp, "file", 5)],
        "final report")
    procs = [f for f in res.report["findings"] if f["kind"] == "process"]
    assert procs[0]["inherited_fds"] == "1,2", show(procs)


def test_regression_attach_reports_stdio_from_outside(tmp_path, harness,
                                                      attach_cgroup):
    """attach: a process started in the cgroup by something outside it (a
    CI runner, systemd) inherits its stdio from there; a child it leaks
    holds the same fds. Nothing in the watched cgroup created them (the
    report has no creator for them): like `run`, they are inherited_fds
    of the leftover process, not orphan fd findings."""
    _, data, stdout = _attach(tmp_path, harness, attach_cgroup,
                              ["process-leak"])
    f = parse(stdout).facts
    sleep = num(f, "PROCESS_LEAK_PID")
    assert_findings(data["findings"], [
        ("process", "orphan", "process-leak", sleep, "sleep",
         ("sleep", "60"), 1, None)], "final report")
    assert data["findings"][0]["inherited_fds"] == "0,1,2", \
        show(data["findings"])


def test_regression_child_dups_of_the_tests_file(run_ls, harness):
    """The test opens /dev/null, forks a child that dup2()s it onto 0, 1
    and 2 and execs sleep, and closes its own fd (posix_spawn file actions,
    Python's subprocess with DEVNULL). The child's fds are dups of a file
    the test opened, so they belong to the test (README: "A duplicated fd
    belongs to the test that opened the file"): in the verdict with the
    process, and orphans of that test at the end -- not test-less."""
    run = harness_run(run_ls, harness, ["spawn-devnull"])
    pid = num(run.facts, "SPAWN_DEVNULL_PID")
    name = "spawn-devnull"
    want = [("process", "leak", name, pid, "sleep", ("sleep", "60"), 1, None)]
    want += [("fd", "leak", name, pid, n, "chardev", "/dev/null")
             for n in (0, 1, 2)]
    assert_findings(run.report["findings"],
                    [with_class(k, "orphan") for k in want], "final report")
    assert_findings(verdict(run, name)["findings"], want,
                    "verdict of spawn-devnull")


def test_regression_begin_outside_the_watched_cgroup(tmp_path):
    """A root harness that is not in the watched cgroup (started beside
    `leakscope attach`, say) sends BEGIN: leakscope cannot see anything it
    does, so BEGIN must be refused (as FOR such a process is: "bad pid"),
    not answered "OK test=1" and then a clean verdict for a test that
    leaked an fd and a child (protocol.md: "nothing the test creates after
    the reply can be missed")."""
    with live_run(tmp_path, [], WAIT.format(body="")) as live:
        s, f = connect(live.sock)
        begin = ask(s, f, b"BEGIN outside\n")
        kept = open("/etc/hostname")
        child = subprocess.Popen(["/bin/sleep", "30"])
        try:
            end = ask(s, f, b"END outside passed\n")
        finally:
            child.kill()
            child.wait()
            kept.close()
        s.close()
        live.finish()
    assert_run_ok(live.rc, live.report, live.stdout(), live.stderr())
    assert begin.startswith("ERR"), (
        f"BEGIN from a process outside the watched cgroup: {begin!r}; "
        f"then END: {end!r}")


def test_regression_socket_group_under_umask_027(tmp_path, harness):
    """--socket-group GROUP must let GROUP reach the socket whatever the
    umask leakscope runs with: hardened systems give root 027 or 077, and
    /run is a tmpfs, so /run/leakscope is made afresh after each boot.
    Here, in a private mount namespace with a fresh /run, umask 027: the
    in-cgroup nobody (group nogroup) must connect. (It once failed:
    /run/leakscope was made with mkdir(0755) & ~umask = 0750 root:root,
    which nogroup cannot traverse: ls_client_connect got -EACCES.)"""
    report = tmp_path / "r.json"
    inner = (f"{' '.join(SETPRIV)} {harness} ping; "
             'echo "NOBODY_RC=$?"; ls -ld /run/leakscope')
    script = (f"mount -t tmpfs tmpfs /run && umask 027 && exec {LEAKSCOPE} "
              f"run --socket-group nogroup --report {report} --format json "
              f"-q -- /bin/sh -c '{inner}'")
    p = subprocess.run(["unshare", "-m", "--propagation", "private",
                        "/bin/sh", "-c", script], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    data = json.loads(report.read_text()) if report.exists() else None
    assert_run_ok(p.returncode, data, p.stdout, p.stderr)
    facts = parse(p.stdout).facts
    assert "CONNECT" not in facts and one(facts, "PING") == "0 pong", \
        f"nogroup cannot reach the socket:\n{p.stdout}{p.stderr}"


# CMD: test child-fd forks a child that opens a file and stays; test
# closer tells the child to close it, waits until it has, and ends. Pipes
# are made before the first BEGIN, so they belong to no test.
CHILD_CLOSES_LATER = ASK_PRELUDE + r"""
import signal
cmd_r, cmd_w = os.pipe()
ack_r, ack_w = os.pipe()
ask("BEGIN_A", b"BEGIN child-fd\n")
pid = os.fork()
if pid == 0:
    kept = open("/etc/hostname")
    os.write(ack_w, b"%d\n" % kept.fileno())
    os.read(cmd_r, 1)
    kept.close()
    os.write(ack_w, b"closed\n")
    signal.pause()
print("CHILD_PID=%d" % pid, flush=True)
print("CHILD_FD=%s" % os.read(ack_r, 64).decode().strip(), flush=True)
ask("END_A", b"END child-fd passed\n")
ask("BEGIN_B", b"BEGIN closer\n")
os.write(cmd_w, b"x")
os.read(ack_r, 64)
ask("END_B", b"END closer passed\n")
"""


def test_regression_child_fd_closed_in_a_later_test_is_late(run_ls):
    """close(2) is not traced: a child's leaked fd, closed while a later
    test of the harness runs, is found released at that test's END (the
    holders of reported fd leaks are synced there), so it is "late", not
    a leak; the child itself, alive at the end, is an orphan."""
    res = run_ls([], ["/usr/bin/python3", "-c", CHILD_CLOSES_LATER])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    facts = parse(res.stdout).facts
    child, fd = num(facts, "CHILD_PID"), num(facts, "CHILD_FD")
    v = json.loads(one(facts, "END_A")[3:])
    fds = [x for x in v["findings"] if x["kind"] == "fd"]
    assert [(x["class"], x["pid"], x["fd"], x["path"]) for x in fds] == \
        [("leak", child, fd, "/etc/hostname")], show(v["findings"])
    assert json.loads(one(facts, "END_B")[3:])["findings"] == []
    # (What the orphan inherited, its pipes and stdio, is the run's.)
    final = [(x["kind"], x["class"], x["pid"], x.get("fd"))
             for x in res.report["findings"] if x["test"] == "child-fd"]
    assert sorted(final) == [("fd", "late", child, fd),
                             ("process", "orphan", child, None)], \
        show(res.report["findings"])


def test_regression_more_tests_than_the_tests_table(run_ls, harness):
    """Each test's counters stayed in the kernel's tests table after its
    verdict: BEGIN number --max-tests + 1 (16385 by default) failed with
    "cannot mark ... the process table may be full", and a large suite
    stopped there. A test that leaves nothing alive now frees its entry
    at END: 48 tests under --max-tests 16, a leak among them, all judged,
    each with its counts in the report."""
    scenarios = [f"{s}@{i}" for i in range(15)
                 for s in ("fd-clean", "socket-clean", "mapping-clean")] + \
        ["fd-leak", "fd-clean@15", "fd-clean@16"]
    run = harness_run(run_ls, harness, scenarios, args=["--max-tests", "16"])
    assert verdict(run, "fd-leak")["leaks"] == 1
    tests = run.report["tests"]
    assert [t["name"] for t in tests] == scenarios
    for t in tests:
        if t["name"].startswith("fd-clean@"):
            fd = t["counts"]["fd"]
            assert (fd["created"], fd["released"]) == (250, 250), t
    assert "tests table is full" not in run.stderr


def test_a_full_tests_table_judges_tests_without_counters(run_ls, harness):
    """Tests that leak keep their counters to the end of the run; past
    --max-tests of them, the next ones run without counters (said once)
    and are still judged, by a look at what lives at their END."""
    scenarios = [f"fd-leak@{i}" for i in range(20)]
    run = harness_run(run_ls, harness, scenarios, args=["--max-tests", "16"])
    assert [t["name"] for t in run.report["tests"]] == scenarios
    leaks = [f for f in run.report["findings"] if f["class"] == "leak"]
    assert len(leaks) == 20, show(run.report["findings"])
    assert run.stderr.count("the tests table is full") == 1, run.stderr

"""Which test left what, kind by kind: per-test attribution over the
control socket, with the C harness (tests/bpf/workloads/harness.c, client
library) under a real `leakscope run`.

Covers: one test per resource kind that leaks exactly one thing (fd,
socket, process, zombie, thread, mapping, temp file, cgroup) -- its END
verdict, its finding in the final report (test, final class) and its
"tests" entry (outcome, findings per class, counts); clean tests of every
kind and a churn of thousands of objects (no findings at all, counts that
match what the test did); the verdict's backoff (a thread/child ending 50
ms after END is no leak, one ending after 2 s is); final classes late /
leak / orphan; a test's child that moves out of the watched cgroup.

Every run must exit 0, lose nothing, remove its cgroup and leave no process
behind (lsmarked.py); the lsh-* temp files are removed by conftest.py.
"""

import json
import os
import subprocess

import pytest

from lsmarked import (KINDS, MIB, Run, assert_counts, assert_creator,
                      assert_entry, assert_findings, assert_run_ok,
                      harness_run, num, one, parse, show, verdict,
                      with_class)
from lstest import BUILD, LEAKSCOPE, cgroup2_mount

HARNESS = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                        "harness"))

# ------------------------------------------ one leak of each kind, alone


def expected_leak(scenario, facts, h):
    """The finding (key) that @scenario's verdict must hold, class leak."""
    t = scenario
    if t == "fd-leak":
        return ("fd", "leak", t, h, num(facts, "FD_LEAK_FD"), "file",
                "/etc/hostname")
    if t == "socket-leak":
        return ("socket", "leak", t, h, num(facts, "SOCKET_LEAK_FD"), "inet",
                "stream", "tcp", "LISTEN", "127.0.0.1",
                num(facts, "SOCKET_LEAK_PORT"), None, None)
    if t == "process-leak":
        return ("process", "leak", t, num(facts, "PROCESS_LEAK_PID"), "sleep",
                ("sleep", "60"), 1, None)
    if t == "zombie":
        # wait(2) status of _exit(5); a zombie never exec'd: no argv.
        return ("process", "zombie", t, num(facts, "ZOMBIE_PID"), "harness",
                None, 1, 5 << 8)
    if t == "thread-leak":
        return ("thread", "leak", t, h, num(facts, "THREAD_LEAK_TID"),
                "lsh-blocked")
    if t == "mapping-leak":
        return ("mapping", "leak", t, h, num(facts, "MAPPING_LEAK_ADDR"),
                MIB, "rw-", None)
    if t == "tempfile-leak":
        return ("tempfile", "leak", t, one(facts, "TEMPFILE_LEAK_PATH"),
                "file", 5)
    if t == "cgroup-leak":
        return ("cgroup", "leak", t, one(facts, "CGROUP_LEAK_PATH"))
    raise AssertionError(scenario)


# scenario -> (kind, final class, counts of that kind, other kinds counted)
KIND_LEAKS = {
    # Closed when the harness exits, after the last test: still a leak.
    "fd-leak": ("fd", "leak", (1, None, 1), ()),
    "socket-leak": ("socket", "leak", (1, None, 1), ()),
    # Still running when the run ends; the exec'd sleep's own fds and
    # mappings count for the test too.
    "process-leak": ("process", "orphan", (1, 0, 1), ("fd", "mapping")),
    # Never reaped while the tests ran (the harness exits without a wait;
    # init reaps it after the last test): it stays a zombie, not "late".
    "zombie": ("process", "zombie", (1, 1, 1), ()),
    "thread-leak": ("thread", "leak", (1, None, 1), ()),
    "mapping-leak": ("mapping", "leak", (1, 0, 1), ()),
    "tempfile-leak": ("tempfile", "orphan", (1, 0, 1), ("fd",)),
    "cgroup-leak": ("cgroup", "orphan", (1, 0, 1), ()),
}


@pytest.mark.parametrize("scenario", sorted(KIND_LEAKS))
def test_one_leak_per_kind(run_ls, harness, scenario):
    kind, final_cls, counts, ignore = KIND_LEAKS[scenario]
    run = harness_run(run_ls, harness, [scenario])
    h = num(run.facts, "HARNESS_PID")
    v = verdict(run, scenario)
    want = expected_leak(scenario, run.facts, h)
    assert v["leaks"] == 1 and v["suppressed"] == 0 and v["allowed"] == 0, v
    assert v["confidence"] == "full", v
    assert_findings(v["findings"], [want], f"verdict of {scenario}")
    f = v["findings"][0]
    assert_creator(f, h)
    if kind in ("fd", "socket", "thread", "mapping"):
        assert f["comm"] == ("lsh-blocked" if kind == "thread"
                             else "harness"), show(f)
    if kind == "process":
        assert f["ppid"] == h, f"a child of the harness: {show(f)}"
    if kind in ("tempfile", "cgroup"):
        assert (f["pid"], f["comm"]) == (h, "harness"), show(f)

    report = run.report
    assert_findings(report["findings"], [with_class(want, final_cls)],
                    "final report")
    final = report["findings"][0]
    if kind == "process" and final_cls == "orphan":
        assert final["ppid"] != h, f"reparented when the harness exited: " \
            f"{show(final)}"
        assert final["inherited_fds"] == "0,1,2", show(final)
    assert report["summary"]["by_class"][final_cls] == 1, report["summary"]
    assert [t["name"] for t in report["tests"]] == [scenario]
    t = assert_entry(report, scenario, findings={final_cls: 1})
    assert t["id"] == v["id"]
    assert_counts(t, {kind: counts}, ignore=ignore)


# ------------------------------------------------- clean tests, one run

CLEAN = ("fd-clean", "socket-clean", "process-clean", "thread-clean",
         "mapping-clean", "tempfile-clean", "cgroup-clean", "churn")

# scenario -> {kind: (created, released, peak)}, and kinds that also count
# (the programs a test execs load libraries: fds and mappings)
CLEAN_COUNTS = {
    # 50 rounds of open, eventfd, dup, pipe (2): 5 alive at once
    "fd-clean": ({"fd": (250, 250, 5)}, ()),
    # 20 rounds of udp + listener/client/accepted, then a socketpair
    "socket-clean": ({"socket": (120, 120, 4)}, ()),
    # 10 forks and one fork+exec of sleep 0, one at a time
    "process-clean": ({"process": (11, 11, 1)}, ("fd", "mapping")),
    "thread-clean": ({"thread": (10, 10, 1)}, ("mapping",)),
    # 20 rounds of 1 MiB anonymous + one page of a file; the file's fd
    "mapping-clean": ({"mapping": (40, 40, 2), "fd": (1, 1, 1)}, ()),
    # a file; a dir, and a file renamed into it; each removed
    "tempfile-clean": ({"tempfile": (3, 3, 2)}, ("fd",)),
    "cgroup-clean": ({"cgroup": (1, 1, 1)}, ()),
    # 3000 files, 500 sockets + 50 TCP rounds (3 each), 100 threads,
    # 1000 mmap/munmap, 100 fork+wait
    "churn": ({"fd": (3000, 3000, 1), "socket": (650, 650, 3),
               "thread": (100, 100, 1), "mapping": (1000, 1000, 1),
               "process": (100, 100, 1)}, ()),
}


def _ls_run(tmp, args, cmd, env=None, timeout=60, tag="run"):
    """Like conftest's run_ls, for module-scoped fixtures."""
    report, out, err = (tmp / f"{tag}.json", tmp / f"{tag}.out",
                        tmp / f"{tag}.err")
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.run([LEAKSCOPE, "run", "--report", str(report),
                               "--format", "json", "-q", *args, "--", *cmd],
                              stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                              env=full_env, timeout=timeout)
    text = report.read_text() if report.exists() else ""
    return (proc.returncode, json.loads(text) if text.strip() else None,
            out.read_text(errors="replace"), err.read_text(errors="replace"))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    rc, report, stdout, stderr = _ls_run(tmp_path_factory.mktemp("clean"),
                                         [], [HARNESS, *CLEAN])
    out = parse(stdout)
    return Run(rc, report, stdout, stderr, *out)


def test_clean_run_has_no_findings(clean_run):
    r = clean_run
    assert_run_ok(r.rc, r.report, r.stdout, r.stderr)
    assert "HARNESS_DONE" in r.facts, r.stderr
    assert r.report["findings"] == [], \
        f"clean tests left something: {show(r.report['findings'])}"
    assert [t["name"] for t in r.report["tests"]] == list(CLEAN)
    for kind in KINDS:
        assert r.report["metrics"][kind]["alive"] == 0, r.report["metrics"]


@pytest.mark.parametrize("scenario", CLEAN)
def test_clean_test(clean_run, scenario):
    r = clean_run
    assert r.report is not None, f"no report; rc={r.rc}\n{r.stderr}"
    v = verdict(r, scenario)
    assert (v["leaks"], v["findings"], v["suppressed"], v["allowed"]) == \
        (0, [], 0, 0), f"verdict of the clean test {scenario}: {v}"
    assert r.leaks[scenario] == 0
    t = assert_entry(r.report, scenario)
    want, ignore = CLEAN_COUNTS[scenario]
    assert_counts(t, want, ignore=ignore)


# --------------------------------------------- the verdict's backoff


def test_exits_just_after_end_are_no_leak(run_ls, harness):
    """A thread and a child that end 50 ms after END is sent: the verdict
    re-checks within --grace (400 ms) and finds nothing. A thread that ends
    only after 2 s is a leak; joined before the next test ends, it is
    late in the final report."""
    run = harness_run(run_ls, harness, ["thread-after-end", "child-after-end",
                                        "thread-slow-exit", "fd-clean"])
    h = num(run.facts, "HARNESS_PID")
    for name in ("thread-after-end", "child-after-end"):
        v = verdict(run, name)
        assert (v["leaks"], v["findings"]) == (0, []), \
            f"{name}: what ends 50 ms after END is no leak: {v}"
    v = verdict(run, "thread-slow-exit")
    slow = ("thread", "leak", "thread-slow-exit", h,
            num(run.facts, "THREAD_SLOW_EXIT_TID"), "lsh-slow")
    assert_findings(v["findings"], [slow], "verdict of thread-slow-exit")
    assert "THREAD_SLOW_EXIT_JOINED" in run.facts
    report = run.report
    assert_findings(report["findings"], [with_class(slow, "late")],
                    "final report")
    assert_entry(report, "thread-after-end")
    t = assert_entry(report, "child-after-end")
    assert_counts(t, {"process": (1, 1, 1), "thread": (1, 1, 1)},
                  ignore=("fd",))
    assert_entry(report, "thread-slow-exit", findings={"late": 1})


# ------------------------------------------------------- final classes


def test_final_classes(run_ls, harness):
    """Released by a later test: late (fd, process, zombie reaped). Never
    released before the harness exits: leak (fd). Still running when the
    run ends: orphan, with its test."""
    run = harness_run(run_ls, harness, [
        "fd-late-open", "process-late-start", "zombie", "fd-leak",
        "process-leak", "fd-late-close", "process-late-kill", "zombie-reap"])
    f, h = run.facts, num(run.facts, "HARNESS_PID")
    late_fd = ("fd", "leak", "fd-late-open", h, num(f, "FD_LATE_OPEN_FD"),
               "file", "/etc/hostname")
    late_proc = ("process", "leak", "process-late-start",
                 num(f, "PROCESS_LATE_START_PID"), "sleep", ("sleep", "60"),
                 1, None)
    zombie = ("process", "zombie", "zombie", num(f, "ZOMBIE_PID"), "harness",
              None, 1, 5 << 8)
    leak_fd = ("fd", "leak", "fd-leak", h, num(f, "FD_LEAK_FD"), "file",
               "/etc/hostname")
    orphan = ("process", "leak", "process-leak", num(f, "PROCESS_LEAK_PID"),
              "sleep", ("sleep", "60"), 1, None)
    for name, want in (("fd-late-open", late_fd),
                       ("process-late-start", late_proc),
                       ("zombie", zombie), ("fd-leak", leak_fd),
                       ("process-leak", orphan)):
        assert_findings(verdict(run, name)["findings"], [want],
                        f"verdict of {name}")
    for name in ("fd-late-close", "process-late-kill", "zombie-reap"):
        v = verdict(run, name)
        assert (v["leaks"], v["findings"]) == (0, []), \
            f"{name} released what others leaked, and made nothing: {v}"
    report = run.report
    # A zombie reaped later is late too (and no longer has exit_status).
    zombie_late = ("process", "late", "zombie", num(f, "ZOMBIE_PID"),
                   "harness", None, 1, None)
    assert_findings(report["findings"], [
        with_class(late_fd, "late"), with_class(late_proc, "late"),
        zombie_late, leak_fd, with_class(orphan, "orphan")], "final report")
    assert_entry(report, "fd-late-open", findings={"late": 1})
    assert_entry(report, "process-late-start", findings={"late": 1})
    assert_entry(report, "zombie", findings={"late": 1})
    assert_entry(report, "fd-leak", findings={"leak": 1})
    assert_entry(report, "process-leak", findings={"orphan": 1})
    for name in ("fd-late-close", "process-late-kill", "zombie-reap"):
        t = assert_entry(report, name)
        assert_counts(t, {})
    assert report["summary"]["by_class"] == \
        {"leak": 1, "late": 3, "orphan": 1, "zombie": 0}, report["summary"]


# ------------------------------------------ a child that moves out


def test_a_child_that_moves_out_is_still_its_tests_leak(run_ls, harness,
                                                        attach_cgroup):
    """A test's child moves itself to another cgroup before END and stays:
    the test's verdict names it, with where it went; the run's report
    keeps it as an orphan, and it is left running (outside the cgroup
    leakscope may kill in; attach_cgroup's teardown ends it)."""
    run = harness_run(run_ls, harness, ["process-escape"],
                      env={"LSH_ESCAPE_TO": attach_cgroup})
    pid = num(run.facts, "ESCAPED")
    rel = "/" + os.path.relpath(attach_cgroup, cgroup2_mount())
    v = verdict(run, "process-escape")
    procs = [f for f in v["findings"] if f["kind"] == "process"]
    assert [(f["pid"], f["class"], f["moved_out_to"]) for f in procs] == \
        [(pid, "leak", rel)], show(v["findings"])
    assert_creator(procs[0], num(run.facts, "HARNESS_PID"))
    final = [f for f in run.report["findings"] if f["kind"] == "process"]
    assert [(f["pid"], f["class"], f["test"], f["moved_out_to"])
            for f in final] == [(pid, "orphan", "process-escape", rel)], \
        show(run.report["findings"])
    assert os.path.exists(f"/proc/{pid}"), "the child that moved out was killed"

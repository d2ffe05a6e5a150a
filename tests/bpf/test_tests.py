"""Which test left what: per-test attribution over the control socket, with
real harnesses under a real `leakscope run` (and `attach`).

Covers:
- the C harness (tests/bpf/workloads/harness.c, client library): one test
  per resource kind that leaks exactly one thing (fd, socket, process,
  zombie, thread, mapping, temp file, cgroup) -- its END verdict, its
  finding in the final report (test, final class) and its "tests" entry
  (outcome, findings per class, counts); clean tests of every kind and a
  churn of thousands of objects (no findings at all, counts that match what
  the test did); the verdict's backoff (a thread/child ending 50 ms after
  END is no leak, one ending after 2 s is); final classes late / leak /
  orphan; BEGIN/END errors; dup semantics; ALLOW; parallel workers;
- `leakscope mark` from shell harnesses, and outside leakscope;
- `--test-per-exec`; `--suppressions` (matching and malformed);
  `--level stacks`;
- the control socket: requests, over-long lines, who may connect;
- `leakscope attach --socket`;
- leakscope bugs found on the way (test_regression_*; they fail until
  leakscope is fixed).

Every run must exit 0, lose nothing, remove its cgroup and leave no process
behind; the lsh-* temp files are removed by conftest.py.
"""

import collections
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time

import pytest

from lstest import BUILD, LEAKSCOPE, cgroup2_mount

HARNESS = os.path.realpath(os.path.join(BUILD, "tests", "workloads",
                                        "harness"))

LOSS_KEYS = ("ringbuf_full", "object_table_full", "process_table_full",
             "cgroup_table_full", "path_truncated", "origin_table_full",
             "malformed_records")
KINDS = ("fd", "socket", "process", "thread", "mapping", "tempfile",
         "cgroup")
CLASSES = ("leak", "late", "orphan", "zombie")
MIB = 1024 * 1024
NOBODY = 65534
SETPRIV = [shutil.which("setpriv") or "/usr/bin/setpriv",
           f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

# ---------------------------------------------------------------- helpers

Out = collections.namedtuple("Out", "facts verdicts leaks")
Run = collections.namedtuple("Run", "rc report stdout stderr facts verdicts "
                             "leaks")


def parse(stdout):
    """The harness's lines: KEY=VALUE facts (KEY -> [values]), VERDICT
    <name> <json> (name -> verdict), LEAKS <name> <n> (name -> the count
    ls_client_end returned)."""
    facts = collections.defaultdict(list)
    verdicts, leaks = {}, {}
    for line in stdout.splitlines():
        if line.startswith("VERDICT "):
            _, name, text = line.split(" ", 2)
            assert name not in verdicts, f"two verdicts for {name}"
            verdicts[name] = json.loads(text)
        elif line.startswith("LEAKS "):
            _, name, n = line.split(" ")
            leaks[name] = int(n)
        else:
            key, sep, value = line.partition("=")
            if sep and re.fullmatch(r"[A-Z0-9_]+", key):
                facts[key].append(value)
    return Out(facts, verdicts, leaks)


def one(facts, key):
    values = facts.get(key, [])
    assert len(values) == 1, f"{key}= printed {len(values)} times: " \
        f"{dict(facts)}"
    return values[0]


def num(facts, key):
    return int(one(facts, key))


def show(findings):
    return json.dumps(findings, indent=1)


def finding_key(f):
    """What identifies a finding, per kind (no times, no RSS)."""
    kind, cls, test = f["kind"], f["class"], f["test"]
    if kind == "fd":
        return (kind, cls, test, f["pid"], f["fd"], f["type"], f["path"])
    if kind == "socket":
        return (kind, cls, test, f["pid"], f["fd"], f["family"],
                f["sock_type"], f["protocol"], f["state"], f["local_addr"],
                f["local_port"], f["peer_addr"], f["peer_port"])
    if kind == "process":
        argv = tuple(f["argv"]) if f["argv"] is not None else None
        return (kind, cls, test, f["pid"], f["comm"], argv, f["threads"],
                f.get("exit_status"))
    if kind == "thread":
        return (kind, cls, test, f["pid"], f["tid"], f["comm"])
    if kind == "mapping":
        return (kind, cls, test, f["pid"], f["addr"], f["bytes"], f["prot"],
                f["path"])
    if kind == "tempfile":
        return (kind, cls, test, f["path"], f["type"], f["bytes"])
    if kind == "cgroup":
        return (kind, cls, test, f["path"])
    return (kind, cls, test, json.dumps(f, sort_keys=True))


def with_class(key, cls):
    return (key[0], cls) + tuple(key[2:])


def assert_findings(findings, expected, where):
    got = collections.Counter(finding_key(f) for f in findings)
    want = collections.Counter(expected)
    missing, extra = want - got, got - want
    assert not missing and not extra, (
        f"{where}: findings differ\n  missing: {sorted(missing, key=repr)}"
        f"\n  unexpected: {sorted(extra, key=repr)}\n"
        f"all findings: {show(findings)}")


def entry(report, name):
    """The report's "tests" entry of test @name."""
    found = [t for t in report["tests"] if t["name"] == name]
    assert len(found) == 1, (f"{len(found)} entries for test {name!r} in "
                             f"tests: {show(report['tests'])}")
    return found[0]


def assert_entry(report, name, outcome="passed", findings=None,
                 allowed=0, suppressed=0):
    t = entry(report, name)
    by_class = dict.fromkeys(CLASSES, 0)
    by_class.update(findings or {})
    assert t["outcome"] == outcome, f"outcome of {name}: {t}"
    assert t["findings"] == by_class, (
        f"tests[{name}].findings = {t['findings']}, expected {by_class}\n"
        f"report findings: {show(report['findings'])}")
    assert (t["allowed"], t["suppressed"]) == (allowed, suppressed), t
    assert t["confidence"] == "full", t
    assert set(t["counts"]) == set(KINDS), t["counts"]
    assert t["duration_s"] >= 0 and t["begin_s"] >= 0, t
    return t


def assert_counts(t, want, others_zero=True, ignore=()):
    """@want: kind -> (created, released, peak); None = not checked."""
    counts = t["counts"]
    for kind, (created, released, peak) in want.items():
        c = counts[kind]
        got = (c["created"], c["released"], c["peak"])
        exp = tuple(g if w is None else w
                    for g, w in zip(got, (created, released, peak)))
        assert got == exp, (
            f"tests[{t['name']}].counts.{kind} (created, released, peak) = "
            f"{got}, expected {exp}; counts: {json.dumps(counts)}")
    if others_zero:
        for kind in KINDS:
            if kind not in want and kind not in ignore:
                assert counts[kind]["created"] == 0, (
                    f"tests[{t['name']}] created {kind}s it never made: "
                    f"{json.dumps(counts)}")


def _comm_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat_line = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if stat_line.split(")")[-1].split()[0] == "Z":
        return None
    return stat_line[stat_line.index("(") + 1:stat_line.rindex(")")]


def assert_gone(pids, comms=("sleep", "harness")):
    """The processes a run left are gone (leakscope ended them)."""
    deadline = time.monotonic() + 3
    while True:
        left = [(p, _comm_of(p)) for p in pids if _comm_of(p) in comms]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not left, f"processes still there after the run: {left}"


def assert_run_ok(rc, report, stdout, stderr, mode="run"):
    assert report is not None, f"no JSON report; rc={rc}\nstderr:\n{stderr}"
    assert rc == 0, (f"leakscope exited {rc}\nstdout:\n{stdout}\nstderr:\n"
                     f"{stderr}\nexit: {report.get('exit')}")
    assert report["mode"] == mode
    losses = report["losses"]
    assert {k: losses[k] for k in LOSS_KEYS} == dict.fromkeys(LOSS_KEYS, 0), \
        f"losses: {losses}"
    assert report["summary"]["findings"] == len(report["findings"])
    if mode == "run":
        assert report["exit"]["status"] == "exited", report["exit"]
        cleanup = report["cleanup"]
        assert cleanup and cleanup["cgroup_removed"] is True, cleanup
        assert cleanup["error"] is None, cleanup
        assert not os.path.exists(report["cgroup"]), report["cgroup"]


def harness_run(run_ls, harness, scenarios, args=(), env=None, timeout=60):
    """`leakscope run ARGS -- harness SCENARIOS...`: checks that the run and
    the harness went well and that each test has exactly one verdict whose
    "leaks" is what ls_client_end returned."""
    res = run_ls(list(args), [harness, *scenarios], env=env, timeout=timeout)
    out = parse(res.stdout)
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    assert "HARNESS_DONE" in out.facts, (
        f"the harness did not finish\nstdout:\n{res.stdout}\nstderr:\n"
        f"{res.stderr}")
    for name, v in out.verdicts.items():
        assert v["test"] == name and v["outcome"] == "passed", v
        assert v["leaks"] == len(v["findings"]), v
        assert out.leaks[name] == v["leaks"], (
            f"ls_client_end said {out.leaks[name]} leaks, the verdict "
            f"{v['leaks']}: {v}")
        for f in v["findings"]:
            assert f["test"] == name, f"verdict of {name}: {show(f)}"
    pids = [int(x) for k, vs in out.facts.items() if k.endswith("_PID")
            for x in vs]
    assert_gone(pids)
    return Run(res.rc, res.report, res.stdout, res.stderr, *out)


def verdict(run, name):
    assert name in run.verdicts, (f"no verdict for {name}\nstdout:\n"
                                  f"{run.stdout}\nstderr:\n{run.stderr}")
    return run.verdicts[name]


def assert_creator(f, pid, tid=None, comm="harness"):
    by = f["created_by"]
    assert by is not None, f"no created_by: {show(f)}"
    assert (by["pid"], by["tid"], by["comm"]) == \
        (pid, pid if tid is None else tid, comm), f"created_by: {show(f)}"


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


# ------------------------------------------------------------- errors


def test_marking_errors(run_ls, harness):
    run = harness_run(run_ls, harness, ["errors"])
    f, h = run.facts, num(run.facts, "HARNESS_PID")

    def res(key):
        rc, _, reply = one(f, key).partition(" ")
        return int(rc), reply

    def check(key, rc, reason):
        got = res(key)
        assert got[0] == rc and got[1].startswith(reason), \
            f"{key}: got {got}, expected ({rc}, {reason!r}...)"

    check("ERR_END_IDLE", -2, "not running")
    check("ERR_ALLOW_IDLE", -2, "no test")
    # Rejected by the client before anything is sent.
    check("ERR_NAME_NEWLINE", -22, "bad name: control character")
    check("ERR_NAME_EMPTY", -22, "bad name: empty")
    check("ERR_NAME_UTF8", -22, "bad name: invalid UTF-8")
    check("ERR_NAME_DEL", -22, "bad name: control character")
    check("ERR_NAME_LONG", -22, "bad name: over 1024 bytes")
    assert res("ERR_NAME_CHECK_MAX")[0] == 0, "1024 bytes is a valid name"
    check("BEGIN_ERRORS", 0, "test=")
    check("ERR_NESTED", -16,
          f"nested: test 'errors' is running in process {h}")
    check("ERR_NESTED_SAME", -16, "nested")
    check("ERR_END_OTHER", -2,
          f"not running: process {h} runs 'errors'")
    check("ERR_END_NO_OUTCOME", -22, "bad name")
    check("ERR_ALLOW_BAD", -22, "bad rule: unknown kind 'nokind'")
    check("ERR_RAW_UNKNOWN", -95, "unknown request")
    check("END_ERRORS", 0, "{")
    check("ERR_END_AGAIN", -2, "not running")
    v = verdict(run, "errors")
    assert (v["leaks"], v["findings"]) == (0, []), v
    # The refused BEGINs made no test; the failed ones changed nothing.
    assert [t["name"] for t in run.report["tests"]] == ["errors"], \
        show(run.report["tests"])
    assert_entry(run.report, "errors")
    assert run.report["findings"] == [], show(run.report["findings"])


# -------------------------------------------------------- dup, ALLOW


def test_dup_semantics(run_ls, harness):
    """A dup2 over stdout, restored: the fds of a file opened before the
    test are no leak. A dup of a file the test opened, kept: a leak."""
    run = harness_run(run_ls, harness, ["dup-stdout", "dup-own"])
    h = num(run.facts, "HARNESS_PID")
    v = verdict(run, "dup-stdout")
    assert (v["leaks"], v["findings"]) == (0, []), \
        f"saving and restoring stdout is no leak: {v}"
    own = ("fd", "leak", "dup-own", h, num(run.facts, "DUP_OWN_FD"), "file",
           "/etc/hostname")
    assert_findings(verdict(run, "dup-own")["findings"], [own],
                    "verdict of dup-own")
    assert_findings(run.report["findings"], [own], "final report")
    assert_entry(run.report, "dup-stdout")
    assert_entry(run.report, "dup-own", findings={"leak": 1})


def test_allow(run_ls, harness):
    run = harness_run(run_ls, harness, ["allow"])
    assert one(run.facts, "ALLOW_RC") == "0 ", run.facts["ALLOW_RC"]
    v = verdict(run, "allow")
    assert (v["leaks"], v["allowed"], v["suppressed"], v["findings"]) == \
        (0, 1, 0, []), f"the allowed fd: {v}"
    assert run.report["findings"] == [], show(run.report["findings"])
    assert run.report["summary"]["suppressed"] == 0, run.report["summary"]
    assert_entry(run.report, "allow", allowed=1)


# -------------------------------------------------------------- parallel

WORKERS = 4


def test_parallel_workers(run_ls, harness):
    """N worker processes run their tests at the same time, each making a
    temp file and keeping an fd on it: each verdict holds its own worker's
    two findings and nothing of the others'."""
    run = harness_run(run_ls, harness, ["parallel", str(WORKERS)])
    assert num(run.facts, "PARALLEL_DONE") == WORKERS
    final = []
    for i in range(WORKERS):
        name = f"parallel-{i}"
        pid = num(run.facts, f"PARALLEL_{i}_PID")
        path = one(run.facts, f"PARALLEL_{i}_PATH")
        fd = ("fd", "leak", name, pid, num(run.facts, f"PARALLEL_{i}_FD"),
              "file", path)
        temp = ("tempfile", "leak", name, path, "file", 1)
        v = verdict(run, name)
        assert_findings(v["findings"], [fd, temp], f"verdict of {name}")
        for f in v["findings"]:
            assert_creator(f, pid)
        final += [fd, with_class(temp, "orphan")]
        assert_entry(run.report, name, findings={"leak": 1, "orphan": 1})
    assert_findings(run.report["findings"], final, "final report")
    tests = run.report["tests"]
    assert sorted(t["name"] for t in tests) == \
        [f"parallel-{i}" for i in range(WORKERS)]
    # They overlapped: every test began before any ended.
    last_begin = max(t["begin_s"] for t in tests)
    first_end = min(t["begin_s"] + t["duration_s"] for t in tests)
    assert last_begin < first_end, f"the tests did not overlap: {tests}"


# ------------------------------------------------ shell harnesses: mark


def write_script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def mark_verdicts(stderr):
    """`leakscope mark end` says a leaking test's verdict on stderr."""
    out = {}
    for m in re.finditer(r"^leakscope: test (.*) left \d+ things? behind: "
                         r"(\{.*\})$", stderr, re.M):
        out[m.group(1)] = json.loads(m.group(2))
    return out


def test_mark_shell_harness(run_ls, tmp_path):
    """`leakscope mark begin/end` around commands that leave a background
    sleep and a temp file: exactly those (and the /dev/null the shell opens
    as the background job's stdin) belong to that test. No redirection in
    the shell itself (see test_regression_shell_redirect_*)."""
    temp = f"/tmp/lsh-mark-{os.getpid()}"
    script = write_script(tmp_path, "mark.sh", f"""
LS={LEAKSCOPE}
$LS mark begin "shell leak"
echo "BEGIN_RC=$?"
cp /etc/hostname {temp}
sleep 60 &
echo "SLEEP_PID=$!"
$LS mark end "shell leak" --outcome passed
echo "END_RC=$?"
""")
    res = run_ls([], ["/bin/sh", script])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    facts = parse(res.stdout).facts
    assert (one(facts, "BEGIN_RC"), one(facts, "END_RC")) == ("0", "0"), \
        res.stderr
    sleep = num(facts, "SLEEP_PID")
    size = os.path.getsize("/etc/hostname")
    name = "shell leak"
    want = [("process", "leak", name, sleep, "sleep", ("sleep", "60"), 1,
             None),
            ("fd", "leak", name, sleep, 0, "chardev", "/dev/null"),
            ("tempfile", "leak", name, temp, "file", size)]
    v = mark_verdicts(res.stderr).get(name)
    assert v is not None, f"no verdict on stderr:\n{res.stderr}"
    assert v["outcome"] == "passed" and v["leaks"] == 3, v
    assert_findings(v["findings"], want, "verdict of the shell test")
    assert_findings(res.report["findings"],
                    [with_class(k, "orphan") for k in want], "final report")
    assert [t["name"] for t in res.report["tests"]] == [name]
    assert_entry(res.report, name, findings={"orphan": 3})
    assert_gone([sleep])


def test_mark_outside_leakscope(tmp_path):
    """Without LEAKSCOPE_SOCK, mark does nothing and exits 0."""
    env = {k: v for k, v in os.environ.items() if k != "LEAKSCOPE_SOCK"}
    for args in (["begin", "t"], ["allow", "fd path=/x"],
                 ["end", "t", "--outcome", "passed", "--fail-on-leak"],
                 ["end", "never begun"]):
        p = subprocess.run([LEAKSCOPE, "mark", *args], env=env,
                           capture_output=True, text=True, timeout=10,
                           cwd=tmp_path)
        assert (p.returncode, p.stdout, p.stderr) == (0, "", ""), \
            f"mark {args} outside leakscope: {p}"
    assert list(tmp_path.iterdir()) == []


def test_mark_fail_on_leak(run_ls, tmp_path):
    """mark end --fail-on-leak: 3 when the test left something, 0 when
    not; END of a test that is not running: 2."""
    temp = f"/tmp/lsh-markfail-{os.getpid()}"
    script = write_script(tmp_path, "fail.sh", f"""
LS={LEAKSCOPE}
$LS mark begin leaky
cp /etc/hostname {temp}
$LS mark end leaky --outcome passed --fail-on-leak
echo "LEAKY_RC=$?"
$LS mark begin clean
rm {temp}
$LS mark end clean --outcome passed --fail-on-leak
echo "CLEAN_RC=$?"
$LS mark end ghost --outcome passed
echo "GHOST_RC=$?"
""")
    res = run_ls([], ["/bin/sh", script])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    facts = parse(res.stdout).facts
    assert (one(facts, "LEAKY_RC"), one(facts, "CLEAN_RC"),
            one(facts, "GHOST_RC")) == ("3", "0", "2"), \
        f"{dict(facts)}\nstderr:\n{res.stderr}"
    assert "not running" in res.stderr, res.stderr
    # The temp file left by "leaky" was removed by "clean": late.
    size = os.path.getsize("/etc/hostname")
    assert_findings(res.report["findings"],
                    [("tempfile", "late", "leaky", temp, "file", size)],
                    "final report")
    assert_entry(res.report, "leaky", findings={"late": 1})
    assert_entry(res.report, "clean")


# ---------------------------------------------------- --test-per-exec


def test_test_per_exec(run_ls, tmp_path):
    temp = f"/tmp/lsh-tpe-{os.getpid()}"
    daemon = f"cp /etc/hostname {temp}; sleep 60 & exit 0"
    script = write_script(tmp_path, "tpe.sh", f"""
/bin/sh -c '{daemon}'
/bin/sh -c 'exit 4'
/bin/true
exit 0
""")
    res = run_ls(["--test-per-exec"], ["/bin/sh", script])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    first = f"/bin/sh -c {daemon}"
    names = [first, "/bin/sh -c exit 4", "/bin/true"]
    tests = res.report["tests"]
    assert [(t["name"], t["outcome"]) for t in tests] == \
        list(zip(names, ["passed", "failed", "passed"])), show(tests)
    procs = [f for f in res.report["findings"] if f["kind"] == "process"]
    assert len(procs) == 1, show(res.report["findings"])
    sleep = procs[0]["pid"]
    size = os.path.getsize("/etc/hostname")
    assert_findings(res.report["findings"], [
        ("process", "orphan", first, sleep, "sleep", ("sleep", "60"), 1,
         None),
        # The /dev/null that sh opens as a background job's stdin.
        ("fd", "orphan", first, sleep, 0, "chardev", "/dev/null"),
        ("tempfile", "orphan", first, temp, "file", size)], "final report")
    assert_entry(res.report, first, findings={"orphan": 3})
    assert_entry(res.report, names[1], outcome="failed")
    assert_entry(res.report, names[2])
    assert_gone([sleep])


# -------------------------------------------------------- suppressions


def test_suppression_file(run_ls, harness, tmp_path):
    supp = tmp_path / "supp"
    supp.write_text("# the test's passwd fd is known\nfd path=/etc/passwd\n")
    run = harness_run(run_ls, harness, ["two-fds"],
                      args=["--suppressions", str(supp)])
    h = num(run.facts, "HARNESS_PID")
    kept = ("fd", "leak", "two-fds", h, num(run.facts, "TWO_FDS_HOSTNAME"),
            "file", "/etc/hostname")
    v = verdict(run, "two-fds")
    assert (v["leaks"], v["suppressed"], v["allowed"]) == (1, 1, 0), v
    assert_findings(v["findings"], [kept], "verdict of two-fds")
    assert_findings(run.report["findings"], [kept], "final report")
    assert run.report["summary"]["suppressed"] == 1, run.report["summary"]
    assert_entry(run.report, "two-fds", findings={"leak": 1}, suppressed=1)


def test_suppression_file_malformed(run_ls, harness, tmp_path):
    supp = tmp_path / "bad-supp"
    supp.write_text("# fine\nfd path=/etc/passwd\nfd name=x\n")
    res = run_ls(["--suppressions", str(supp)], [harness, "fd-leak"])
    assert res.rc == 2, (res.rc, res.stderr)
    assert f"{supp}:3" in res.stderr, res.stderr
    assert "unknown field 'name'" in res.stderr, res.stderr
    assert res.stdout == "", f"the harness must not run: {res.stdout}"


# ------------------------------------------------------ --level stacks


def test_stacks(run_ls, harness):
    """The creation stack names the test's own code. glibc keeps no frame
    pointers: its open() keeps the path in %rbp and socket() makes no
    frame, so the kernel's walk ends at libc or skips the caller. The
    callers come from the words on top of the stack that follow a call
    instruction: libc's wrapper, then the harness's t_<kind>, then main."""
    run = harness_run(run_ls, harness, ["fd-leak", "socket-leak",
                                        "mapping-leak"],
                      args=["--level", "stacks"])
    # report-schema.md: "level" is "full" or "snapshot"; stacks is full.
    assert run.report["level"] == "full", run.report["level"]
    wrappers = {"fd-leak": r"(__)?(libc_)?open(at)?(64)?(_nocancel)?",
                "socket-leak": r"(__)?socket", "mapping-leak": r"(__)?mmap(64)?"}
    for name, wrapper in wrappers.items():
        f = verdict(run, name)["findings"]
        assert len(f) == 1, show(f)
        stack = f[0]["stack"]
        assert isinstance(stack, list) and len(stack) >= 3, \
            f"{name}: stack too short: {show(f)}"
        assert re.match(wrapper + r"\+0x[0-9a-f]+ \(.*libc\.so[.0-9]*\)$",
                        stack[0]), f"{name}: first frame not libc's: {stack}"
        fn = "t_" + name.replace("-", "_")
        assert re.match(fn + r"\+0x[0-9a-f]+ \(.*/harness\)$", stack[1]), \
            f"{name}: the caller is not {fn}: {stack}"
        assert re.match(r"main\+0x[0-9a-f]+ \(.*/harness\)$", stack[2]), \
            f"{name}: then not main: {stack}"
    final = {f["test"]: f["stack"] for f in run.report["findings"]}
    for name in wrappers:
        assert final[name] == verdict(run, name)["findings"][0]["stack"]


# ------------------------------------------------------ control socket


class Live:
    """A `leakscope run` whose CMD (a shell script) prints $LEAKSCOPE_SOCK
    and waits for its stdin to close."""

    def __init__(self, tmp_path, args, script):
        self.report_path = tmp_path / "live.json"
        self.out_path = tmp_path / "live.out"
        self.err_path = tmp_path / "live.err"
        self.rc = self.report = None
        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [LEAKSCOPE, "run", "--report", str(self.report_path),
                 "--format", "json", "-q", *args, "--", "/bin/sh", "-c",
                 script], stdin=subprocess.PIPE, stdout=out, stderr=err)
        deadline = time.monotonic() + 20
        while True:
            m = re.search(r"^SOCK=(.*)$", self.stdout(), re.M)
            if m or self.proc.poll() is not None or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert m, f"no SOCK= line\n{self.stdout()}\n{self.stderr()}"
        self.sock = m.group(1)

    def stdout(self):
        return self.out_path.read_text(errors="replace")

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def wait_for(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.stdout(), re.M):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} in the output\n"
                             f"{self.stdout()}\n{self.stderr()}")

    def finish(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        if self.report_path.exists():
            self.report = json.loads(self.report_path.read_text())
        return self


@contextlib.contextmanager
def live_run(tmp_path, args, script):
    live = Live(tmp_path, args, script)
    try:
        yield live
    finally:
        if live.rc is None:
            live.proc.kill()
            live.proc.wait()


WAIT = 'echo "SOCK=$LEAKSCOPE_SOCK"\n{body}\nread line\nexit 0\n'


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")


def ask(s, f, data):
    s.sendall(data)
    return f.readline().decode()


def test_control_requests(tmp_path):
    with live_run(tmp_path, [], WAIT.format(body="")) as live:
        s, f = connect(live.sock)
        assert ask(s, f, b"PING\n") == "OK pong\n"
        assert re.fullmatch(r"OK leakscope \S+ protocol 1\n",
                            ask(s, f, b"HELLO pytest\n"))
        status = ask(s, f, b"STATUS\n")
        assert status.startswith("OK "), status
        assert json.loads(status[3:]) == \
            {"tests_running": 0, "tests_done": 0, "protocol": 1}, status
        assert ask(s, f, b"FROB x\n").startswith("ERR unknown request")
        assert ask(s, f, b"\n").startswith("ERR empty request")
        assert ask(s, f, b"PI\0NG\n").startswith("ERR NUL byte")
        assert ask(s, f, b"PING\r\n") == "OK pong\n"
        # 4096 bytes with the newline: served (an unknown verb)...
        assert ask(s, f, b"FROB " + b"x" * 4090 + b"\n").startswith(
            "ERR unknown request")
        # ...4097: too long, and the rest of the line is skipped.
        assert ask(s, f, b"PING" + b"x" * 4092 + b"\n").startswith(
            "ERR line too long")
        assert ask(s, f, b"PING\n") == "OK pong\n"
        # A long line and the next request in one write.
        s.sendall(b"y" * 10000 + b"\nPING\n")
        assert f.readline().decode().startswith("ERR line too long")
        assert f.readline().decode() == "OK pong\n"
        assert ask(s, f, b"STATUS\n").startswith("OK {")
        s.close()
        live.finish()
    assert_run_ok(live.rc, live.report, live.stdout(), live.stderr())
    assert live.report["tests"] == [] and live.report["findings"] == []


def _nobody_python(code, *args, env=None):
    return subprocess.run(["/usr/bin/python3", "-c", code, *args],
                          user=NOBODY, group=NOBODY, extra_groups=[],
                          capture_output=True, text=True, timeout=20,
                          env=env, cwd="/")


READ_UNSOLICITED = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("CONNECT", e.errno)
    sys.exit(0)
f = s.makefile("rb")
print(repr(f.readline()))
print(repr(f.readline()))
"""


def test_control_peer_check(tmp_path, harness):
    """--socket-group nogroup: a non-root process inside the watched cgroup
    marks tests; uid 65534 outside the cgroup is refused ("ERR forbidden",
    then the connection closes; the C client says -EPERM)."""
    body = (f"{' '.join(SETPRIV)} {harness} ping fd-leak\n"
            'echo "NOBODY_RC=$?"')
    with live_run(tmp_path, ["--socket-group", "nogroup"],
                  WAIT.format(body=body)) as live:
        live.wait_for(r"^NOBODY_RC=")
        sock_dir = os.path.dirname(live.sock)
        st, dst = os.stat(live.sock), os.stat(sock_dir)
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == \
            (0o660, 0, NOBODY), f"socket {live.sock}: {oct(st.st_mode)}"
        # nogroup must be able to reach the socket through its directory
        assert dst.st_mode & 0o010 and dst.st_gid == NOBODY or \
            dst.st_mode & 0o001, f"{sock_dir} is not traversable for " \
            f"nogroup: {oct(dst.st_mode)} gid {dst.st_gid}"
        p = _nobody_python(READ_UNSOLICITED, live.sock)
        lines = p.stdout.splitlines()
        assert p.returncode == 0 and len(lines) == 2, p
        assert lines[0].startswith("b'ERR forbidden"), p.stdout
        assert lines[1] == "b''", f"the connection must be closed: {p.stdout}"
        c = subprocess.run([*SETPRIV, harness, "ping"],
                           env={"LEAKSCOPE_SOCK": live.sock},
                           capture_output=True, text=True, timeout=20)
        assert (c.returncode, c.stdout.strip()) == (1, "CONNECT=-1"), \
            f"ls_client_connect outside the cgroup: -EPERM expected: {c}"
        # root may always connect
        s, f = connect(live.sock)
        assert ask(s, f, b"PING\n") == "OK pong\n"
        s.close()
        live.finish()
    assert_run_ok(live.rc, live.report, live.stdout(), live.stderr())
    out = parse(live.stdout())
    assert one(out.facts, "NOBODY_RC") == "0", live.stdout()
    assert one(out.facts, "PING") == "0 pong"
    v = out.verdicts.get("fd-leak")
    assert v is not None, live.stdout()
    h = num(out.facts, "HARNESS_PID")
    want = ("fd", "leak", "fd-leak", h, num(out.facts, "FD_LEAK_FD"),
            "file", "/etc/hostname")
    assert_findings(v["findings"], [want], "verdict of nobody's fd-leak")
    assert_findings(live.report["findings"], [want], "final report")
    assert [t["name"] for t in live.report["tests"]] == ["fd-leak"]


def test_control_socket_private_by_default(tmp_path, harness):
    """Without --socket-group the socket is root's alone (0600, in a 0700
    directory): a non-root process, even inside the cgroup, cannot open
    it (-EACCES)."""
    body = (f"{' '.join(SETPRIV)} {harness} ping\n"
            'echo "NOBODY_RC=$?"')
    with live_run(tmp_path, [], WAIT.format(body=body)) as live:
        live.wait_for(r"^NOBODY_RC=")
        st = os.stat(live.sock)
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0), \
            oct(st.st_mode)
        live.finish()
    assert_run_ok(live.rc, live.report, live.stdout(), live.stderr())
    facts = parse(live.stdout()).facts
    assert one(facts, "CONNECT") == "-13 ", live.stdout()
    assert one(facts, "NOBODY_RC") == "1"


# -------------------------------------------------------------- attach

_cg_counter = itertools.count()


def _cgroup_pids(path):
    pids = []
    for d, _, files in os.walk(path):
        if "cgroup.procs" in files:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids += [int(x) for x in f.read().split()]
    return pids


def _remove_cgroup(path):
    if not os.path.isdir(path):
        return
    kill = os.path.join(path, "cgroup.kill")
    if os.path.exists(kill):
        with open(kill, "w") as f:
            f.write("1")
    else:
        for pid in _cgroup_pids(path):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while _cgroup_pids(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    for d, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
        try:
            os.rmdir(d)
        except OSError:
            pass


@pytest.fixture
def attach_cgroup():
    """A fresh cgroup v2 directory; everything in it is killed and it is
    removed afterwards (attach never kills or removes anything)."""
    mnt = cgroup2_mount()
    assert mnt, "no cgroup2 mount"
    path = os.path.join(mnt, f"lsh-attach-{os.getpid()}-{next(_cg_counter)}")
    os.mkdir(path)
    try:
        yield path
    finally:
        _remove_cgroup(path)
    assert not os.path.exists(path), f"cannot remove {path}"


def _attach(tmp_path, harness, cgroup, scenarios):
    """`leakscope attach --cgroup CGROUP --socket PATH`, then the harness
    started in CGROUP; SIGINT ends the watch. (rc, report, stdout)."""
    sock = str(tmp_path / "ctl.sock")
    report = tmp_path / "attach.json"
    err_path = tmp_path / "attach.err"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [LEAKSCOPE, "attach", "--cgroup", cgroup, "--socket", sock,
             "--report", str(report), "--format", "json", "-q"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                s, f = connect(sock)
                assert ask(s, f, b"PING\n") == "OK pong\n"
                s.close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    f"attach did not serve {sock}: {err_path.read_text()}"
                time.sleep(0.05)

        def join():
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as c:
                c.write(str(os.getpid()))

        # Files, not pipes: a leaked process keeps its stdio open.
        out_path, herr_path = tmp_path / "harness.out", tmp_path / "h.err"
        with open(out_path, "wb") as out, open(herr_path, "wb") as herr:
            h = subprocess.run(
                [harness, *scenarios], preexec_fn=join,
                stdin=subprocess.DEVNULL, stdout=out, stderr=herr,
                timeout=60, env={**os.environ, "LEAKSCOPE_SOCK": sock})
        stdout = out_path.read_text()
        assert h.returncode == 0, f"{stdout}\n{herr_path.read_text()}"
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    data = json.loads(report.read_text()) if report.exists() else None
    assert_run_ok(rc, data, stdout, err_path.read_text(), mode="attach")
    return rc, data, stdout


def test_attach_socket(tmp_path, harness, attach_cgroup):
    """`leakscope attach --cgroup CG --socket PATH`: a harness started in CG
    after the attach marks its tests; verdicts work the same, and attach
    removes nothing (the temp file and the cgroup are orphans)."""
    _, data, stdout = _attach(tmp_path, harness, attach_cgroup, [
        "fd-leak", "tempfile-leak", "cgroup-leak", "fd-clean"])
    run = parse(stdout)
    f = run.facts
    hpid = num(f, "HARNESS_PID")
    assert one(f, "CGROUP_DIR") == os.path.realpath(attach_cgroup)
    fd = ("fd", "leak", "fd-leak", hpid, num(f, "FD_LEAK_FD"), "file",
          "/etc/hostname")
    temp = ("tempfile", "leak", "tempfile-leak",
            one(f, "TEMPFILE_LEAK_PATH"), "file", 5)
    cg = ("cgroup", "leak", "cgroup-leak", one(f, "CGROUP_LEAK_PATH"))
    for name, want in (("fd-leak", fd), ("tempfile-leak", temp),
                       ("cgroup-leak", cg)):
        assert name in run.verdicts, stdout
        assert_findings(run.verdicts[name]["findings"], [want],
                        f"verdict of {name}")
        assert run.leaks[name] == 1
    v = run.verdicts["fd-clean"]
    assert (v["leaks"], v["findings"]) == (0, []), v
    assert os.path.isdir(one(f, "CGROUP_LEAK_PATH"))
    assert_findings(data["findings"], [
        fd, with_class(temp, "orphan"), with_class(cg, "orphan")],
        "final report")
    assert [t["name"] for t in data["tests"]] == \
        ["fd-leak", "tempfile-leak", "cgroup-leak", "fd-clean"]
    assert_entry(data, "fd-leak", findings={"leak": 1})
    assert_entry(data, "tempfile-leak", findings={"orphan": 1})
    assert_entry(data, "cgroup-leak", findings={"orphan": 1})
    assert_entry(data, "fd-clean")


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
    in-cgroup nobody (group nogroup) must connect. (Today /run/leakscope
    is made with mkdir(0755) & ~umask = 0750 root:root, which nogroup
    cannot traverse: ls_client_connect gets -EACCES.)"""
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

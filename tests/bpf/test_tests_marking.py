"""Which test left what, as harnesses mark their tests: per-test
attribution over the control socket under a real `leakscope run`.

Covers: with the C harness (tests/bpf/workloads/harness.c, client
library), BEGIN/END errors, dup semantics, ALLOW and parallel workers;
`leakscope mark` from shell harnesses, and outside leakscope;
`--test-per-exec`; `--suppressions` (matching and malformed); `--level
stacks` (the creation stack names the test's own code).

Every run must exit 0, lose nothing, remove its cgroup and leave no process
behind (lsmarked.py); the lsh-* temp files are removed by conftest.py.
"""

import json
import os
import re
import subprocess

from lsmarked import (assert_creator, assert_entry, assert_findings,
                      assert_gone, assert_run_ok, harness_run, num, one,
                      parse, show, verdict, with_class, write_script)
from lstest import LEAKSCOPE

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

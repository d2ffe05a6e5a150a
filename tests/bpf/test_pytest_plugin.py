"""The pytest plugin (tools/pytest_leakscope.py) under a real `leakscope
run`.

A small suite with known leaks (tests/bpf/pytest_suite/suite_*.py: named
so that this run never collects them; they are passed explicitly to a
pytest subprocess) runs as

    leakscope run --report R -- python3 -m pytest -p pytest_leakscope ...

with tools/ on PYTHONPATH. Covers: each test's leak in the final report
with its node id as "test" and the right class (leak, late, orphan), the
"tests" array (names, outcomes, findings per class, allowed), the clean,
allowed and failing tests reporting nothing, the "leakscope" report section
in pytest's output (-rA), --leakscope-fail turning a leaking test into a
failure (listed once, as failed), and the plugin doing nothing without
LEAKSCOPE_SOCK (but warning once under --leakscope-fail). Against a stand-in
for leakscope's socket (no kernel involved): how a mapping finding is
described, a socket that fails mid-run or cannot be reached (one warning,
the tests go on).

The suite runs with PYTHONMALLOC=malloc: Python's own allocator maps 1 MiB
arenas whenever its heap grows, which leakscope reports as a mapping leak
of whichever test happened to grow it (see the report of this change);
with glibc's malloc small objects come from the brk heap, so the findings
are those the suite makes on purpose.
"""

import collections
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from lstest import LEAKSCOPE, REPO

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "pytest_suite")
FILES = [os.path.join(SUITE, "suite_leaks.py"),
         os.path.join(SUITE, "suite_fixture.py")]
TOOLS = os.path.join(REPO, "tools")
PYTHON = "/usr/bin/python3"
LEAKS = "suite_leaks.py::"
FIXTURE = "suite_fixture.py::"
ORDER = [LEAKS + n for n in (
    "test_clean", "test_leaks_file", "test_leaks_socket",
    "test_leaks_subprocess", "test_leaks_thread", "test_allowed",
    "test_fails", "test_late_open", "test_late_close")] + \
    [FIXTURE + "test_fixture_first", FIXTURE + "test_fixture_second"]
CLASSES = ("leak", "late", "orphan", "zombie")


def pytest_cmd(*extra, files=FILES):
    """The inner pytest: rootdir and confcutdir are the suite's directory,
    so that node ids are "suite_leaks.py::..." and tests/bpf/conftest.py
    is not loaded."""
    return [PYTHON, "-m", "pytest", "-p", "pytest_leakscope", "-p",
            "no:cacheprovider", "-rA", f"--rootdir={SUITE}",
            f"--confcutdir={SUITE}", *extra, *files]


def suite_env(facts, with_sock=True):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and
           (with_sock or k != "LEAKSCOPE_SOCK")}
    env.update(PYTHONPATH=TOOLS, PYTHONDONTWRITEBYTECODE="1",
               PYTHONMALLOC="malloc", LSH_FACTS=str(facts))
    return env


Suite = collections.namedtuple("Suite", "rc report stdout stderr facts")


def run_suite(tmp, *extra, tag="suite", files=FILES):
    """`leakscope run --report R -- pytest ... FILES`, with the facts file
    made before the run (so it is no temp file of the run)."""
    facts = tmp / f"{tag}.facts"
    facts.write_text("")
    report, out, err = (tmp / f"{tag}.json", tmp / f"{tag}.out",
                        tmp / f"{tag}.err")
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.run(
            [LEAKSCOPE, "run", "--report", str(report), "--format", "json",
             "-q", "--", *pytest_cmd(*extra, files=files)],
            stdin=subprocess.DEVNULL, stdout=o, stderr=e,
            env=suite_env(facts), cwd=SUITE, timeout=120)
    data = json.loads(report.read_text()) if report.exists() else None
    values = {}
    for line in facts.read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = int(value)
    return Suite(proc.returncode, data, out.read_text(errors="replace"),
                 err.read_text(errors="replace"), values)


def show(x):
    return json.dumps(x, indent=1)


def ok_run(s, rc):
    assert s.report is not None, \
        f"no report; rc={s.rc}\n{s.stdout}\n{s.stderr}"
    assert s.rc == rc, (f"leakscope exited {s.rc}, expected {rc} (pytest's "
                        f"own code)\n{s.stdout}\n{s.stderr}")
    assert s.report["exit"] == {"status": "exited", "code": rc,
                                "signal": None, "error": None}, \
        s.report["exit"]
    assert s.report["losses"]["confidence"] == "full", s.report["losses"]
    cleanup = s.report["cleanup"]
    assert cleanup["cgroup_removed"] is True and cleanup["error"] is None, \
        cleanup


def key(f):
    kind = f["kind"]
    base = (kind, f["class"], f["test"], f["pid"])
    if kind == "fd":
        return base + (f["fd"], f["type"], f["path"])
    if kind == "socket":
        return base + (f["fd"], f["state"], f["local_addr"],
                       f["local_port"])
    if kind == "process":
        return base + (f["comm"], tuple(f["argv"] or ()))
    if kind == "thread":
        return base + (f["tid"],)
    return base + (json.dumps(f, sort_keys=True),)


def assert_findings(findings, expected):
    got, want = collections.Counter(map(key, findings)), \
        collections.Counter(expected)
    assert got == want, (
        f"findings differ\n  missing: {sorted(want - got, key=repr)}\n"
        f"  unexpected: {sorted(got - want, key=repr)}\n"
        f"all findings: {show(findings)}")


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def assert_gone(pid):
    deadline = time.monotonic() + 3
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(pid), f"process {pid} still there after the run"


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The whole suite, once, under leakscope."""
    return run_suite(tmp_path_factory.mktemp("plugin"))


def test_leaks_in_final_report(suite):
    ok_run(suite, 1)  # test_fails fails
    f, py = suite.facts, suite.facts["PYTEST_PID"]
    assert_findings(suite.report["findings"], [
        ("fd", "leak", LEAKS + "test_leaks_file", py, f["FILE_FD"], "file",
         "/etc/hostname"),
        ("socket", "leak", LEAKS + "test_leaks_socket", py, f["SOCKET_FD"],
         "LISTEN", "127.0.0.1", f["SOCKET_PORT"]),
        # Still running when pytest exits: an orphan, with its test.
        ("process", "orphan", LEAKS + "test_leaks_subprocess",
         f["SUBPROCESS_PID"], "sleep", ("/bin/sleep", "60")),
        ("thread", "leak", LEAKS + "test_leaks_thread", py, f["THREAD_TID"]),
        # Closed by test_late_close.
        ("fd", "late", LEAKS + "test_late_open", py, f["LATE_FD"], "file",
         "/etc/hostname"),
        # The module fixture's socket: made in the first test's setup,
        # closed at the module's teardown (in the second test's).
        ("socket", "late", FIXTURE + "test_fixture_first", py,
         f["FIXTURE_FD"], "LISTEN", "127.0.0.1", f["FIXTURE_PORT"]),
    ])
    for finding in suite.report["findings"]:
        by = finding["created_by"]
        assert by and by["pid"] == py, f"made by pytest: {show(finding)}"
    assert_gone(f["SUBPROCESS_PID"])


def test_tests_array(suite):
    tests = suite.report["tests"]
    assert [t["name"] for t in tests] == ORDER, show(tests)
    findings = {
        LEAKS + "test_leaks_file": {"leak": 1},
        LEAKS + "test_leaks_socket": {"leak": 1},
        LEAKS + "test_leaks_subprocess": {"orphan": 1},
        LEAKS + "test_leaks_thread": {"leak": 1},
        LEAKS + "test_late_open": {"late": 1},
        FIXTURE + "test_fixture_first": {"late": 1},
    }
    for t in tests:
        name = t["name"]
        want = dict.fromkeys(CLASSES, 0)
        want.update(findings.get(name, {}))
        outcome = "failed" if name.endswith("::test_fails") else "passed"
        assert t["outcome"] == outcome, f"outcome of {name}: {show(t)}"
        assert t["findings"] == want, (
            f"tests[{name}].findings = {t['findings']}, expected {want}\n"
            f"report findings: {show(suite.report['findings'])}")
        allowed = 1 if name.endswith("::test_allowed") else 0
        assert (t["allowed"], t["suppressed"]) == (allowed, 0), show(t)
        assert t["confidence"] == "full", show(t)


def test_clean_allowed_and_failing_tests_report_nothing(suite):
    quiet = [LEAKS + "test_clean", LEAKS + "test_allowed",
             LEAKS + "test_fails", LEAKS + "test_late_close",
             FIXTURE + "test_fixture_second"]
    for f in suite.report["findings"]:
        assert f["test"] not in quiet, f"finding of {f['test']}: {show(f)}"
    clean = [t for t in suite.report["tests"]
             if t["name"] == LEAKS + "test_clean"][0]
    # It did open, bind, thread and run a program: the kernel saw it.
    for kind in ("fd", "socket", "thread", "process"):
        c = clean["counts"][kind]
        assert c["created"] >= 1 and c["created"] == c["released"], \
            f"test_clean's {kind} counts: {show(clean['counts'])}"


def _sections(stdout):
    """pytest -rA output: test name -> the text of its "leakscope" report
    section, from the PASSES and FAILURES/ERRORS blocks."""
    out = {}
    blocks = re.split(r"^_{3,} (?:ERROR at \w+ of )?(\S+) _{3,}$", stdout,
                      flags=re.M)
    for name, body in zip(blocks[1::2], blocks[2::2]):
        m = re.search(r"^-{3,} [^\n]*\bleakscope\b[^\n]* -{3,}\n"
                      r"(.*?)(?=^[-=_]{3,} |\Z)", body, re.M | re.S)
        if m:
            out[name] = out.get(name, "") + m.group(1)
    return out


def test_report_section_in_pytest_output(suite):
    """Each leaking test has a "leakscope" section in pytest's report,
    shown by -rA (with the passed tests' output), saying what it left."""
    f = suite.facts
    sections = _sections(suite.stdout)
    want = {
        "test_leaks_file": rf"leak fd fd {f['FILE_FD']} in pid "
                           rf"{f['PYTEST_PID']} \(python3\): /etc/hostname",
        "test_leaks_socket": rf"leak socket fd {f['SOCKET_FD']} .*tcp "
                             rf"127\.0\.0\.1:{f['SOCKET_PORT']}",
        "test_leaks_subprocess": rf"leak process in pid "
                                 rf"{f['SUBPROCESS_PID']} \(sleep\): "
                                 r"/bin/sleep 60",
        "test_leaks_thread": rf"leak thread in pid {f['PYTEST_PID']} "
                             rf"\(python3\): thread {f['THREAD_TID']}",
        "test_late_open": rf"leak fd fd {f['LATE_FD']} .*/etc/hostname",
        "test_fixture_first": rf"leak socket fd {f['FIXTURE_FD']} .*"
                              rf":{f['FIXTURE_PORT']}",
    }
    for name, pattern in want.items():
        assert name in sections, (
            f"no 'leakscope' section for {name} in pytest's output (-rA); "
            f"sections found: {sorted(sections)}\n{suite.stdout}")
        assert re.search(pattern, sections[name]), \
            f"{name}'s section does not match {pattern!r}:\n" \
            f"{sections[name]}"
    for name in ("test_clean", "test_allowed", "test_fails",
                 "test_late_close", "test_fixture_second"):
        assert name not in sections, \
            f"{name} left nothing, yet has a section: {sections[name]}"


def test_leakscope_fail(tmp_path):
    """--leakscope-fail: a test that passed but leaked is a failure (exit
    code 1, listed as failed); a clean test still passes."""
    s = run_suite(tmp_path, "--leakscope-fail", "-k",
                  "test_clean or test_leaks_file",
                  files=[os.path.join(SUITE, "suite_leaks.py")])
    ok_run(s, 1)
    summary = re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", s.stdout, re.M)
    status = collections.defaultdict(set)
    for word, nodeid in summary:
        status[nodeid.split("/")[-1]].add(word)
    assert status[LEAKS + "test_clean"] == {"PASSED"}, \
        f"{dict(status)}\n{s.stdout}"
    assert status[LEAKS + "test_leaks_file"] == {"FAILED"}, (
        f"the leaking test must be listed as failed (only): "
        f"{dict(status)}\n{s.stdout}")
    assert "leakscope: the test left 1 thing(s) behind" in s.stdout, s.stdout
    assert re.search(rf"leak fd fd {s.facts['FILE_FD']} .*/etc/hostname",
                     s.stdout), s.stdout
    assert [(t["name"], t["outcome"]) for t in s.report["tests"]] == [
        (LEAKS + "test_clean", "passed"),
        (LEAKS + "test_leaks_file", "passed")], show(s.report["tests"])


@pytest.mark.parametrize("extra", [[], ["--leakscope-fail"]],
                         ids=["plain", "leakscope-fail"])
def test_no_op_without_leakscope(tmp_path, extra):
    """Without LEAKSCOPE_SOCK (no leakscope) the plugin does nothing: the
    leaking tests pass, nothing is said about leaks. Asked to fail on
    leaks (--leakscope-fail), it says once that nothing is checked."""
    facts = tmp_path / "facts"
    facts.write_text("")
    # Not test_fails (it fails), not test_leaks_subprocess (nobody would
    # end its sleep).
    p = subprocess.run(
        pytest_cmd(*extra, "-k", "not test_fails and not subprocess"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        env=suite_env(facts, with_sock=False), cwd=SUITE, timeout=120)
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
    out = p.stdout
    if extra:
        assert re.search(r"\b9 passed, 2 deselected, 1 warning\b", out), out
        warning = ("LeakscopeWarning: leakscope: --leakscope-fail has no "
                   "effect: $LEAKSCOPE_SOCK is not set")
        assert out.count(warning) == 1, out
        # Nothing else: the warnings summary is all that mentions it.
        out = re.sub(r"^=+ warnings summary =+$.*?^-- Docs: .*?$", "", out,
                     flags=re.M | re.S)
    else:
        assert re.search(r"\b9 passed, 2 deselected in\b", out), out
    assert "leakscope" not in out.replace("pytest_leakscope", ""), out


# ------------------------------------ a stand-in for leakscope's socket

class FakeLeakscope(threading.Thread):
    """A control socket that answers the first connection like leakscope
    (docs/protocol.md): END of a test named in `findings` (by the end of its
    node id) gets those findings as its verdict. At the BEGIN of the test
    whose node id ends in `close_at` it closes the connection, as a
    leakscope that went away would."""

    def __init__(self, path, findings, close_at=None):
        super().__init__(daemon=True)
        self.findings, self.close_at = findings, close_at
        self.requests = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.server.settimeout(60)

    def reply(self, line):
        verb, _, rest = line.partition(" ")
        if verb == "HELLO":
            return "OK leakscope 0.0 protocol 1"
        if verb == "BEGIN":
            return "OK test=%d" % len(self.requests)
        if verb == "ALLOW":
            return "OK"
        if verb == "END":
            name, _, outcome = rest.rpartition(" ")
            found = [f for test, fs in self.findings.items()
                     if name.endswith(test) for f in fs]
            return "OK " + json.dumps({
                "test": name, "id": 1, "outcome": outcome,
                "leaks": len(found), "suppressed": 0, "allowed": 0,
                "duration_s": 0.001, "confidence": "full",
                "findings": found})
        return "ERR unknown request"

    def run(self):
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as f:
            for raw in f:
                line = raw.decode().rstrip("\n")
                self.requests.append(line)
                if self.close_at and line.startswith("BEGIN ") and \
                        line.endswith(self.close_at):
                    return
                conn.sendall((self.reply(line) + "\n").encode())

    def stop(self):
        self.server.close()
        self.join(10)


def mapping(addr, nbytes, prot, path):
    return {"kind": "mapping", "class": "leak", "test": None, "pid": 4242,
            "comm": "python3", "path": path, "bytes": nbytes, "addr": addr,
            "prot": prot, "created_by": None, "stack": None}


def run_with_socket(tmp_path, sock, *extra):
    """The suite (no test that fails or starts a process) with
    LEAKSCOPE_SOCK=sock, without leakscope."""
    facts = tmp_path / "facts"
    facts.write_text("")
    env = suite_env(facts, with_sock=False)
    env["LEAKSCOPE_SOCK"] = str(sock)
    return subprocess.run(
        pytest_cmd(*extra, "-k", "not test_fails and not subprocess",
                   files=[os.path.join(SUITE, "suite_leaks.py")]),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
        cwd=SUITE, timeout=120)


def test_mapping_findings_and_socket_failing_mid_run(tmp_path):
    """A mapping finding says its size, protection, address range and
    file; the control socket closing in the middle of the run is one
    warning, and the tests go on (without leak tracking)."""
    fake = FakeLeakscope(tmp_path / "ctl.sock", {
        "::test_clean": [
            mapping(0x7f0000000000, 16 << 20, "rw-", None),
            mapping(0x7f0000200000, 12 << 10, "r-x", "/usr/lib/libfake.so"),
        ]}, close_at="::test_leaks_thread")
    fake.start()
    try:
        p = run_with_socket(tmp_path, tmp_path / "ctl.sock")
    finally:
        fake.stop()
    out = p.stdout
    assert p.returncode == 0, f"{out}\n{p.stderr}"
    assert re.search(r"\b7 passed, 2 deselected, 1 warning\b", out), out
    section = _sections(out).get("test_clean", "")
    for line in ("leak mapping in pid 4242 (python3): 16.0 MiB rw- "
                 "0x7f0000000000-0x7f0001000000",
                 "leak mapping in pid 4242 (python3): 12.0 KiB r-x "
                 "0x7f0000200000-0x7f0000203000 /usr/lib/libfake.so"):
        assert line in section.splitlines(), \
            f"test_clean's section lacks {line!r}:\n{out}"
    assert re.findall(r"LeakscopeWarning: leakscope: the control socket "
                      r"\S+ failed: .*; the remaining tests run without "
                      r"leak tracking", out) and \
        out.count("LeakscopeWarning") == 1, out
    begun = [r.split("::")[-1] for r in fake.requests
             if r.startswith("BEGIN ")]
    assert begun == ["test_clean", "test_leaks_file", "test_leaks_socket",
                     "test_leaks_thread"], fake.requests


def test_unreachable_socket(tmp_path):
    """LEAKSCOPE_SOCK naming no socket: one warning, the tests run."""
    p = run_with_socket(tmp_path, tmp_path / "missing.sock",
                        "--leakscope-fail")
    out = p.stdout
    assert p.returncode == 0, f"{out}\n{p.stderr}"
    assert re.search(r"\b7 passed, 2 deselected, 1 warning\b", out), out
    assert out.count("LeakscopeWarning: leakscope: cannot use the control "
                     f"socket {tmp_path / 'missing.sock'}") == 1, out
    assert "ERROR" not in out and "FAILED" not in out, out

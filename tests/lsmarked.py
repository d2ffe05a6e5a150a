"""Helpers shared by the marked-test suites (tests/bpf/test_tests_*.py):
per-test attribution over the control socket, with real harnesses under a
real `leakscope run` (and `attach`).

Covers: what the C harness prints (KEY=VALUE facts, VERDICT and LEAKS
lines); findings compared as a multiset of per-kind keys; a report's
"tests" entries and their counts; what every run must do (exit 0, lose
nothing, remove its cgroup, leave no process behind); `harness_run()`, the
C harness (tests/bpf/workloads/harness.c) under `leakscope run` with each
verdict checked; shell scripts for `leakscope mark`; `live_run()`, a run
whose command waits while the test talks to $LEAKSCOPE_SOCK; and
`_attach()`, the harness in a cgroup watched by `leakscope attach
--socket`. Its asserts are rewritten by pytest (conftest.py).
"""

import collections
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from lstest import LEAKSCOPE, LOSS_KEYS

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


# ------------------------------------------------ shell harnesses: mark


def write_script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


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


# Python for a CMD that marks its own tests: `ask(KEY, line)` sends one
# request line and prints KEY=<the reply> for parse().
ASK_PRELUDE = r"""
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.environ["LEAKSCOPE_SOCK"])
f = s.makefile("rb")
def ask(key, line):
    s.sendall(line)
    print(key + "=" + f.readline().decode().rstrip("\n"), flush=True)
"""


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")


def ask(s, f, data):
    s.sendall(data)
    return f.readline().decode()


# -------------------------------------------------------------- attach


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

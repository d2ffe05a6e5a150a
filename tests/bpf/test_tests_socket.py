"""Which test left what, and who may ask: the control socket of a real
`leakscope run`, and `leakscope attach --socket`.

Covers: the control socket's requests and over-long lines, bad lines mid-test
(they lose nothing of the test's verdict or the report), who may connect
(--socket-group: a non-root process inside the watched cgroup marks tests,
uid 65534 outside it is refused; without it the socket is root's alone);
a harness started in a cgroup after `leakscope attach --cgroup CG --socket
PATH` marks its tests, and attach removes nothing.

Every run must exit 0, lose nothing, remove its cgroup and leave no process
behind (lsmarked.py); the lsh-* temp files are removed by conftest.py.
"""

import json
import os
import re
import stat
import subprocess

from lsmarked import (NOBODY, SETPRIV, WAIT, _attach, ask, assert_entry,
                      assert_findings, assert_run_ok, connect, live_run,
                      num, one, parse, with_class)

# ------------------------------------------------------ control socket


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


# CMD of the run: a test that keeps an fd while bad lines arrive on its
# own connection and on a second one that hangs up mid-line. Prints
# KEY=<reply> facts and FD=<the kept fd>.
BAD_MID_TEST = r"""
import os, socket
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.environ["LEAKSCOPE_SOCK"])
    return s, s.makefile("rb")
s, f = conn()
def ask(key, data):
    s.sendall(data)
    print(key + "=" + f.readline().decode(errors="replace").rstrip("\n"),
          flush=True)
ask("BEGIN", b"BEGIN kept-fd\n")
keep = open("/etc/hostname")
print("FD=%d" % keep.fileno(), flush=True)
ask("NESTED", b"BEGIN other\n")
ask("ALLOW_BAD", b"ALLOW fd name=x\n")
ask("END_OTHER", b"END other passed\n")
ask("FOR_OUTSIDE", b"FOR 1\n")
ask("NUL", b"PI\0NG\n")
ask("LONG", b"x" * 9000 + b"\n")
ask("BAD_UTF8", b"\xff\n")
t, _ = conn()
t.sendall(b"BEGIN half a li")
t.close()
ask("PING", b"PING\n")
ask("END", b"END kept-fd passed\n")
"""


def test_bad_lines_mid_test_lose_nothing(run_ls):
    """Bad requests while a test runs are answered with ERR and change
    nothing: the test's fd is in its verdict and in the final report, no
    rule was allowed, no other test was made, nothing was lost."""
    res = run_ls([], ["/usr/bin/python3", "-c", BAD_MID_TEST])
    assert_run_ok(res.rc, res.report, res.stdout, res.stderr)
    facts = parse(res.stdout).facts
    for key, reply in (
            ("BEGIN", "OK test="),
            ("NESTED", "ERR nested: test 'kept-fd' is running in process "),
            ("ALLOW_BAD", "ERR bad rule: unknown field 'name'"),
            ("END_OTHER", "ERR not running: process "),
            ("FOR_OUTSIDE", "ERR bad pid: process 1 is not in the watched "
                            "cgroup"),
            ("NUL", "ERR NUL byte in request"),
            ("LONG", "ERR line too long"),
            ("BAD_UTF8", "ERR unknown request"),
            ("PING", "OK pong"),
            ("END", "OK {")):
        assert one(facts, key).startswith(reply), (key, res.stdout)
    v = json.loads(one(facts, "END")[3:])
    fd = num(facts, "FD")
    assert (v["leaks"], v["allowed"], v["suppressed"]) == (1, 0, 0), v
    [got] = v["findings"]
    assert (got["kind"], got["class"], got["fd"], got["path"]) == \
        ("fd", "leak", fd, "/etc/hostname"), v
    pid = got["pid"]
    want = ("fd", "leak", "kept-fd", pid, fd, "file", "/etc/hostname")
    assert_findings(v["findings"], [want], "verdict of kept-fd")
    assert_findings(res.report["findings"], [want], "final report")
    assert [t["name"] for t in res.report["tests"]] == ["kept-fd"]
    assert_entry(res.report, "kept-fd", findings={"leak": 1})


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

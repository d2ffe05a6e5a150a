"""pytest_leakscope - tell leakscope where each pytest test begins and ends.

Under `leakscope run -- pytest -p pytest_leakscope ...` (with this file's
directory on PYTHONPATH, or installed) every test is marked around its
setup, call and teardown, so that leakscope ties each fd, socket, process,
thread, mapping, temporary file and cgroup to the test that made it. The
test's leaks are shown in its report section ("leakscope"); with
--leakscope-fail they make the test fail (in its teardown phase, like
pytest-leaks).

Without LEAKSCOPE_SOCK (not under leakscope) the plugin does nothing.

Known leaks can be allowed per test:

    @pytest.mark.leakscope_allow("socket addr=*:6379", "process comm=redis*")

Each argument is one rule in leakscope's suppression syntax
(docs/suppressions.md). The protocol is docs/protocol.md.
"""
import json
import os
import socket

import pytest

SOCK_ENV = "LEAKSCOPE_SOCK"
OUTCOMES = ("passed", "failed", "skipped", "error")


class LeakscopeError(Exception):
    pass


class Client:
    """One connection per process (pytest-xdist workers each have theirs)."""

    def __init__(self, path):
        self.path = path
        self.pid = os.getpid()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.rfile = self.sock.makefile("rb")
        self.request("HELLO pytest")

    def request(self, line):
        data = (line + "\n").encode("utf-8", "surrogateescape")
        if len(data) > 4096:
            raise LeakscopeError("request too long: %r" % line[:80])
        self.sock.sendall(data)
        reply = self.rfile.readline()
        if not reply.endswith(b"\n"):
            raise LeakscopeError("leakscope closed the connection")
        reply = reply[:-1].decode("utf-8", "replace")
        if reply.startswith("ERR"):
            raise LeakscopeError(reply[4:])
        return reply[3:] if reply.startswith("OK ") else ""

    def close(self):
        self.rfile.close()
        self.sock.close()


def clean_name(nodeid):
    """Test names are UTF-8 without control characters, <= 1024 bytes."""
    name = "".join(c if c >= " " and c != "\x7f" else "?" for c in nodeid)
    raw = name.encode("utf-8", "replace")
    if len(raw) > 1024:
        name = raw[:1000].decode("utf-8", "ignore") + "...#%08x" % (
            hash(nodeid) & 0xffffffff)
    return name


def pytest_addoption(parser):
    group = parser.getgroup("leakscope")
    group.addoption("--leakscope-fail", action="store_true", default=False,
                    help="make a test fail when leakscope finds it left "
                         "something behind")
    group.addoption("--leakscope-sock", default=None,
                    help="control socket (default: $%s)" % SOCK_ENV)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "leakscope_allow(*rules): leaks leakscope should allow "
        "for this test (suppression-file syntax, e.g. 'socket addr=*:6379')")
    path = config.getoption("--leakscope-sock") or os.environ.get(SOCK_ENV)
    if path:
        config.pluginmanager.register(Marker(config, path), "leakscope-marker")


class Marker:
    def __init__(self, config, path):
        self.config = config
        self.path = path
        self.client = None
        self.names = {}
        self.phases = {}

    def connection(self):
        # After a fork (xdist's workers are new processes; some suites
        # fork too) the inherited socket is not ours to use.
        if self.client is None or self.client.pid != os.getpid():
            self.client = Client(self.path)
        return self.client

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item):
        name = clean_name(item.nodeid)
        self.names[item.nodeid] = name
        self.phases[item.nodeid] = []
        c = self.connection()
        c.request("BEGIN " + name)
        for mark in item.iter_markers("leakscope_allow"):
            for rule in mark.args:
                c.request("ALLOW " + rule)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        phases = self.phases.get(item.nodeid)
        if phases is None:
            return
        phases.append(report)
        if call.when == "teardown":
            self.end(item, report, phases)

    def end(self, item, report, phases):
        name = self.names.pop(item.nodeid)
        del self.phases[item.nodeid]
        verdict = json.loads(self.connection().request(
            "END %s %s" % (name, outcome_of(phases))))
        if not verdict["leaks"]:
            return
        text = describe(verdict)
        report.sections.append(("leakscope", text))
        if self.config.getoption("--leakscope-fail") and report.passed:
            report.outcome = "failed"
            report.longrepr = "leakscope: the test left %d thing(s) " \
                "behind:\n%s" % (verdict["leaks"], text)

    def pytest_unconfigure(self, config):
        if self.client is not None and self.client.pid == os.getpid():
            self.client.close()


def outcome_of(phases):
    if any(r.failed for r in phases if r.when != "call"):
        return "error"
    if any(r.failed for r in phases):
        return "failed"
    if any(r.skipped for r in phases):
        return "skipped"
    return "passed"


def describe(verdict):
    """One line per finding, as the text report says it."""
    lines = []
    for f in verdict["findings"]:
        what = f.get("path") or ""
        if f["kind"] == "socket":
            what = "%s %s:%s" % (f.get("protocol") or f.get("family"),
                                 f.get("local_addr") or "",
                                 f.get("local_port") or "")
            if f.get("peer_port") is not None:
                what += " -> %s:%s" % (f.get("peer_addr"), f["peer_port"])
        elif f["kind"] == "process":
            what = " ".join(f.get("argv") or []) or f.get("comm") or ""
        elif f["kind"] == "thread":
            what = "thread %s (%s)" % (f.get("tid"), f.get("comm"))
        fd = " fd %s" % f["fd"] if f.get("fd") is not None else ""
        lines.append("%s %s%s in pid %s (%s): %s" % (
            f["class"], f["kind"], fd, f.get("pid"), f.get("comm"), what))
        for frame in f.get("stack") or []:
            lines.append("    at " + frame)
    return "\n".join(lines)

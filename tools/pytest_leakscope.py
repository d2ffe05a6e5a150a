"""pytest_leakscope - tell leakscope where each pytest test begins and ends.

Under `leakscope run -- pytest -p pytest_leakscope ...` (with this file's
directory on PYTHONPATH, or installed) every test is marked around its
setup, call and teardown, so that leakscope ties each fd, socket, process,
thread, mapping, temporary file and cgroup to the test that made it. The
verdict is asked for after the test's teardown, so what its fixtures release
there is no leak.

A test's leaks are shown in its report section "leakscope" (the call
phase's report: pytest shows it for failed tests, and for passed ones with
-rP or -rA). With --leakscope-fail a test that passed but leaked fails
instead: it is reported once, as failed, with its leaks as the failure
message (the verdict sent to leakscope still says "passed", the test's own
outcome). To do that the plugin runs pytest's test protocol itself and
hands the reports on (logs them) only once the verdict is in. A plugin that
runs the protocol itself (pytest-rerunfailures, flaky, pytest-forked) still
does; if it logged the call phase's report before the teardown, the leaks
fail the test in its teardown instead (an error, after "passed").

Without LEAKSCOPE_SOCK (not under leakscope) the plugin does nothing (with
--leakscope-fail it warns once that nothing is checked). If the control
socket cannot be reached, or fails during the run, the plugin warns once and
the tests go on without leak tracking.

Known leaks can be allowed per test:

    @pytest.mark.leakscope_allow("socket addr=*:6379", "process comm=redis*")

Each argument is one rule in leakscope's suppression syntax
(docs/suppressions.md); a rule leakscope rejects is an error in the test's
setup. The protocol is docs/protocol.md.
"""
import json
import os
import socket
import sys
import warnings
import zlib

import pytest
from _pytest.runner import runtestprotocol

SOCK_ENV = "LEAKSCOPE_SOCK"
SECTION = "leakscope"
# A guard against a control socket that stops answering (END waits at most
# --grace, 60 s at the most, before it replies).
TIMEOUT_S = 300


class LeakscopeWarning(pytest.PytestWarning):
    """leakscope could not watch (some of) the tests."""


class LeakscopeError(Exception):
    """leakscope answered a request with ERR (the connection is still
    usable), or the request could not be sent."""


class Client:
    """One connection per process (pytest-xdist workers each have theirs).
    Transport failures raise OSError."""

    def __init__(self, path):
        self.path = path
        self.pid = os.getpid()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(TIMEOUT_S)
            self.sock.connect(path)
            self.rfile = self.sock.makefile("rb")
        except BaseException:
            self.sock.close()
            raise
        try:
            self.request("HELLO pytest")
        except BaseException:
            self.close()
            raise

    def request(self, line):
        data = (line + "\n").encode("utf-8", "surrogateescape")
        if len(data) > 4096:
            raise LeakscopeError("request too long: %r" % line[:80])
        self.sock.sendall(data)
        reply = self.rfile.readline()
        if not reply.endswith(b"\n"):
            raise ConnectionError("leakscope closed the connection")
        reply = reply[:-1].decode("utf-8", "replace")
        if reply.startswith("ERR"):
            raise LeakscopeError(reply[4:])
        return reply[3:] if reply.startswith("OK ") else ""

    def close(self):
        try:
            self.rfile.close()
        finally:
            self.sock.close()


def clean_name(nodeid):
    """Test names are UTF-8 without control characters, <= 1024 bytes."""
    name = "".join(c if c >= " " and c != "\x7f" else "?" for c in nodeid)
    raw = name.encode("utf-8", "replace")
    if len(raw) > 1024:
        # The same in every process and run (hash() is salted).
        name = raw[:1000].decode("utf-8", "ignore") + "...#%08x" % (
            zlib.crc32(nodeid.encode("utf-8", "surrogatepass")))
    return name


def pytest_addoption(parser):
    group = parser.getgroup("leakscope")
    group.addoption("--leakscope-fail", action="store_true", default=False,
                    help="make a test that passed fail when leakscope "
                         "finds it left something behind")
    group.addoption("--leakscope-sock", default=None,
                    help="control socket (default: $%s)" % SOCK_ENV)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "leakscope_allow(*rules): leaks leakscope should allow "
        "for this test (suppression-file syntax, e.g. 'socket addr=*:6379')")
    path = config.getoption("--leakscope-sock") or os.environ.get(SOCK_ENV)
    if not path:
        if config.getoption("--leakscope-fail"):
            config.issue_config_time_warning(LeakscopeWarning(
                "leakscope: --leakscope-fail has no effect: $%s is not set "
                "(not running under `leakscope run`), so no test is checked "
                "for leaks" % SOCK_ENV), stacklevel=2)
        return
    try:
        client = Client(path)
    except (OSError, LeakscopeError) as e:
        config.issue_config_time_warning(LeakscopeWarning(
            "leakscope: cannot use the control socket %s (%s); the tests "
            "run without leak tracking" % (path, e)), stacklevel=2)
        return
    config.pluginmanager.register(Marker(config, client), "leakscope-marker")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    marker = item.config.pluginmanager.get_plugin("leakscope-marker")
    error = marker.bad_rules.pop(item.nodeid, None) if marker else None
    if error:
        pytest.fail(error, pytrace=False)


class Marked:
    """A test leakscope was told about (BEGIN answered OK)."""

    def __init__(self, name):
        self.name = name
        self.reports = []
        self.logged = set()   # the phases whose report was logged


class Marker:
    def __init__(self, config, client):
        self.config = config
        self.path = client.path
        self.client = client
        self.fail = config.getoption("--leakscope-fail")
        self.tests = {}       # node id -> Marked, from BEGIN to END
        self.broken = None    # why tracking stopped
        self.bad_rules = {}   # node id -> what leakscope said of its rule
        self.warned = set()

    # ---------------------------------------------------------- transport

    def warn(self, key, message):
        """Warn once per key (pytest's warnings summary names the test)."""
        if key in self.warned:
            return
        self.warned.add(key)
        try:
            warnings.warn(LeakscopeWarning(message), stacklevel=3)
        except Exception:
            # Warnings made errors (-W error): raised here, in a hook
            # wrapper, it would break the other plugins' wrappers.
            sys.stderr.write("%s\n" % message)

    def connection(self):
        # After a fork (some suites fork; xdist's workers are new processes
        # with a connection of their own) the inherited socket is not ours.
        if self.client is None or self.client.pid != os.getpid():
            self.client = Client(self.path)
        return self.client

    def request(self, line):
        """The reply, or LeakscopeError (an ERR reply). A broken connection
        stops tracking for the rest of the run: LeakscopeError too."""
        if self.broken:
            raise LeakscopeError(self.broken)
        try:
            return self.connection().request(line)
        except OSError as e:
            self.broken = "the control socket %s failed: %s" % (
                self.path, str(e) or type(e).__name__)
            self.warn("broken", "leakscope: %s; the remaining tests run "
                      "without leak tracking" % self.broken)
            if self.client is not None and self.client.pid == os.getpid():
                try:
                    self.client.close()
                except OSError:
                    pass
            self.client = None
            raise LeakscopeError(self.broken) from None

    # -------------------------------------------------------------- hooks

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item):
        if not self.broken:
            self.begin(item)
        yield

    def begin(self, item):
        name = clean_name(item.nodeid)
        try:
            self.request("BEGIN " + name)
        except LeakscopeError as e:
            if not self.broken:
                self.warn("BEGIN " + str(e).split(":")[0],
                          "leakscope: cannot mark test %s (%s); it is not "
                          "checked for leaks" % (name, e))
            return
        self.tests[item.nodeid] = Marked(name)
        for mark in item.iter_markers("leakscope_allow"):
            for rule in mark.args:
                try:
                    self.request("ALLOW " + rule)
                except LeakscopeError as e:
                    if not self.broken:
                        # An error in this test's setup (raised by the
                        # module's pytest_runtest_setup, inside the other
                        # plugins' wrappers); the test still ends.
                        self.bad_rules[item.nodeid] = \
                            "leakscope_allow(%r): %s" % (rule, e)
                    return

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        test = self.tests.get(item.nodeid)
        if test is None:
            return
        test.reports.append(report)
        if call.when != "teardown":
            return
        # After the teardown: what the test's fixtures released there is
        # not left behind.
        del self.tests[item.nodeid]
        verdict = self.end(test)
        if verdict and verdict.get("leaks"):
            apply_verdict(test.reports, verdict, self.fail, test.logged)

    def pytest_runtest_logreport(self, report):
        test = self.tests.get(report.nodeid)
        if test is not None:
            test.logged.add(report.when)

    def end(self, test):
        try:
            reply = self.request("END %s %s" % (test.name,
                                                outcome_of(test.reports)))
            return json.loads(reply)
        except (LeakscopeError, ValueError) as e:
            if not self.broken:
                self.warn("END " + str(e).split(":")[0],
                          "leakscope: no verdict for test %s (%s)" %
                          (test.name, e))
            return None

    def pytest_runtest_protocol(self, item, nextitem):
        """pytest's own protocol (runner.pytest_runtest_protocol), except
        that the reports are handed on (logged) only after the test's END,
        so that a leak can still make the call phase fail.

        Called before the other plugins' implementations (registered last),
        it first calls them in turn, as pluggy would: a plugin that runs
        the protocol itself (pytest-rerunfailures, flaky, pytest-forked)
        keeps doing so."""
        if self.broken:
            return None
        kwargs = {"item": item, "nextitem": nextitem}
        hook = self.config.pluginmanager.hook.pytest_runtest_protocol
        after_self = False
        for impl in reversed(hook.get_hookimpls()):
            if impl.plugin is self:
                after_self = True
            elif after_self and not impl.hookwrapper and \
                    not getattr(impl, "wrapper", False) and \
                    getattr(impl.plugin, "__name__", "") != "_pytest.runner":
                res = impl.function(*[kwargs[a] for a in impl.argnames])
                if res is not None:
                    return res
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                      location=item.location)
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        for report in reports:
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                       location=item.location)
        return True

    def pytest_unconfigure(self, config):
        if self.client is not None and self.client.pid == os.getpid():
            try:
                self.client.close()
            except OSError:
                pass
        self.client = None


def outcome_of(reports):
    if any(r.failed for r in reports if r.when != "call"):
        return "error"
    if any(r.failed for r in reports):
        return "failed"
    if any(r.skipped for r in reports):
        return "skipped"
    return "passed"


class LeakRepr:
    """The longrepr of a test failed for its leaks: the text, and a
    reprcrash whose message pytest puts on the short summary line."""

    def __init__(self, text, message, location):
        self.text = text
        self.reprcrash = Crash(location, message)

    def toterminal(self, tw):
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self):
        return self.text


class Crash:
    def __init__(self, location, message):
        path, lineno = location
        self.path, self.lineno, self.message = path, lineno, message


def apply_verdict(reports, verdict, fail, logged):
    """Put a leaking test's findings in its reports: a "leakscope" section
    in the call phase's report (the setup's, without one), where pytest
    shows a test's captured output. With fail (--leakscope-fail) a test
    that passed fails: in its call phase, or, if that report was logged
    already (another plugin ran the protocol with pytest's), with an error
    in its teardown. logged: the phases whose report was logged."""
    text = describe(verdict)
    by = {r.when: r for r in reports}
    main = by.get("call") or by.get("setup") or reports[-1]
    if fail and all(r.passed for r in reports):
        target = by["call"] if "call" in by and "call" not in logged \
            else reports[-1]
        message = "leakscope: the test left %d thing(s) behind" % \
            verdict["leaks"]
        target.outcome = "failed"
        target.longrepr = LeakRepr(
            "%s:\n%s" % (message, text), message,
            (target.location[0], (target.location[1] or 0) + 1))
        if hasattr(target, "wasxfail"):
            del target.wasxfail  # an xpass: no longer one
        if target is main:
            return  # the failure says it; no section to repeat it
    main.sections.append((SECTION, text))


def size(n):
    """As the text report says it."""
    if n >= 10 << 20:
        return "%.1f MiB" % (n / 1048576.0)
    if n >= 10 << 10:
        return "%.1f KiB" % (n / 1024.0)
    return "%d bytes" % n


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
        elif f["kind"] == "mapping":
            n, addr = f.get("bytes") or 0, f.get("addr")
            what = size(n)
            if f.get("prot"):
                what += " " + f["prot"]
            if addr is not None:
                what += " 0x%x-0x%x" % (addr, addr + n)
            if f.get("path"):
                what += " " + f["path"]
        fd = " fd %s" % f["fd"] if f.get("fd") is not None else ""
        lines.append("%s %s%s in pid %s (%s): %s" % (
            f["class"], f["kind"], fd, f.get("pid"), f.get("comm"), what))
        for frame in f.get("stack") or []:
            lines.append("    at " + frame)
    return "\n".join(lines)

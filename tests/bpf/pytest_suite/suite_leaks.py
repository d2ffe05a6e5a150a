"""A pytest suite with known leaks, run by tests/bpf/test_pytest_plugin.py
under `leakscope run -- python3 -m pytest -p pytest_leakscope` (never
collected by the outer run: its files are named suite_*.py, and the outer
test passes them explicitly).

Every leak is kept alive in KEEP until the interpreter exits, after the
last test; what a later test releases is "late". Facts the outer test
needs (pids, tids, ports) are appended to $LSH_FACTS, one KEY=VALUE a line,
through a file opened before the tests begin (the outer test creates it).
"""
import os
import socket
import subprocess
import threading

import pytest

KEEP = []
LATE = []
_FACTS = os.environ.get("LSH_FACTS")
_facts = open(_FACTS, "a", buffering=1) if _FACTS else None


def fact(key, value):
    if _facts:
        _facts.write("%s=%s\n" % (key, value))


fact("PYTEST_PID", os.getpid())


def _warm_up():
    bytearray(4096)


# glibc gives the first thread that mallocs an arena of its own (132 KiB
# read-write, kept for the next thread); make it before the tests, so that
# test_leaks_thread leaks a thread and nothing else. (leakscope reporting
# the arena is test_tests_regressions.py::test_regression_thread_malloc_arena_is_no_leak.)
_t = threading.Thread(target=_warm_up)
_t.start()
_t.join()


def test_clean():
    with open("/etc/hostname") as f:
        f.read()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.close()
    t = threading.Thread(target=_warm_up)
    t.start()
    t.join()
    subprocess.run(["/bin/true"], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)


def test_leaks_file():
    f = open("/etc/hostname")
    KEEP.append(f)
    fact("FILE_FD", f.fileno())


def test_leaks_socket():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    KEEP.append(s)
    fact("SOCKET_FD", s.fileno())
    fact("SOCKET_PORT", s.getsockname()[1])


def test_leaks_subprocess():
    # Its stdio closed, so that the process is the one thing this test
    # leaks (fds a child dup2()s from its parent's are
    # test_tests_regressions.py::test_regression_child_dups_of_the_tests_file's).
    p = subprocess.Popen(["/bin/sh", "-c", "exec /bin/sleep 60 <&- >&- 2>&-"])
    KEEP.append(p)
    fact("SUBPROCESS_PID", p.pid)


def test_leaks_thread():
    stop = threading.Event()
    started = threading.Event()
    tid = []

    def run():
        tid.append(threading.get_native_id())
        started.set()
        stop.wait()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    started.wait()
    KEEP.append(stop)
    fact("THREAD_TID", tid[0])


@pytest.mark.leakscope_allow("fd path=/etc/passwd")
def test_allowed():
    KEEP.append(open("/etc/passwd"))


def test_fails():
    assert 1 + 1 == 3, "this test fails on purpose"


def test_late_open():
    f = open("/etc/hostname")
    LATE.append(f)
    fact("LATE_FD", f.fileno())


def test_late_close():
    LATE.pop().close()

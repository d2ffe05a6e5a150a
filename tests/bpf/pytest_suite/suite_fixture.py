"""A module-scoped fixture whose socket lives across two tests and is
closed at the module's teardown (in the last test's teardown): the first
test made it (a leak at its END), the module closed it while tests still
ran ("late" in the final report). See suite_leaks.py."""
import os
import socket

import pytest

_FACTS = os.environ.get("LSH_FACTS")
_facts = open(_FACTS, "a", buffering=1) if _FACTS else None


@pytest.fixture(scope="module")
def shared_socket():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    if _facts:
        _facts.write("FIXTURE_FD=%d\nFIXTURE_PORT=%d\n" %
                     (s.fileno(), s.getsockname()[1]))
    yield s
    s.close()


def test_fixture_first(shared_socket):
    assert shared_socket.fileno() >= 0


def test_fixture_second(shared_socket):
    assert shared_socket.fileno() >= 0

"""Fixtures of the end-to-end tests: the built binary and the root gate
(tests that need root skip without it, saying why, and fail under
CI=true). Helpers to run leakscope live in tests/lstest.py.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lstest import LEAKSCOPE, require_watch  # noqa: E402


@pytest.fixture(scope="session")
def leakscope():
    if not os.access(LEAKSCOPE, os.X_OK):
        pytest.fail("%s is missing: run make first" % LEAKSCOPE)
    return LEAKSCOPE


@pytest.fixture(scope="session")
def root_bpf(leakscope):
    """Root and a kernel where leakscope can watch; else skip or fail."""
    require_watch()
    return leakscope

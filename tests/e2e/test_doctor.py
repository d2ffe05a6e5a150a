"""`leakscope doctor`: says what this machine offers and exits 0 when a
watch would work (it loads the real programs once)."""
import json
import os

import pytest

from lstest import run

pytestmark = pytest.mark.usefixtures("root_bpf")


def test_doctor_text():
    p = run(["doctor"])
    assert p.returncode == 0, p.stdout
    for check in ("kernel", "privileges", "btf", "cgroup2", "tracefs",
                  "ringbuf", "iterators", "load"):
        assert "  %s" % check in p.stdout
    assert "watching works here." in p.stdout
    assert "FAIL" not in p.stdout


def test_doctor_json():
    p = run(["doctor", "--json"])
    assert p.returncode == 0
    d = json.loads(p.stdout)
    assert d["ok"] is True
    names = [c["name"] for c in d["checks"]]
    assert names[:2] == ["kernel", "privileges"] and "load" in names
    assert d["hooks"]["proc"]["chosen"] in ("tp_btf", "raw_tp")
    assert d["hooks"]["fd_new"]["chosen"] != "none"
    assert "tracepoint" in d["hooks"]["fd_close"]["available"]
    assert d["load_ms"] > 0


def test_doctor_reports_disabled_attach_types():
    env = dict(os.environ, LEAKSCOPE_DISABLE_ATTACH="tracepoint,tp_btf")
    p = run(["doctor", "--json"], env=env)
    assert p.returncode == 0
    d = json.loads(p.stdout)
    assert d["hooks"]["proc"]["chosen"] == "raw_tp"
    assert d["hooks"]["fd_new"]["chosen"] == "raw_tp(sys_exit)"
    assert "tp_btf" not in d["hooks"]["proc"]["available"]


def test_doctor_level_snapshot_loads_no_syscall_hooks():
    d = json.loads(run(["doctor", "--json", "--level", "snapshot"]).stdout)
    assert d["hooks"]["fd_new"]["chosen"] == "none"

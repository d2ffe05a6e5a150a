"""The command line without watching anything: help, version, and every
kind of bad input, each with the exact message the user sees and exit 2.
None of these needs root: input is checked before anything is loaded.
"""
import os

import pytest

from lstest import REPO, run

# (arguments, words the one-line error must contain)
BAD_INPUTS = [
    ([], "no command given"),
    (["frob"], "'frob' is not a command"),
    (["run"], "run: no command given"),
    (["run", "--"], "run: no command given"),
    (["run", "--frob", "--", "true"], "unknown option '--frob'"),
    (["run", "--level", "max", "--", "true"], "--level: 'max' is not a level"),
    (["run", "--level"], "--level needs a value"),
    (["run", "--report", "x", "--format", "xml", "--", "true"],
     "--format: 'xml' is not a format"),
    (["run", "--format", "json", "--", "true"],
     "--format applies to --report FILE"),
    (["run", "--grace", "abc", "--", "true"],
     "--grace: 'abc' is not a whole number"),
    (["run", "--grace", "-5", "--", "true"],
     "--grace: '-5' is not a whole number"),
    (["run", "--grace", "99999999999999999999", "--", "true"],
     "--grace: '99999999999999999999' is not a whole number"),
    (["run", "--ring-size", "1000", "--", "true"],
     "is not a power of two"),
    (["run", "--ring-size", "4X", "--", "true"], "is not a size"),
    (["run", "--max-objects", "8", "--", "true"],
     "--max-objects: '8' is not a whole number from 16 to 16777216"),
    (["attach", "--cgroup", "/x", "--max-tests", "lots"],
     "--max-tests: 'lots' is not a whole number"),
    (["run", "--temp-root", "relative/dir", "--", "true"],
     "--temp-root: 'relative/dir' is not an absolute path"),
    (["run", "--temp-root", "/nonexistent-ls-dir", "--", "true"],
     "--temp-root /nonexistent-ls-dir: not an existing directory"),
    (["run", "--report", "/nonexistent-ls-dir/r.json", "--", "true"],
     "--report /nonexistent-ls-dir/r.json: cannot write there"),
    (["run", "--report", "/", "--", "true"],
     "--report /: cannot write there"),
    (["run", "--events", "", "--", "true"], "--events: empty file name"),
    (["run", "--leak-exit-code", "0", "--", "true"],
     "--leak-exit-code: '0' is not a whole number from 1 to 255"),
    (["run", "--leak-exit-code", "256", "--", "true"],
     "--leak-exit-code: '256' is not a whole number from 1 to 255"),
    (["run", "--quiet=yes", "--", "true"], "--quiet takes no value"),
    (["run", "--keep-orphans=1", "--", "true"],
     "--keep-orphans takes no value"),
    (["run", "--parent-cgroup", "relative", "--", "true"],
     "--parent-cgroup: 'relative' is not an absolute path"),
    (["attach"], "attach: --cgroup PATH is required"),
    (["attach", "--cgroup", "/x", "extra"],
     "attach: unexpected argument 'extra'"),
    (["attach", "--cgroup", "/x", "--", "true"], "attach: unexpected '--'"),
    (["attach", "--cgroup", "/x", "--duration", "0"],
     "--duration: '0' is not a number of seconds > 0"),
    (["attach", "--cgroup", "/x", "--duration", "nan"],
     "--duration: 'nan' is not a number of seconds > 0"),
    (["attach", "--cgroup", "/x", "--keep-orphans"],
     "attach: unknown option '--keep-orphans'"),
    (["doctor", "--frob"], "doctor: unknown option '--frob'"),
    (["help", "frob"], "help: 'frob' is not a command"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS,
                         ids=[" ".join(a) or "(none)" for a, _ in BAD_INPUTS])
def test_bad_input(leakscope, args, message):
    p = run(args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert message in p.stderr, p.stderr
    # One line, prefixed, naming the problem: no usage dump, no crash.
    lines = [l for l in p.stderr.splitlines() if l]
    assert len(lines) == 1 and lines[0].startswith("leakscope: error: "), \
        p.stderr
    assert p.stdout == ""


def test_bad_report_path_leaves_nothing_behind(leakscope, tmp_path):
    # A bad --report fails before any cgroup is created or program loaded.
    target = tmp_path / "missing" / "r.json"
    p = run(["run", "--report", str(target), "--", "true"])
    assert p.returncode == 2
    assert not target.exists()


def test_help_overview(leakscope):
    p = run(["--help"])
    assert p.returncode == 0
    for word in ("run", "attach", "doctor", "exit codes", "127", "128+N",
                 "cannot watch"):
        assert word in p.stdout, word


@pytest.mark.parametrize("cmd,words", [
    ("run", ["--fail-on-leak", "--keep-orphans", "--kill-grace", "--level",
             "--report", "--format", "--temp-root", "--grace",
             "--parent-cgroup", "exit code"]),
    ("attach", ["--cgroup", "--duration", "never kills"]),
    ("doctor", ["--json", "Exit 0"]),
])
def test_help_per_command(leakscope, cmd, words):
    for args in (["help", cmd], [cmd, "--help"]):
        p = run(args)
        assert p.returncode == 0, p.stderr
        for w in words:
            assert w in p.stdout, (args, w)


def test_version(leakscope):
    with open(os.path.join(REPO, "VERSION")) as f:
        version = f.read().strip()
    p = run(["--version"])
    assert p.returncode == 0
    assert p.stdout.strip() == "leakscope " + version

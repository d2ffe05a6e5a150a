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
    # Paths of the files a run reads or writes: checked before the run.
    (["run", "--report", "", "--", "true"], "--report: empty file name"),
    # (the errno is that of the temporary file beside it)
    (["run", "--report", "/proc/version", "--", "true"],
     "--report /proc/version: cannot write there"),
    (["run", "--temp-root", "/dev/null", "--", "true"],
     "--temp-root /dev/null: not an existing directory"),
    (["run", "--events", "/nonexistent-ls-dir/e.jsonl", "--", "true"],
     "--events /nonexistent-ls-dir/e.jsonl: cannot write there"),
    (["run", "--suppressions", "", "--", "true"],
     "--suppressions: empty file name"),
    (["run", "--suppressions", "/nonexistent-ls-dir/supp", "--", "true"],
     "/nonexistent-ls-dir/supp: No such file or directory"),
    (["run", "--socket", "rel.sock", "--", "true"],
     "--socket: 'rel.sock' is not an absolute path"),
    (["run", "--socket-group", "", "--", "true"],
     "--socket-group: empty group name"),
    (["attach", "--cgroup", ""], "--cgroup: empty path"),
    # leakscope mark: its words are checked before it connects.
    (["mark"], "mark: usage: leakscope mark begin|end NAME"),
    (["mark", "begin"], "mark: usage: leakscope mark begin|end NAME"),
    (["mark", "frob", "x"], "mark: 'frob' is not begin, end or allow"),
    (["mark", "begin", "a", "b"],
     "mark: unexpected argument 'b' (quote a name with spaces)"),
    (["mark", "end", "t", "--outcome", "bogus"],
     "--outcome: 'bogus' is not an outcome"),
    (["mark", "begin", "t", "--outcome", "passed"],
     "--outcome applies to mark end"),
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


# (file contents, the error after "FILE:LINE: ")
BAD_SUPPRESSIONS = [
    (b"# ok\nfd path=/x\nfd name=x\n", 3,
     "unknown field 'name' (expected path, comm, test, addr, argv, type, "
     "class, database or creator)"),
    (b"bogus\n", 1, "unknown kind 'bogus'"),
    (b"fd path=/a\0\n", 1, "NUL byte in line"),
    (b"fd path=/" + b"a" * 5000 + b"\n", 1,
     "line too long (over 4096 bytes)"),
    (b'fd path="abc\n', 1, "unterminated quote in value of field 'path'"),
    (b"fd path=[abc\n", 1,
     "invalid glob '[abc' for field 'path': unterminated '['"),
]


@pytest.mark.parametrize("data,line,message", BAD_SUPPRESSIONS,
                         ids=[m.split(" (")[0] for _, _, m in
                              BAD_SUPPRESSIONS])
@pytest.mark.parametrize("where", ["option", "default"])
def test_bad_suppression_file(leakscope, tmp_path, data, line, message,
                              where):
    """--suppressions FILE, or .leakscope/suppressions in the current
    directory: the first bad line stops leakscope, naming FILE:LINE."""
    if where == "option":
        path, name, args = tmp_path / "supp", str(tmp_path / "supp"), \
            ["--suppressions", str(tmp_path / "supp")]
    else:
        (tmp_path / ".leakscope").mkdir()
        path, name, args = tmp_path / ".leakscope" / "suppressions", \
            ".leakscope/suppressions", []
    path.write_bytes(data)
    p = run(["run", *args, "--", "true"], cwd=tmp_path)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.startswith("leakscope: error: %s:%d: %s" %
                               (name, line, message)), p.stderr
    assert len(p.stderr.splitlines()) == 1 and p.stdout == "", p.stderr


@pytest.mark.parametrize("sock,why", [
    ("/nonexistent-ls-dir/control.sock", "No such file or directory"),
    ("/dev/null", "Connection refused"),
])
def test_mark_cannot_reach_leakscope(leakscope, sock, why):
    """$LEAKSCOPE_SOCK set but nobody answers there: exit 1 (a lost link,
    not the caller's input); without $LEAKSCOPE_SOCK mark does nothing
    (tests/bpf/test_tests_marking.py::test_mark_outside_leakscope)."""
    env = dict(os.environ, LEAKSCOPE_SOCK=sock)
    p = run(["mark", "begin", "t"], env=env)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr == "leakscope: error: cannot reach leakscope at " \
        "$LEAKSCOPE_SOCK: %s\n" % why, p.stderr
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

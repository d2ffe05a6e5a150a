"""Faults around a run: the agent SIGKILLed (mid-run, during start-up, in
`attach`), the agent interrupted (SIGINT/SIGTERM/SIGHUP), and a command
that dies by a signal or cannot be executed.

What must hold, whatever the fault: no BPF program, link or map of the
agent stays loaded (checked with bpftool against the ids the agent held,
read from /proc/PID/fdinfo while it was stopped: this bpftool build lists
no pids; the hand-over helper that detaches the tracepoints after an
orderly exit is found as an orphan and waited for); the command does not
run on unwatched; the next `run` removes what a dead agent left; `attach`
never touches the watched cgroup. Every run here uses a private
--parent-cgroup, so that neither these tests nor other leakscope runs on
the machine remove each other's stale runs.

Tests named test_regression_* document bugs: they fail until fixed.
"""

import ctypes
import glob
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import time
import types

import pytest

from lstest import (BPF_KINDS, LEAKSCOPE, cgroup2_mount, held_ids, pid_alive,
                    poll_until)

PR_SET_CHILD_SUBREAPER = 36
# sh does not exec its last command when another one follows: the direct
# child stays sh, both sleeps are its children (CMD's grandchildren).
FAMILY = ["sh", "-c", "sleep 300 & sleep 300; exit 0"]

# ------------------------------------------------------------- processes


def stat_of(pid):
    """(state, ppid) of @pid, None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = s[s.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def comm_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def describe(pids):
    out = []
    for pid in sorted(pids):
        st = stat_of(pid)
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().replace(b"\0", b" ").decode().strip()
        except OSError:
            argv = "?"
        out.append(f"pid {pid} `{argv}` state={st and st[0]} "
                   f"ppid={st and st[1]}")
    return "; ".join(out) or "none"


def pidfd(pid):
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return None


def wait_exit(fd, timeout):
    """True once the process behind pidfd @fd has exited (None: it had
    already), waiting at most @timeout seconds."""
    if fd is None:
        return True
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(timeout * 1000))


def children_of_me():
    """[(pid, comm, state)] of this process's children."""
    me, out = os.getpid(), []
    for d in glob.glob("/proc/[0-9]*"):
        st = stat_of(int(d[6:]))
        if st and st[1] == me:
            out.append((int(d[6:]), comm_of(int(d[6:])), st[0]))
    return out


def watchdogs_of(agent_pid):
    """Pids of the agent's watchdog (leakscope-wd) children."""
    out = []
    for d in glob.glob("/proc/[0-9]*"):
        pid = int(d[6:])
        st = stat_of(pid)
        if st and st[1] == agent_pid and comm_of(pid) == "leakscope-wd":
            out.append(pid)
    return out


def stop(pid, timeout=10):
    """SIGSTOP @pid and wait until it is stopped (or gone): a stopped
    process makes no syscall, so what it holds cannot change."""
    os.kill(pid, signal.SIGSTOP)
    return poll_until(lambda: (stat_of(pid) or ("gone",))[0] in
                      ("T", "t", "Z", "X", "gone"), timeout, 0.001)

# ------------------------------------------------------------------ BPF


def merge(a, b):
    return {k: a[k] | b[k] for k in BPF_KINDS}


def loaded_ids():
    out = {}
    for kind in BPF_KINDS:
        p = subprocess.run(["bpftool", "-j", kind, "show"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, f"bpftool {kind} show: {p.stderr}"
        out[kind] = {e["id"] for e in json.loads(p.stdout or "[]")}
    return out


def still_loaded(ours):
    live = loaded_ids()
    return {k: sorted(ours[k] & live[k]) for k in BPF_KINDS
            if ours[k] & live[k]}


def holders(ours):
    """{pid: comm} of every process holding one of @ours."""
    out = {}
    for d in glob.glob("/proc/[0-9]*"):
        pid = int(d[6:])
        h = held_ids(pid)
        if any(h[k] & ours[k] for k in BPF_KINDS):
            out[pid] = comm_of(pid)
    return out


def assert_unloaded(ours, timeout, what):
    assert any(ours.values()), f"{what}: the agent held no BPF object"
    left = poll_until(lambda: not still_loaded(ours), timeout, 0.1)
    if not left:
        rest = still_loaded(ours)
        raise AssertionError(
            f"{what}: {timeout}s later still loaded: "
            f"{ {k: len(v) for k, v in rest.items()} } (ids {rest}); "
            f"held by {holders(ours) or 'no process'}")

# -------------------------------------------------------------- cgroups


def cgroup_procs(path):
    """Every pid in @path and the cgroups below it."""
    pids = set()
    for d, _, _ in os.walk(path):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids |= {int(x) for x in f.read().split()}
        except FileNotFoundError:
            pass
    return pids


def subdirs(path):
    return sorted(os.path.relpath(d, path) for d, _, _ in os.walk(path))


def populated(path):
    try:
        with open(os.path.join(path, "cgroup.events")) as f:
            return "populated 1" in f.read()
    except FileNotFoundError:
        return False


def kill_and_remove(path):
    """End everything in cgroup @path and below, and remove them."""
    if not os.path.isdir(path):
        return
    with open(os.path.join(path, "cgroup.kill"), "w") as f:
        f.write("1")
    poll_until(lambda: not populated(path), 10)
    for d in sorted((d for d, _, _ in os.walk(path)), reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


class Parent:
    """A private --parent-cgroup, and the agents started under it; close()
    ends and removes all of it, and the control-socket directories those
    agents left."""

    def __init__(self, name, tmpdir):
        self.path = os.path.join(cgroup2_mount(),
                                 f"ls-faults-{os.getpid()}-{name}")
        self.tmpdir = tmpdir
        self.agents = []
        os.makedirs(self.path, exist_ok=True)

    def start(self, args, name, env=None, **kw):
        """Start `leakscope ARGS` (stdout/stderr to files)."""
        out = open(os.path.join(self.tmpdir, f"{name}.out"), "wb")
        err_path = os.path.join(self.tmpdir, f"{name}.err")
        err = open(err_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.Popen([LEAKSCOPE] + args, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err, env=full_env, **kw)
        out.close()
        err.close()
        p.err_path = err_path
        self.agents.append(p)
        return p

    def run(self, cmd, name, extra=(), report=None):
        """`leakscope run --parent-cgroup P ...` in the background."""
        args = ["run", "-q", "--parent-cgroup", self.path, *extra]
        if report:
            args += ["--report", str(report), "--format", "json"]
        return self.start(args + ["--", *cmd], name)

    def run_cgroup(self, agent_pid):
        found = glob.glob(os.path.join(self.path, f"run-*-{agent_pid}"))
        return found[0] if found else None

    def wait_run(self, agent, nprocs, timeout=15):
        """The run cgroup of @agent once @nprocs processes are in it."""
        def ready():
            cg = self.run_cgroup(agent.pid)
            return cg if cg and len(cgroup_procs(cg)) >= nprocs else None
        cg = poll_until(lambda: ready() or agent.poll() is not None, timeout)
        assert cg and cg is not True, (
            f"no run cgroup with {nprocs} processes after {timeout}s "
            f"(agent exit {agent.poll()}): {stderr_of(agent)}")
        return cg

    def close(self):
        for a in self.agents:
            if a.poll() is None:
                a.kill()
            a.wait(timeout=60)
        kill_and_remove(self.path)
        for a in self.agents:
            for base in ("/run/leakscope", "/tmp"):
                for d in glob.glob(f"{base}/leakscope-*-{a.pid}"):
                    if set(os.listdir(d)) <= {"control.sock"}:
                        shutil.rmtree(d, ignore_errors=True)


def stderr_of(agent):
    try:
        with open(agent.err_path) as f:
            return f.read()
    except OSError:
        return ""


def environ_of(pid):
    """/proc/PID/environ's bytes, b"" if it is gone."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read()
    except OSError:
        return b""


def env_of(pid, name, timeout=5):
    """NAME in PID's environment. A process in the middle of execve
    already has its new comm but not yet its new environment (the kernel
    sets comm before it builds the new stack): environ reads empty then,
    so wait for it."""
    env = poll_until(lambda: environ_of(pid), timeout)
    for kv in env.split(b"\0"):
        k, _, v = kv.partition(b"=")
        if k.decode() == name:
            return v.decode()
    return None


@pytest.fixture
def parent(tmp_path, request):
    p = Parent(request.node.name.replace("[", "-").strip("]"), str(tmp_path))
    yield p
    p.close()


@pytest.fixture
def subreaper():
    """Make this process the subreaper of what it starts, so that the
    hand-over helper (forked by the agent as it stops) becomes its child
    when the agent exits; reap such orphans afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    yield
    libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    for pid, _, _ in children_of_me():
        fd = pidfd(pid)
        if fd is not None and wait_exit(fd, 20):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass  # a Popen of someone else's, reaped by it
        if fd is not None:
            os.close(fd)


def kill_mid_run(parent, report=None, with_watchdog=False):
    """Start FAMILY under leakscope, SIGKILL the agent once all three
    processes run (and its watchdog first, with @with_watchdog), reap it.
    What was there, and when, in a namespace."""
    agent = parent.run(FAMILY, "killed", report=report)
    cg = parent.wait_run(agent, 3)
    procs = cgroup_procs(cg)
    direct = [p for p in procs if (stat_of(p) or ("", 0))[1] == agent.pid]
    assert len(direct) == 1, describe(procs)
    grand = sorted(procs - set(direct))
    sock = env_of(direct[0], "LEAKSCOPE_SOCK")
    fds = {p: pidfd(p) for p in procs}
    assert stop(agent.pid), "the agent did not stop"
    ours = held_ids(agent.pid)
    dogs = watchdogs_of(agent.pid)
    assert len(dogs) == 1, f"watchdogs of the agent: {describe(dogs)}"
    dog = pidfd(dogs[0])
    if with_watchdog:
        os.kill(dogs[0], signal.SIGKILL)
        assert wait_exit(dog, 10)
    agent.kill()
    t_kill = time.monotonic()
    rc = agent.wait(timeout=60)
    reaped_at = time.monotonic()
    return types.SimpleNamespace(
        agent=agent, rc=rc, cgroup=cg, run_id=os.path.basename(cg)[4:],
        direct=direct[0], grand=grand, fds=fds, ours=ours, sock=sock,
        exit_s=reaped_at - t_kill, reaped_at=reaped_at, dog=dog)


def close_fds(fds):
    for fd in fds:
        if fd is not None:
            os.close(fd)

# ------------------------------------------ agent SIGKILLed in the middle


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """One run SIGKILLed mid-run, its --report file holding the report of
    an earlier, complete run (as when a CI job reruns in place)."""
    tmp = tmp_path_factory.mktemp("killed")
    parent = Parent("killed", str(tmp))
    try:
        report = tmp / "report.json"
        first = parent.run(["true"], "first", report=report)
        assert first.wait(timeout=60) == 0, stderr_of(first)
        previous = json.loads(report.read_text())
        k = kill_mid_run(parent, report)
        k.report, k.previous, k.parent = report, previous, parent
        yield k
        close_fds(k.fds.values())
    finally:
        parent.close()


def test_sigkill_mid_run_unloads_every_bpf_object(killed):
    assert killed.rc == -signal.SIGKILL
    # Mid-run nothing was handed over: the kernel drops all of it as the
    # agent's files are closed (the ~2 s of its exit are the detaches).
    assert_unloaded(killed.ours, 20, "after SIGKILL mid-run")
    print(f"agent exit took {killed.exit_s:.2f}s; held "
          f"{ {k: len(v) for k, v in killed.ours.items()} }")
    assert not holders(killed.ours)


def test_sigkill_mid_run_kills_the_direct_child(killed):
    # PR_SET_DEATHSIG: at the agent's exit_notify, i.e. after its files
    # (the BPF links) are closed, before it can be reaped.
    assert wait_exit(killed.fds[killed.direct], 5), (
        "CMD outlived the agent: " + describe([killed.direct]))


def test_sigkill_mid_run_watchdog_ends_cmds_children(killed):
    """PR_SET_DEATHSIG reaches only the direct child. CMD's own children
    (here both `sleep 300`) would run on unwatched in the dead run's
    cgroup: the watchdog, seeing the agent gone, kills what is left there
    and removes the cgroup and the control socket's directory."""
    alive = [p for p in killed.grand
             if not wait_exit(killed.fds[p], max(
                 0, 10 - (time.monotonic() - killed.reaped_at)))]
    assert not alive, (
        f"10s after the SIGKILLed agent was reaped, CMD's children still "
        f"run unwatched in {killed.cgroup} "
        f"(populated={populated(killed.cgroup)}): {describe(alive)}")
    assert wait_exit(killed.dog, 10), "the watchdog did not finish"
    assert not os.path.exists(killed.cgroup)
    assert killed.sock and not os.path.exists(os.path.dirname(killed.sock))
    assert subdirs(killed.parent.path) == ["."]


def test_sigkill_mid_run_report_says_unfinished(killed):
    """--report FILE is replaced as a whole, and from the start of the run
    it says the run has not finished: after a SIGKILL it is this run's,
    marked interrupted, not an earlier run's complete report."""
    rep = json.loads(killed.report.read_text())
    assert rep["run_id"] == killed.run_id, (
        f"after run {killed.run_id} was SIGKILLed, {killed.report} holds "
        f"the report of run {rep.get('run_id')}")
    assert rep["interrupted"] is True
    assert "did not finish" in rep["interrupt_reason"]
    left = glob.glob(str(killed.report) + ".leakscope-*.tmp")
    assert not left, left


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    """A run SIGKILLed mid-run with its watchdog, then the next `run`
    under the same parent."""
    tmp = tmp_path_factory.mktemp("restarted")
    parent = Parent("restarted", str(tmp))
    try:
        k = kill_mid_run(parent, with_watchdog=True)
        assert os.path.isdir(k.cgroup) and cgroup_procs(k.cgroup)
        nxt = parent.run(["true"], "next")
        k.next_rc = nxt.wait(timeout=60)
        k.next_err = stderr_of(nxt)
        k.parent = parent
        yield k
        close_fds(k.fds.values())
    finally:
        parent.close()


def test_next_start_removes_the_stale_run(restarted):
    k = restarted
    assert k.next_rc == 0, k.next_err
    assert "removed 1 stale run cgroup" in k.next_err, k.next_err
    assert not os.path.exists(k.cgroup)
    alive = [p for p in k.grand if not wait_exit(k.fds[p], 5)]
    assert not alive, describe(alive)
    assert subdirs(k.parent.path) == ["."]


def test_next_start_removes_stale_control_socket(restarted):
    """The dead agent's private control-socket directory
    (/run/leakscope/leakscope-<run id>/control.sock) goes with its run's
    cgroup."""
    k = restarted
    assert k.sock, "CMD got no LEAKSCOPE_SOCK"
    assert not os.path.exists(os.path.dirname(k.sock)), (
        f"the next run left the dead agent's {os.path.dirname(k.sock)} "
        f"({os.listdir(os.path.dirname(k.sock))})")

# --------------------------------------------- agent SIGKILLed at start-up


def test_sigkill_during_startup(parent):
    """Kill the agent 20-50 ms after it was started, several times, and a
    few times later in its start-up (~150 ms here to CMD's first
    instruction), to also strike with programs loaded and links attached:
    no BPF object stays loaded, no process stays, and the next run leaves
    no cgroup under the parent: a strike after the watchdog started
    leaves it to clean up, an earlier one leaves a stale run cgroup that
    the next run removes."""
    phases, ours, dogs = [], {k: set() for k in BPF_KINDS}, []
    for i, delay in enumerate((0.02, 0.025, 0.03, 0.035, 0.04, 0.045,
                               0.05, 0.08, 0.11, 0.14)):
        agent = parent.run(["sleep", "300"], f"startup{i}")
        time.sleep(delay)  # when to strike, not a wait for anything
        assert stop(agent.pid), "the agent did not stop"
        held = held_ids(agent.pid)
        ours = merge(ours, held)
        dogs += [pidfd(p) for p in watchdogs_of(agent.pid)]
        cg = parent.run_cgroup(agent.pid)
        procs = cgroup_procs(parent.path)
        agent.kill()
        t0 = time.monotonic()
        rc = agent.wait(timeout=60)
        phases.append(f"{int(delay * 1000)}ms: rc={rc} cgroup="
                      f"{'yes' if cg else 'no'} procs={len(procs)} "
                      f"bpf={ {k: len(v) for k, v in held.items()} } "
                      f"exit={time.monotonic() - t0:.2f}s")
    print("\n".join(phases))
    assert all(wait_exit(d, 20) for d in dogs if d is not None), \
        "a watchdog did not finish"
    close_fds(dogs)
    if any(ours.values()):
        assert_unloaded(ours, 30, "after SIGKILLs at start-up: " +
                        "; ".join(phases))
    left = poll_until(lambda: not cgroup_procs(parent.path), 5)
    assert left, ("processes left running: " +
                  describe(cgroup_procs(parent.path)) + "; " +
                  "; ".join(phases))
    stale = [d for d in os.listdir(parent.path) if d.startswith("run-")]
    nxt = parent.run(["true"], "next")
    assert nxt.wait(timeout=60) == 0, stderr_of(nxt)
    assert subdirs(parent.path) == ["."], (
        f"stale before: {stale}; after the next run: {subdirs(parent.path)}")
    if stale:
        assert f"removed {len(stale)} stale run cgroup" in stderr_of(nxt)

# ---------------------------------------------- agent SIGKILLed in attach


def test_sigkill_in_attach_leaves_the_cgroup_alone(parent, tmp_path):
    watched = os.path.join(parent.path, "watched")
    os.mkdir(watched)
    sleepers = []

    def sleeper(cgroup):
        os.makedirs(cgroup, exist_ok=True)
        p = subprocess.Popen(
            ["sh", "-c", f"echo $$ > {cgroup}/cgroup.procs && exec sleep 300"],
            stdin=subprocess.DEVNULL, start_new_session=True)
        sleepers.append(p)
        assert poll_until(lambda: p.pid in cgroup_procs(cgroup) and
                          comm_of(p.pid) == "sleep", 10)
        return p.pid

    try:
        before = sleeper(watched)
        agent = parent.start(["attach", "--cgroup", watched, "-v", "-q"],
                             "attach")
        assert poll_until(lambda: "watching" in stderr_of(agent) or
                          agent.poll() is not None, 30)
        assert agent.poll() is None, stderr_of(agent)
        during = sleeper(watched)            # a process the watch saw start
        inner = sleeper(os.path.join(watched, "made-during-watch"))
        tree, procs = subdirs(watched), cgroup_procs(watched)
        fds = {p: pidfd(p) for p in (before, during, inner)}
        assert stop(agent.pid)
        ours = held_ids(agent.pid)
        agent.kill()
        assert agent.wait(timeout=60) == -signal.SIGKILL
        assert_unloaded(ours, 20, "after SIGKILL in attach")
        assert subdirs(watched) == tree
        assert cgroup_procs(watched) == procs
        assert not [p for p, fd in fds.items() if wait_exit(fd, 0)], \
            describe(procs)
        close_fds(fds.values())
    finally:
        for p in sleepers:
            p.kill()
            p.wait(timeout=30)

# ------------------------------------------------- agent interrupted


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM,
                                 signal.SIGHUP], ids=lambda s: s.name)
def test_interrupt_tears_down_in_order(parent, subreaper, tmp_path, sig):
    """The signal goes to CMD's process group; a process that left it
    (setsid) is a leftover, ended like any other; the JSON report says
    interrupted; the run's cgroup is removed; the hand-over helper
    finishes and nothing of ours stays loaded."""
    report = tmp_path / "r.json"
    agent = parent.run(["sh", "-c", "setsid sleep 300 & sleep 300; exit 0"],
                       "agent", extra=["--grace", "100"], report=report)
    cg = parent.wait_run(agent, 3)

    def session_leaders():
        try:
            return [p for p in cgroup_procs(cg)
                    if os.getsid(p) == p and comm_of(p) == "sleep"]
        except ProcessLookupError:
            return []
    escaped = poll_until(session_leaders, 10)
    assert len(escaped) == 1, describe(cgroup_procs(cg))
    escaped_fd = pidfd(escaped[0])
    sock = env_of(escaped[0], "LEAKSCOPE_SOCK")
    assert sock, "CMD got no LEAKSCOPE_SOCK"
    ours = held_ids(agent.pid)
    agent.send_signal(sig)
    assert agent.wait(timeout=30) == 128 + sig, stderr_of(agent)
    helpers = [p for p, comm, _ in children_of_me() if comm == "leakscope"]

    rep = json.loads(report.read_text())
    assert rep["interrupted"] is True
    assert rep["interrupt_reason"] == signal.strsignal(sig)
    assert rep["exit"] == {"status": "signaled", "code": None,
                           "signal": int(sig), "error": None}
    orphans = [f for f in rep["findings"] if f["kind"] == "process"]
    assert [f["pid"] for f in orphans] == escaped, rep["findings"]
    assert rep["cleanup"]["sigterm_sent"] == 1, rep["cleanup"]
    assert rep["cleanup"]["cgroup_removed"] is True, rep["cleanup"]
    assert not os.path.exists(cg)
    assert wait_exit(escaped_fd, 0)
    close_fds([escaped_fd])
    assert not os.path.exists(os.path.dirname(sock)), os.path.dirname(sock)
    print(f"hand-over helpers: {helpers}")
    # The helper keeps the links until the agent has exited, then drops
    # them (seconds: each tracepoint detach waits for RCU).
    for h in helpers:
        fd = pidfd(h)
        assert wait_exit(fd, 20), f"hand-over helper {h} still running"
        assert os.waitpid(h, 0)[1] == 0
        os.close(fd)
    assert_unloaded(ours, 10, f"after {sig.name} (helpers {helpers})")

# ------------------------------------------ CMD dies, or cannot be run


def run_report(tmp_path, cmd, env=None, extra=()):
    """`leakscope run --report R.json ARGS -- CMD` with its text report on
    stderr: (rc, report, stderr)."""
    report = tmp_path / "r.json"
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(tmp_path / "err", "wb") as err:
        p = subprocess.run(
            [LEAKSCOPE, "run", "--report", str(report), *extra, "--", *cmd],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env=full_env, cwd=tmp_path, timeout=60,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE,
                                                  (0, 0)))
    text = report.read_text() if report.exists() else ""
    return (p.returncode, json.loads(text) if text.strip() else None,
            (tmp_path / "err").read_text(errors="replace"))


def make_cmd(tmp_path, kind):
    """Files that exec refuses, and why (strerror)."""
    adir = tmp_path / "a-directory"
    adir.mkdir()
    if kind == "directory":
        return [str(adir)], {}, "Permission denied"
    if kind == "empty-name":
        return [""], {}, "No such file or directory"
    script = tmp_path / "lsf-script"
    if kind == "missing-interpreter":
        script.write_text("#!/nonexistent/lsf-interp\necho never\n")
        script.chmod(0o755)
        return [str(script)], {}, "No such file or directory"
    if kind == "interpreter-is-a-directory":
        script.write_text(f"#!{adir}\necho never\n")
        script.chmod(0o755)
        return [str(script)], {}, "Permission denied"
    if kind == "not-executable-in-PATH":
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "lsf-noexec-cmd").write_text("#!/bin/sh\necho never\n")
        (bindir / "lsf-noexec-cmd").chmod(0o644)
        env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        return ["lsf-noexec-cmd"], env, "Permission denied"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["directory", "empty-name",
                                  "missing-interpreter",
                                  "interpreter-is-a-directory",
                                  "not-executable-in-PATH"])
def test_command_cannot_be_executed(tmp_path, kind):
    cmd, env, why = make_cmd(tmp_path, kind)
    rc, rep, err = run_report(tmp_path, cmd, env)
    assert rc == 127, (rc, err)
    assert rep is not None, err
    assert rep["exit"] == {"status": "not_started", "code": None,
                           "signal": None, "error": f"{cmd[0]}: {why}"}
    assert rep["findings"] == [] and rep["interrupted"] is False
    assert rep["cleanup"]["cgroup_removed"] is True
    assert not os.path.exists(rep["cgroup"])
    assert f"`{cmd[0]}` could not be started ({cmd[0]}: {why})" in err, err


def test_exec_format_error_report_is_consistent(tmp_path):
    """A file the kernel refuses (ENOEXEC: here a truncated ELF). What
    happens: execvp() hands it to /bin/sh, so CMD "runs" and the report
    says exited with sh's status (127 here: sh finds no command named by
    its first line), not not_started. Whatever the status, the report is
    written, agrees with the exit code, and the cgroup is removed."""
    junk = tmp_path / "truncated-elf"
    junk.write_bytes(b"\x7fELF\x02\x01\x01\x00")
    junk.chmod(0o755)
    rc, rep, err = run_report(tmp_path, [str(junk)])
    assert rep is not None, err
    ex = rep["exit"]
    assert rc == (127 if ex["status"] == "not_started" else ex["code"]), \
        (rc, ex)
    assert rc != 0
    assert rep["cleanup"]["cgroup_removed"] is True
    assert not os.path.exists(rep["cgroup"])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV],
                         ids=lambda s: s.name)
def test_command_killed_leaving_a_child(tmp_path, sig):
    rc, rep, err = run_report(
        tmp_path, ["sh", "-c", f"sleep 300 & echo $!; kill -{sig.name[3:]} $$"],
        extra=["--grace", "100"])
    assert rc == 128 + sig, (rc, err)
    assert rep["exit"] == {"status": "signaled", "code": None,
                           "signal": int(sig), "error": None}
    orphans = [f for f in rep["findings"] if f["kind"] == "process"]
    assert [f["comm"] for f in orphans] == ["sleep"], rep["findings"]
    assert rep["cleanup"]["sigterm_sent"] == 1, rep["cleanup"]
    assert rep["cleanup"]["cgroup_removed"] is True
    assert not os.path.exists(rep["cgroup"])
    assert not pid_alive(orphans[0]["pid"]), describe([orphans[0]["pid"]])
    assert f"was killed by signal {int(sig)}" in err, err

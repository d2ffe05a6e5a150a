#!/usr/bin/python3
"""bench.py - measure what leakscope costs the programs it watches.

usage: tools/bench/bench.py [--reps N] [--cost-reps N] [--quick]
                            [--only NAME[,NAME...]] [--json PATH]
                            [--leakscope PATH]

Each workload (tools/bench/workload.c, built as build/bench/workload by
`make bench`) times its own loop and prints ns_per_op, so the start-up and
teardown of whatever wraps it are not in the number; a syscall loop times
~10 ms blocks and gives its median block, and each block's time with a
probe of the core taken after it (these VMs have host-side slow spells of
0.1-4 s that slow every syscall 20-30%, traced or not, and the probe ~1.9x;
the mean of the whole run is kept in the JSON). Every workload runs
untraced and under each tool, interleaved (A B C A B C ...; the order
rotates every repetition) because the machine is noisy; the table gives
the median, min-max, the ratio of medians, the ratio of fastest runs
("best") and the ratio over the blocks run at the host's fast speed
("quiet") against the untraced runs of the same invocation, with the
issue's targets judged on quiet (best where too few blocks were quiet,
and for the realistic load) and marked PASS or FAIL (see analysis.py). A
run starts only once everything of the one before has exited:
leakscope's helper that detaches its syscall tracepoints outlives it by
seconds, and would tax the next run.

  open socket pipe fork thread mmap   syscall churn in the watched process
  realistic      python3 -m test -q MODULE for 8 modules in turn (Debian's
                 libpython3.11-testsuite): its time is the sum over modules
                 of each module's median time
  outside-open, outside-fork   a process outside the watched cgroup while
                 `leakscope attach` watches another one (and bpftrace
                 filters on another one), vs nothing watching
  roundtrip      BEGIN+END with 100 fds open in the harness, per level
  tests          10,000 tests, every 100th leaks an fd: the verdicts (END
                 replies and the report) must name exactly those
  agent          leakscope's start-up and peak RSS from its JSON report

Tools: untraced; the floor (tools/bench/floor.c: a no-op BPF program on
the exit tracepoint of every syscall leakscope traces: the least any
syscall-tracepoint design pays; outside the cgroup, leakscope's target is
this + 0.02); leakscope run at --level snapshot, the default (full) and
--level stacks; strace -f (fd-related syscalls); bpftrace counting the same
events for one cgroup; valgrind --track-fds=yes. Slow tools run fewer
iterations (ns/op stays comparable); a tool that cannot run a workload, or
times out, is n/a for it.

leakscope and the workload are copied at the start, so a rebuild in the
work tree meanwhile does not change what is measured (their sha256 are in
the JSON). `make bench BENCH_ARGS='--reps 9 --only open'` passes options.

After the timed runs, a pass with the kernel's BPF statistics on gives
each tool's programs' own time per operation (tools/bench/bpfcost.py):
quieter than the timed ratios, printed after them, judged on nothing.

Exit status: 0 when everything ran, whether or not targets are met (this is
a measurement); 1 if a tool crashed or leakscope's verdicts were wrong;
2 for a bad command line or a missing binary. Raw samples: --json (default
build/bench.json). Needs root (leakscope and bpftrace load BPF programs).
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from analysis import LEVELS, OUTSIDE, analyse, print_table  # noqa: E402
import bpfcost  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_build = os.environ.get("BUILD", "build")
BUILD = _build if os.path.isabs(_build) else os.path.join(ROOT, _build)
LEAKSCOPE = os.path.join(BUILD, "leakscope")
WORKLOAD = os.path.join(BUILD, "bench", "workload")
# leakscope is started by `workload spawn`, a small process: a process's peak
# RSS (the agent's max_rss_kib, from getrusage) counts the image it replaced
# at exec, so started straight from Python it would report Python's RSS.
SPAWN = [WORKLOAD, "spawn"]

# Iterations per run: ~0.7-1 s untraced on this project's 2-core machines,
# long enough that a host slow spell (0.5-1 s) rarely covers half a run.
MICRO_N = {"open": 300000, "socket": 140000, "pipe": 160000, "fork": 4000,
           "thread": 16000, "mmap": 180000}
# Slow tools run N // divisor iterations (their ns/op stays comparable).
DIVISOR = {"strace": {"open": 50, "socket": 50, "pipe": 50, "fork": 10,
                      "thread": 20, "mmap": 50},
           "valgrind": {"open": 5, "socket": 5, "pipe": 5, "fork": 100,
                        "thread": 5, "mmap": 5}}

REALISTIC_PY = "/usr/bin/python3.11"
REALISTIC_TESTS = ["test_json", "test_tempfile", "test_pathlib", "test_shutil",
                   "test_os", "test_glob", "test_csv", "test_posix"]
REALISTIC_PROBE = "/usr/lib/python3.11/test/test_csv.py"

ROUNDTRIP = (1000, 100)        # N round trips, FDS open fds
TESTS_N = 10000


# Tools no target judges (far from 1x, or leakscope's costliest level) run
# in the first PEER_REPS repetitions only, so that the time goes to more
# runs of the rows that are judged.
UNJUDGED = {"strace", "valgrind", "leakscope stacks"}
PEER_REPS = 3

RUN_TIMEOUT = {"micro": 60, "realistic": 180, "roundtrip": 60, "tests": 600}

# bpftrace: the events leakscope's full level counts, for one cgroup.
BPFTRACE_PROBES = [
    "tracepoint:syscalls:sys_exit_open", "tracepoint:syscalls:sys_exit_openat",
    "tracepoint:syscalls:sys_exit_openat2", "tracepoint:syscalls:sys_exit_creat",
    "tracepoint:syscalls:sys_exit_socket", "tracepoint:syscalls:sys_exit_socketpair",
    "tracepoint:syscalls:sys_exit_accept4", "tracepoint:syscalls:sys_exit_pipe2",
    "tracepoint:syscalls:sys_exit_dup", "tracepoint:syscalls:sys_exit_dup2",
    "tracepoint:syscalls:sys_exit_dup3", "tracepoint:syscalls:sys_enter_close",
    "tracepoint:syscalls:sys_exit_mmap", "tracepoint:syscalls:sys_enter_munmap",
    "tracepoint:sched:sched_process_fork", "tracepoint:sched:sched_process_exit",
]


# The floor: tools/bench/floor.c holding a no-op program on the exit
# tracepoints of the syscalls leakscope traces (read from abi.h's list).
FLOOR = os.path.join(BUILD, "bench", "floor")
FLOOR_OBJ = os.path.join(BUILD, "bench", "floor.bpf.o")
ABI_H = os.path.join(ROOT, "include", "leakscope", "abi.h")


def traced_syscalls():
    with open(ABI_H) as f:
        text = f.read()
    body = text[text.index("#define LS_SYSCALL_LIST"):]
    body = body[:body.index("\n\n")]
    return re.findall(r"X\((\w+),", body)


def realistic_cmd():
    """The realistic load: the CPython test modules, timed module by module."""
    return [WORKLOAD, "parts", REALISTIC_PY, "-m", "test", "-q", "--"] + REALISTIC_TESTS


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def mount_point(fstype):
    """Where a filesystem of @fstype is mounted (/proc/self/mountinfo)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == fstype:
                return fields[4]
    return None



def tracefs_mount():
    """tracefs's mount point, mounting it if nobody has."""
    mnt = mount_point("tracefs")
    if mnt:
        return mnt
    try:
        os.makedirs("/sys/kernel/tracing", exist_ok=True)
        subprocess.run(["mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"],
                       check=True, capture_output=True)
        return "/sys/kernel/tracing"
    except (OSError, subprocess.CalledProcessError):
        return None


def parse_value(v):
    """A number, a list of numbers ('1.5,2,3'), or the text as it is."""
    try:
        return [float(x) for x in v.split(",")] if "," in v else float(v)
    except ValueError:
        return v


def parse_output(text):
    """The last 'ns_per_op=X ops=N k=v...' line of a workload, as a dict."""
    for line in reversed(text.splitlines()):
        if "ns_per_op=" in line:
            return {k: parse_value(v) for k, v in re.findall(r"(\w+)=(\S+)", line)}
    return None


def enter_cgroup(path):
    def fn():
        fd = os.open(os.path.join(path, "cgroup.procs"), os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)
    return fn


def tail(text, n=600):
    text = (text or "").strip()
    return text[-n:]


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="lsbench.")
        self.binaries = self.snapshot_binaries()
        self.samples = []
        self.na = {}            # (workload, tool) -> why it is n/a
        self.errors = []        # tool crashes: make the exit status 1
        self.warnings = []      # worth saying, not failures
        self.cgroups = []
        self.sleepers = []
        self.report_seq = 0
        self.have = {t: shutil.which(t) for t in ("strace", "bpftrace", "valgrind")}
        mnt = mount_point("cgroup2")
        if not mnt:
            raise SystemExit("bench: no cgroup v2 mount: leakscope cannot run here")
        base = os.path.join(mnt, "lsbench.%d" % os.getpid())
        # bpftrace's target cgroup (a workload under bpftrace runs in it) and
        # the cgroup `attach` watches for the outside measurements.
        self.bt_cgroup = self.make_cgroup(base + ".bpftrace")
        self.watched = self.make_cgroup(base + ".watched")
        sleeper = subprocess.Popen(["sleep", "100000"],
                                   preexec_fn=enter_cgroup(self.watched))
        self.sleepers.append(sleeper)

    def snapshot_binaries(self):
        """Run copies of leakscope and the workload, so that a rebuild in
        the work tree during the bench does not change what is measured."""
        global LEAKSCOPE, WORKLOAD, SPAWN
        info = {}
        os.mkdir(os.path.join(self.tmp, "bin"))
        for name, src in (("leakscope", LEAKSCOPE), ("workload", WORKLOAD)):
            dst = os.path.join(self.tmp, "bin", name)
            shutil.copy2(src, dst)
            with open(dst, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            mtime = datetime.datetime.fromtimestamp(os.stat(src).st_mtime,
                                                    datetime.timezone.utc)
            info[name] = {"path": src, "sha256": digest,
                          "built_at": mtime.strftime("%Y-%m-%dT%H:%M:%SZ")}
        LEAKSCOPE = os.path.join(self.tmp, "bin", "leakscope")
        WORKLOAD = os.path.join(self.tmp, "bin", "workload")
        SPAWN = [WORKLOAD, "spawn"]
        try:
            self.version = subprocess.run([LEAKSCOPE, "--version"],
                                          capture_output=True, text=True,
                                          timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            self.version = None
        return info

    def make_cgroup(self, path):
        os.mkdir(path)
        self.cgroups.append(path)
        return path

    def cleanup(self):
        for p in self.sleepers:
            p.kill()
            p.wait()
        for cg in reversed(self.cgroups):
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- one run -------------------------------------------------------

    def run(self, cmd, timeout, preexec=None, cwd=None):
        """Run @cmd in a session of its own: (rc, parsed output, wall
        seconds, stdout, stderr); rc None when it timed out (the whole
        session is then sent SIGTERM, and SIGKILL 5 s later)."""
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, preexec_fn=preexec, cwd=cwd or self.tmp,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            out, err = self.stop_group(p, (signal.SIGTERM, 5))[1:3]
            return None, None, time.monotonic() - t0, out, err
        wall = time.monotonic() - t0
        self.wait_session_gone(p.pid)
        return p.returncode, parse_output(out), wall, out, err

    @staticmethod
    def wait_session_gone(sid, limit=30.0):
        """Wait until nothing of session @sid runs: leakscope hands the
        detaching of its syscall tracepoints to a helper that outlives it
        by seconds, and the next run measured meanwhile would pay for
        tracepoints still attached."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            alive = False
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % pid) as f:
                        stat = f.read()
                except OSError:
                    continue
                # Fields after "(comm)": state ppid pgrp session ...
                if int(stat.rsplit(")", 1)[1].split()[3]) == sid:
                    alive = True
                    break
            if not alive:
                return
            time.sleep(0.05)

    @staticmethod
    def stop_group(p, *steps):
        """Signal @p's session: each (signal, seconds to wait) of @steps in
        turn, then SIGKILL. (exit code, stdout, stderr, how many signals it
        took; len(steps) + 1 if it had to be killed)."""
        for i, (sig, grace) in enumerate(steps):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                out, err = p.communicate(timeout=grace)
                return p.returncode, out or "", err or "", i + 1
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return None, out or "", err or "", len(steps) + 1

    def record(self, workload, tool, rep, n, cmd, rc, parsed, wall, out, err,
               timeout, agent=None, report=None):
        s = {"workload": workload, "tool": tool, "rep": rep, "n": n,
             "cmd": cmd, "rc": rc, "wall_s": round(wall, 4),
             "ns_per_op": parsed.get("ns_per_op") if parsed else None,
             "output": {k: v for k, v in (parsed or {}).items()
                        if k != "ns_per_op"},
             "error": None}
        if agent is not None:
            s["agent"] = agent
        if report is not None:
            s["report"] = report
        if rc is None:
            s["error"] = "timed out after %ds" % timeout
        elif rc != 0 or s["ns_per_op"] is None:
            why = "exit code %d" % rc if rc >= 0 else "killed by signal %d" % -rc
            s["error"] = "%s: %s" % (why, tail(err) or tail(out) or "no output")
        self.samples.append(s)
        if s["error"]:
            if rc is None and not tool.startswith("leakscope"):
                # A peer that cannot finish this workload in time is n/a.
                self.na[(workload, tool)] = s["error"]
            else:
                self.errors.append("%s / %s: `%s`: %s" % (
                    workload, tool, " ".join(cmd), s["error"]))
                self.na[(workload, tool)] = "failed: " + s["error"]
        return s

    def leakscope_cmd(self, opts, cmd):
        self.report_seq += 1
        report = os.path.join(self.tmp, "report-%d.json" % self.report_seq)
        return report, SPAWN + [LEAKSCOPE, "run", "-q"] + opts + [
            "--report", report, "--format", "json", "--"] + cmd

    @staticmethod
    def read_report(path):
        """The parts of a leakscope JSON report the bench keeps."""
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            return None, None, "no readable report: %s" % e
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        agent = r.get("agent")
        losses = {k: v for k, v in (r.get("losses") or {}).items()
                  if isinstance(v, int) and v}
        keep = {"level": r.get("level"), "duration_s": r.get("duration_s"),
                "losses": losses,
                "confidence": (r.get("losses") or {}).get("confidence"),
                "findings": (r.get("summary") or {}).get("by_class")}
        return agent, keep, r

    def run_tool(self, workload, tool, rep, cmd, n, kind):
        """One sample of @cmd (the bare workload command) under @tool."""
        timeout = RUN_TIMEOUT[kind]
        if tool == "untraced":
            full = cmd
        elif tool.startswith("leakscope"):
            opts = dict(LEVELS)[tool]
            report, full = self.leakscope_cmd(opts, cmd)
            rc, parsed, wall, out, err = self.run(full, timeout)
            agent, keep, _ = self.read_report(report)
            if rc == 0 and agent is None:
                err = "leakscope exited 0 but wrote no JSON report"
                parsed = None
            return self.record(workload, tool, rep, n, full, rc, parsed, wall,
                               out, err, timeout, agent=agent, report=keep)
        elif tool == "strace":
            full = [self.have["strace"], "-f", "-qq", "-o", "/dev/null",
                    "-e", "trace=%desc,%network"] + cmd
        elif tool == "valgrind":
            full = [self.have["valgrind"], "-q", "--track-fds=yes",
                    "--log-file=/dev/null"] + cmd
        elif tool == "bpftrace":
            return self.run_bpftrace(workload, rep, cmd, n, timeout,
                                     self.bt_cgroup, inside=True)
        elif tool == "floor":
            return self.run_floor(workload, rep, cmd, n, timeout)
        else:
            raise AssertionError(tool)
        rc, parsed, wall, out, err = self.run(full, timeout)
        return self.record(workload, tool, rep, n, full, rc, parsed, wall, out,
                           err, timeout)

    def start_watcher(self, tool, cgroup, extra=(), duration=None):
        """@tool in the background, watching @cgroup (the floor: every
        task; leakscope: `attach` at @tool's level, with @extra options):
        (process, None) once it is ready, else (None, why) and stopped."""
        if tool == "floor":
            tracefs_mount()  # libbpf finds tracepoints there
            argv, stream, needle = [FLOOR, FLOOR_OBJ] + traced_syscalls(), "stdout", "ready"
        else:
            argv = SPAWN + [LEAKSCOPE, "attach", "--cgroup", cgroup, "-q", "-v",
                            "--duration", str(duration or RUN_TIMEOUT["micro"] + 30)] + \
                dict(LEVELS)[tool] + list(extra)
            stream, needle = "stderr", "until"
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
                             if stream == "stdout" else subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        if self.wait_line(p, getattr(p, stream), needle, 30):
            return p, None
        rc, _, err, _ = self.stop_background(p)
        return None, "%s never got ready (exit %s): %s" % (tool, rc, tail(err))

    def run_floor(self, workload, rep, cmd, n, timeout):
        """@cmd while floor.c holds its no-op program on the syscall
        tracepoints leakscope uses."""
        p, why = self.start_watcher("floor", None)
        if not p:
            return self.record(workload, "floor", rep, n, ["(floor)"] + cmd, 1,
                               None, 0, "", why, timeout)
        rc, parsed, wall, out, err = self.run(cmd, timeout)
        frc, _, ferr, took = self.stop_background(p)
        if rc == 0 and (frc != 0 or took > 1):
            rc, parsed = 1, None
            err = "floor exited %s: %s" % (frc, tail(ferr))
        return self.record(workload, "floor", rep, n, ["(floor)"] + cmd, rc, parsed,
                           wall, out, err, timeout)

    def start_bpftrace(self, cgroup):
        script = ("BEGIN { printf(\"ready\\n\"); }\n%s\n/cgroup == cgroupid(\"%s\")/\n"
                  "{ @[probe] = count(); }\n" % (",\n".join(BPFTRACE_PROBES), cgroup))
        p = subprocess.Popen([self.have["bpftrace"], "-B", "line", "-e", script],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        return p, self.wait_line(p, p.stdout, "ready", 60)

    def stop_background(self, p):
        """SIGINT @p's session (bpftrace, leakscope attach); a second
        SIGINT 10 s later, SIGKILL 5 s after that. (exit code, stdout,
        stderr, signals it took)."""
        res = self.stop_group(p, (signal.SIGINT, 10), (signal.SIGINT, 5))
        self.wait_session_gone(p.pid)
        return res

    @staticmethod
    def wait_line(p, stream, needle, timeout):
        """Read @stream until a line containing @needle: True, or False if
        @p exited or @timeout passed first."""
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(stream, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = ""
        fd = stream.fileno()
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0, deadline - time.monotonic())):
                continue
            chunk = os.read(fd, 4096).decode(errors="replace")
            if not chunk:
                return False
            buf += chunk
            if needle in buf:
                return True
        return False

    def run_bpftrace(self, workload, rep, cmd, n, timeout, cgroup, inside):
        p, ready = self.start_bpftrace(cgroup)
        if not ready:
            rc, out, err, _ = self.stop_background(p)
            return self.record(workload, "bpftrace", rep, n, p.args,
                               rc if rc else 1, None, 0, out or "",
                               "bpftrace never got ready: " + (err or ""), timeout)
        t0 = time.monotonic()
        rc, parsed, wall, out, err = self.run(
            cmd, timeout, preexec=enter_cgroup(cgroup) if inside else None)
        brc, bout, berr, took = self.stop_background(p)
        if took > 1:
            # bpftrace 0.17 now and then ignores a SIGINT that comes soon
            # after it starts: the workload's own number stands.
            self.warnings.append("%s / bpftrace (rep %d): bpftrace did not stop "
                                 "on SIGINT; %s" % (workload, rep, "a second one stopped it"
                                                    if took == 2 else "killed"))
        elif rc == 0 and brc != 0:
            rc, parsed = 1, None
            err = "bpftrace exited %s: %s" % (brc, tail(berr))
        counts = sum(int(x) for x in re.findall(r"\]: (\d+)", bout or ""))
        s = self.record(workload, "bpftrace", rep, n,
                        ["bpftrace", "(%s cgroup %s)" % (
                            "in" if inside else "filtering on",
                            os.path.basename(cgroup))] + cmd,
                        rc, parsed, time.monotonic() - t0, out, err, timeout)
        s["output"]["events_counted"] = counts
        return s

    def run_attach(self, workload, rep, cmd, n, tool):
        """@cmd outside the cgroup that `leakscope attach` watches."""
        timeout = RUN_TIMEOUT["micro"]
        self.report_seq += 1
        report = os.path.join(self.tmp, "report-%d.json" % self.report_seq)
        p, why = self.start_watcher(tool, self.watched,
                                    ["--report", report, "--format", "json"])
        if not p:
            return self.record(workload, tool, rep, n, ["(attach)"] + cmd, 1,
                               None, 0, "", why, timeout)
        argv = p.args
        rc, parsed, wall, out, err = self.run(cmd, timeout)
        arc, _, aerr, took = self.stop_background(p)
        agent, keep, _ = self.read_report(report)
        if rc == 0 and (arc != 0 or agent is None or took > 1):
            rc, parsed = 1, None
            err = "leakscope attach exited %s after %s: %s" % (
                arc, ["SIGINT", "a second SIGINT", "SIGKILL"][took - 1], tail(aerr))
        return self.record(workload, tool, rep, n, argv + ["(outside:"] + cmd + [")"],
                           rc, parsed, wall, out, err, timeout, agent=agent,
                           report=keep)

    # ---- the plan ------------------------------------------------------

    def plan(self):
        """[(workload, kind, [tools])] in the order of one repetition."""
        quick = self.args.quick
        realistic_ok = os.path.exists(REALISTIC_PROBE) and os.access(REALISTIC_PY, os.X_OK)
        self.realistic_skipped = None
        if not realistic_ok and (not self.args.only or "realistic" in self.args.only):
            self.realistic_skipped = "libpython3.11-testsuite not installed"
        ls = [name for name, _ in LEVELS]
        peers = [t for t in ("strace", "bpftrace", "valgrind")]
        items = []
        for w in MICRO_N:
            items.append((w, "micro", ["untraced", "floor"] + ls + peers))
        if realistic_ok and not (quick and not self.args.only):
            items.append(("realistic", "realistic", ["untraced", "floor"] + ls + ["bpftrace"]))
        for w in OUTSIDE:
            items.append((w, "outside", ["untraced", "floor"] + ls + ["bpftrace"]))
        items.append(("roundtrip", "roundtrip", ls))
        if self.args.only:
            want = set(self.args.only)
            items = [i for i in items if i[0] in want]
        for w, kind, tools in items:
            for t in tools:
                if t in self.have and not self.have[t]:
                    self.na[(w, t)] = "%s not installed" % t
        return items

    def n_for(self, workload, tool):
        base = MICRO_N[workload]
        if self.args.quick:
            base //= 10
        return max(1, base // DIVISOR.get(tool, {}).get(workload, 1))

    def sample(self, workload, kind, tool, rep):
        if (workload, tool) in self.na:
            return
        if kind == "micro":
            n = self.n_for(workload, tool)
            self.run_tool(workload, tool, rep, [WORKLOAD, workload, str(n)], n, "micro")
        elif kind == "realistic":
            self.run_tool(workload, tool, rep, realistic_cmd(), 1, "realistic")
        elif kind == "outside":
            mode = OUTSIDE[workload]
            n = self.n_for(mode, "untraced")
            cmd = [WORKLOAD, mode, str(n)]
            if tool in ("untraced", "floor"):
                self.run_tool(workload, tool, rep, cmd, n, "micro")
            elif tool == "bpftrace":
                self.run_bpftrace(workload, rep, cmd, n, RUN_TIMEOUT["micro"],
                                  self.bt_cgroup, inside=False)
            else:
                self.run_attach(workload, rep, cmd, n, tool)
        elif kind == "roundtrip":
            n, fds = ROUNDTRIP
            if self.args.quick:
                n //= 10
            self.run_tool(workload, tool, rep,
                          [WORKLOAD, "roundtrip", str(n), str(fds)], n, "roundtrip")

    def correctness(self):
        """`tests N` at the default level: END replies (checked by the
        workload) and the report's findings name exactly the leaking tests."""
        n = TESTS_N // 10 if self.args.quick else TESTS_N
        report, cmd = self.leakscope_cmd([], [WORKLOAD, "tests", str(n)])
        log("bench: correctness: %d tests at the default level" % n)
        rc, parsed, wall, out, err = self.run(cmd, RUN_TIMEOUT["tests"])
        agent, keep, full = self.read_report(report)
        expect = {"test%d" % i for i in range(n) if i % 100 == 99}
        res = {"n": n, "cmd": cmd, "rc": rc, "wall_s": round(wall, 2),
               "workload_output": parsed, "agent": agent, "report": keep,
               "expected_leaking": len(expect), "problems": []}
        probs = res["problems"]
        if rc is None:
            probs.append("timed out after %ds" % RUN_TIMEOUT["tests"])
        elif rc != 0:
            probs.append("exit code %d: %s" % (rc, tail(err) or tail(out)))
        if not parsed:
            probs.append("no result line from the workload")
        else:
            if parsed.get("wrong_verdicts") != 0:
                probs.append("END replies wrong for %s tests" % parsed.get("wrong_verdicts"))
            if parsed.get("leaks") != len(expect):
                probs.append("workload leaked %s, expected %d" % (parsed.get("leaks"), len(expect)))
        if not isinstance(full, dict):
            probs.append("no report: %s" % full)
        else:
            leak_tests = {f.get("test") for f in full.get("findings", [])
                          if f.get("class") == "leak"}
            fd_leaks = [f for f in full.get("findings", []) if f.get("class") == "leak"]
            by_test = {t.get("name"): t for t in full.get("tests", [])}
            flagged = {name for name, t in by_test.items()
                       if (t.get("findings") or {}).get("leak")}
            if len(by_test) != n:
                probs.append("report lists %d tests, expected %d" % (len(by_test), n))
            if leak_tests != expect:
                probs.append("leak findings name %d tests; missing %s; extra %s" % (
                    len(leak_tests), sorted(expect - leak_tests)[:5],
                    sorted(leak_tests - expect, key=str)[:5]))
            if flagged != expect:
                probs.append("tests[] flag %d tests with leaks; missing %s; extra %s" % (
                    len(flagged), sorted(expect - flagged)[:5],
                    sorted(flagged - expect, key=str)[:5]))
            if len(fd_leaks) != len(expect) or any(f.get("kind") != "fd" for f in fd_leaks):
                probs.append("%d leak findings (expected %d fd leaks)" % (len(fd_leaks), len(expect)))
            others = [f for f in full.get("findings", []) if f.get("class") != "leak"]
            if others:
                probs.append("%d findings other than leaks" % len(others))
        res["verdict"] = "PASS" if not probs else "FAIL"
        return res

    def go(self):
        items = self.plan()
        reps = self.args.reps
        self.peer_reps = min(reps, PEER_REPS)
        t0 = time.monotonic()
        for rep in range(reps):
            log("bench: repetition %d/%d (%.0fs so far)" % (rep + 1, reps, time.monotonic() - t0))
            for w, kind, tools in items:
                k = rep % len(tools)
                for tool in tools[k:] + tools[:k]:
                    if rep < PEER_REPS or tool not in UNJUDGED:
                        self.sample(w, kind, tool, rep)
        self.items = items
        # After the timed runs: BPF statistics time every program run.
        self.costs = bpfcost.measure(self, items, self.args.cost_reps,
                                     sys.modules[__name__]) if self.args.cost_reps else []
        run_tests = not self.args.only or "tests" in self.args.only
        self.tests = self.correctness() if run_tests else None


# ---- the results -------------------------------------------------------

def main():
    global LEAKSCOPE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=None,
                    help="repetitions (default 7; 2 with --quick); strace, "
                    "valgrind and --level stacks run in the first %d only" % PEER_REPS)
    ap.add_argument("--quick", action="store_true",
                    help="few repetitions and small N (a smoke test)")
    ap.add_argument("--only", action="append", default=None,
                    help="only these workloads (comma-separated or repeated): "
                    "open socket pipe fork thread mmap realistic outside-open "
                    "outside-fork roundtrip tests")
    ap.add_argument("--cost-reps", type=int, default=None,
                    help="repetitions of the BPF statistics pass (tools/bench/"
                    "bpfcost.py; default 3, 1 with --quick; 0: none)")
    ap.add_argument("--leakscope", default=LEAKSCOPE,
                    help="the leakscope binary to measure (default build/leakscope)")
    ap.add_argument("--json", default=os.path.relpath(os.path.join(BUILD, "bench.json")),
                    help="write raw samples and results here (default build/bench.json)")
    args = ap.parse_args()
    if args.reps is None:
        args.reps = 2 if args.quick else 7
    if args.cost_reps is None:
        args.cost_reps = 1 if args.quick else 3
    if args.reps < 1 or args.cost_reps < 0:
        ap.error("--reps must be at least 1, --cost-reps at least 0")
    if args.only:
        args.only = [x for o in args.only for x in o.split(",") if x]
        known = set(MICRO_N) | set(OUTSIDE) | {"realistic", "roundtrip", "tests"}
        bad = [x for x in args.only if x not in known]
        if bad:
            ap.error("unknown workload %s (known: %s)" % (", ".join(bad), " ".join(sorted(known))))
    LEAKSCOPE = os.path.abspath(args.leakscope)
    for path in (LEAKSCOPE, WORKLOAD, FLOOR):
        if not os.access(path, os.X_OK):
            print("bench: %s is missing: run make bench (or make %s)" % (
                path, os.path.relpath(path, ROOT)), file=sys.stderr)
            return 2
    if os.geteuid() != 0:
        print("bench: needs root (leakscope and bpftrace load BPF programs)",
              file=sys.stderr)
        return 2

    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    b = Bench(args)
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        b.go()
    finally:
        b.cleanup()
    elapsed = time.monotonic() - t0
    rows, checks, spreads = analyse(b)
    print_table(rows, checks, spreads, b, elapsed)
    costs = bpfcost.analyse(b.costs, {r["workload"]: r["median_ns"] for r in rows
                                      if r["tool"] == "untraced" and r["median_ns"]})
    bpfcost.print_table(costs)

    doc = {
        "schema": "leakscope.bench/1",
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(elapsed, 1),
        "host": {"kernel": platform.release(), "machine": platform.machine(),
                 "cpus": os.cpu_count(), "leakscope": b.version,
                 "binaries": b.binaries},
        "options": {"reps": args.reps, "cost_reps": args.cost_reps,
                    "quick": args.quick, "only": args.only},
        "workloads": {w: {"kind": kind, "tools": tools} for w, kind, tools in b.items},
        "realistic_skipped": b.realistic_skipped,
        "untraced_spread": spreads,
        "results": rows,
        "checks": checks,
        "bpf_cost": {"rows": costs, "samples": b.costs},
        "correctness": b.tests,
        "errors": b.errors,
        "warnings": b.warnings,
        "samples": b.samples,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(args.json + ".tmp", args.json)
    print("bench: raw samples in %s" % args.json)
    failed = bool(b.errors) or (b.tests is not None and b.tests["verdict"] != "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run test code in a forked child, so that a crash is a test failure, not the end of the run.

The hostile-caller tests (test_hostile_calls.py, test_array_state_machine.py) exercise code
that may crash the interpreter when the runtime has a memory-safety bug. Run in-process, the
first segfault ends pytest and hides every later result; run here, each crash becomes a
failure that names the signal, the AddressSanitizer/UBSan summary line (under .ci/asan) and
the Python traceback faulthandler printed.

``fork`` is used rather than a fresh interpreter: the child already has the built declaration
modules imported (a fork costs milliseconds), and each child starts from a copy of the parent's
heap, so memory corrupted by one test cannot crash a later one. Without ``os.fork`` (Windows) or
with ``COMPACTCLASS_HOSTILE_INPROCESS=1`` (to debug a failure under gdb, or to let ASan stop the
whole run at the first report), the code runs in the test process itself.
"""
from __future__ import annotations

import faulthandler
import functools
import json
import os
import re
import signal
import sys
import tempfile
import traceback

import pytest

__all__ = ["IN_PROCESS", "UNDER_ASAN", "Outcome", "run_forked", "isolated", "ProbeStream"]

IN_PROCESS = os.environ.get("COMPACTCLASS_HOSTILE_INPROCESS") == "1" or not hasattr(os, "fork")
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
# A child that runs longer than this is stopped (SIGALRM) and reported as hanging.
TIMEOUT = int(os.environ.get("COMPACTCLASS_HOSTILE_TIMEOUT", "120" if UNDER_ASAN else "60"))
# Address-space cap of a child outside ASan (ASan reserves terabytes of shadow memory): a
# method running on a foreign object can ask for an absurd allocation; it must fail, not swap.
MEMORY_LIMIT = 4 << 30
# One probe of a ProbeStream that runs longer than this (seconds) is stopped as hanging.
PROBE_TIMEOUT = 20 if UNDER_ASAN else 10


class Outcome:
    """How a child ended: ``status`` is "ok", "failed" (a Python exception: ``detail`` is its
    traceback), "crashed" (a signal or a sanitizer exit code) or "timeout"."""

    def __init__(self, status: str, detail: str = "", stderr: str = ""):
        self.status, self.detail, self.stderr = status, detail, stderr

    @property
    def summary(self) -> str:
        """One line: the sanitizer's SUMMARY line, or the signal, or the exception."""
        for line in self.stderr.splitlines():
            if line.startswith("SUMMARY:") or "runtime error:" in line:
                return line.strip()
        if self.status != "failed":
            return self.detail
        lines = [line.strip() for line in self.detail.splitlines() if line.strip()]
        raised = [line for line in lines if _EXCEPTION_LINE.match(line)]
        line = (raised or lines or [self.status])[-1]
        return line[len("Failed: "):] if line.startswith("Failed: ") else line

    def report(self, what: str) -> str:
        text = f"{what}: {self.status}: {self.summary}{_innermost_frame(self.stderr)}"
        if self.status != "ok":
            lines = self.crash_lines()
            if lines:
                text += "\n    child stderr:\n" + "\n".join("      " + line for line in lines)
        return text

    def crash_lines(self) -> list:
        """The informative part of a crashed child's stderr: the sanitizer report's header and
        first frames, faulthandler's innermost Python frames, or else the last lines."""
        lines = [line for line in self.stderr.splitlines() if not line.startswith("STEP ")]
        picked = []
        for k, line in enumerate(lines):
            if "ERROR: AddressSanitizer" in line or "runtime error:" in line:
                frames = [f for f in lines[k + 1:k + 40] if f.strip().startswith("#")]
                picked += [line] + frames[:10]
                break
        for k, line in enumerate(lines):
            if line.startswith("Fatal Python error"):
                picked += lines[k:k + 14]
                break
        picked += [line for line in lines if line.startswith("SUMMARY:")]
        return picked or lines[-30:]


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ \
            else str(number)
        return f"killed by signal {name}" + (" (timeout)" if number == signal.SIGALRM else "")
    code = os.WEXITSTATUS(status)
    meaning = {86: " (AddressSanitizer report)", 87: " (UndefinedBehaviorSanitizer report)"}
    return f"exit code {code}{meaning.get(code, '')}"


def _child_setup(stderr_fd: int, timeout: int = None) -> None:
    os.dup2(stderr_fd, 2)
    sys.stderr = os.fdopen(2, "w", closefd=False)
    faulthandler.enable(file=sys.stderr, all_threads=False)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(timeout or TIMEOUT)
    if not UNDER_ASAN:
        try:
            import resource
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ImportError, ValueError, OSError):
            pass


def _fork(body, stderr_file, close_in_parent=None, timeout=None):
    """Fork; the child runs body() and always exits (never returns into pytest). Without
    close_in_parent, wait and return the child's status; with it (the write end of a pipe the
    caller reads to EOF first), close that fd and return a function that waits."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _child_setup(stderr_file.fileno(), timeout)
            body()
        except BaseException:
            traceback.print_exc()
            os._exit(70)
        os._exit(0)
    if close_in_parent is None:
        return os.waitpid(pid, 0)[1]
    os.close(close_in_parent)
    return lambda: os.waitpid(pid, 0)[1]


def _read(stderr_file) -> str:
    stderr_file.seek(0)
    return stderr_file.read().decode(errors="replace")


def run_forked(fn, *args, timeout: int = None, **kwargs) -> Outcome:
    """Run fn(*args, **kwargs) in a forked child and say how it ended (in-process when
    IN_PROCESS: then a crash ends the run, as it would without this module). timeout:
    seconds before the child is stopped (default TIMEOUT)."""
    if IN_PROCESS:
        try:
            fn(*args, **kwargs)
        except Exception:
            return Outcome("failed", traceback.format_exc())
        return Outcome("ok")
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as stderr_file:
        def body():
            os.close(read_fd)
            try:
                fn(*args, **kwargs)
                message = b"ok\n"
            except BaseException:
                message = b"failed\n" + traceback.format_exc().encode(errors="replace")
            with os.fdopen(write_fd, "wb") as out:
                out.write(message)
        wait = _fork(body, stderr_file, close_in_parent=write_fd, timeout=timeout)
        with os.fdopen(read_fd, "rb") as pipe:
            message = pipe.read().decode(errors="replace")
        status = wait()
        stderr = _read(stderr_file)
    if message.startswith("ok") and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return Outcome("ok", stderr=stderr)
    if message.startswith("failed") and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return Outcome("failed", message[len("failed\n"):], stderr)
    timed_out = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM
    return Outcome("timeout" if timed_out else "crashed", _describe_status(status), stderr)


def isolated(test):
    """Decorator: run a test function in a forked child. A Python failure re-raises as an
    AssertionError holding the child's traceback; a crash fails with the signal and summary."""
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        if IN_PROCESS:
            return test(*args, **kwargs)
        outcome = run_forked(test, *args, **kwargs)
        if outcome.status == "failed":
            pytest.fail(f"{outcome.summary}\n(in a forked child)\n{outcome.detail}",
                        pytrace=False)
        if outcome.status != "ok":
            pytest.fail(outcome.report(test.__name__), pytrace=False)
    return wrapper


class ProbeStream:
    """Run many small probes (callables returning None, or a text saying what went wrong) in
    forked children, continuing after a crash with the next probe, so one crash hides nothing.

    A child runs the probes in order and writes a line to a pipe before and after each; when it
    dies, the probe it had started is recorded as crashed (and run again alone in a fresh child,
    to tell a crash of its own from one caused by heap damage done by an earlier probe), and a
    new child carries on after it. Probes may be grouped (``groups[i]``, e.g. one method): after
    the first failure in a group its remaining probes are skipped (counted in ``skipped``).
    ``run()`` returns ``[(index, failure text)]``.
    """

    def __init__(self, probes, groups=None, max_crashes: int = 2000):
        self.probes, self.max_crashes = probes, max_crashes
        self.groups = groups if groups is not None else list(range(len(probes)))
        self.failed_groups, self.skipped = set(), 0

    def run(self) -> list:
        if IN_PROCESS:
            failures = []
            for i, probe in enumerate(self.probes):
                if self.groups[i] in self.failed_groups:
                    self.skipped += 1
                    continue
                text = _run_probe(probe)
                if text:
                    failures.append((i, text))
                    self.failed_groups.add(self.groups[i])
            return failures
        failures, start, crashes = [], 0, 0
        while start < len(self.probes):
            finished, crashed_at, outcome = self._run_from(start)
            failures += finished
            if crashed_at is None:
                break
            crashes += 1
            self.failed_groups.add(self.groups[crashed_at])
            alone = self._alone(crashed_at)
            if alone.status in ("crashed", "timeout"):
                failures.append((crashed_at, f"{alone.status}: {alone.summary}" +
                                 _traceback_hint(alone.stderr)))
            else:
                failures.append((crashed_at, f"crashed ({outcome.summary}) after earlier "
                                 f"probes in the same child, but not alone (alone: "
                                 f"{alone.status}: {alone.summary}): heap damaged earlier"))
            if crashes >= self.max_crashes:
                failures.append((crashed_at, f"stopped after {crashes} crashes"))
                break
            start = crashed_at + 1
        return sorted(failures)

    def _alone(self, index) -> Outcome:
        def body():
            text = _run_probe(self.probes[index])
            if text:
                raise AssertionError(text)
        return run_forked(body)

    def _run_from(self, start):
        """One child runs the probes from start on: ([(i, failure)], the probe it crashed in
        or None, how it ended)."""
        read_fd, write_fd = os.pipe()
        with tempfile.TemporaryFile() as stderr_file:
            def body():
                os.close(read_fd)
                out = os.fdopen(write_fd, "w", buffering=1)
                for i in range(start, len(self.probes)):
                    if self.groups[i] in self.failed_groups:
                        out.write('{"skip": %d}\n' % i)
                        continue
                    out.write('{"start": %d}\n' % i)
                    out.flush()
                    signal.alarm(PROBE_TIMEOUT)
                    text = _run_probe(self.probes[i])
                    signal.alarm(0)
                    if text:
                        self.failed_groups.add(self.groups[i])
                    out.write(json.dumps({"done": i, "failure": text}) + "\n")
                    out.flush()
                out.write('{"end": true}\n')
                out.close()
            wait = _fork(body, stderr_file, close_in_parent=write_fd)
            results, started, ended = [], None, False
            with os.fdopen(read_fd, "r") as pipe:
                for line in pipe:      # (read to EOF: the child exited or died)
                    event = json.loads(line)
                    if "skip" in event:
                        self.skipped += 1
                    elif "start" in event:
                        started = event["start"]
                    elif "done" in event:
                        started = None
                        if event["failure"]:
                            results.append((event["done"], event["failure"]))
                            self.failed_groups.add(self.groups[event["done"]])
                    elif "end" in event:
                        ended = True
            status = wait()
            stderr = _read(stderr_file)
        if ended and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return results, None, None
        outcome = Outcome("crashed", _describe_status(status), stderr)
        if started is None:        # died between probes (in the harness, or at exit)
            results.append((max(start, len(self.probes) - 1),
                            f"the probe child died outside a probe: {outcome.summary}"))
            return results, None, outcome
        return results, started, outcome


def _run_probe(probe):
    try:
        return probe()
    except BaseException as exc:        # a probe reports failures as text; this is a bug
        return f"the probe itself raised {type(exc).__name__}: {exc}"


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|error|Exception|Failed|Exit|Interrupt)"
                             r"(:|$)")


def _innermost_frame(stderr: str) -> str:
    """Where faulthandler says the crashed thread was (its innermost Python frame)."""
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("File "):
            return f" [{line}]"
    return ""


def _traceback_hint(stderr: str) -> str:
    """The innermost Python frame of compactclass's own code that faulthandler printed for a
    crash, if any (a crash in C code called straight from a probe shows only the test's
    lines: no news)."""
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("File ") and f"{os.sep}compactclass{os.sep}" in line:
            return f" [at {line}]"
    return ""

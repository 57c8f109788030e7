# Spawns rig daemons, each in its own process group, with stdout+stderr captured to a log file.
# Proc.stop() sends SIGTERM to the group, waits, then SIGKILLs what is left; every Proc still running
# is stopped at interpreter exit, and a watchdog process kills the groups if this process dies (even SIGKILL).
import atexit
import ctypes
import os
import signal
import subprocess
import sys
import threading

from .waiting import WaitTimeout, wait_until

# The watchdog reads "+PGID" / "-PGID" lines on stdin; at EOF (our death or exit) it kills what is left.
_WATCHDOG = r"""
import os, signal, sys, time
live = set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+": live.add(int(line[1:]))
    elif line[:1] == "-": live.discard(int(line[1:]))
for sig, pause in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0)):
    for g in list(live):
        try: os.killpg(g, sig)
        except OSError: live.discard(g)
    end = time.time() + pause
    while live and time.time() < end:
        for g in list(live):
            try: os.killpg(g, 0)
            except OSError: live.discard(g)
        time.sleep(0.1)
"""
_watchdog = None

_live = set()
_lock = threading.Lock()
_PR_SET_PDEATHSIG = 1


def _child_setup():
    try:  # ask the kernel to SIGTERM the daemon if its parent (the test process) dies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except Exception:
        pass


def _tell_watchdog(msg):
    global _watchdog
    try:
        if _watchdog is None or _watchdog.poll() is not None:
            _watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True, text=True)
        _watchdog.stdin.write(msg + "\n")
        _watchdog.stdin.flush()
    except (OSError, ValueError):
        pass


class Proc:
    """A daemon started with Popen in a new session (its own process group)."""

    def __init__(self, name, argv, log_path, env=None, cwd=None, pdeathsig=True):
        self.name = name
        self.argv = list(argv)
        self.log_path = str(log_path)
        self.env = env
        self.cwd = cwd
        self.pdeathsig = pdeathsig
        self.popen = None

    def start(self):
        if self.running():
            return self
        log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.env, cwd=self.cwd, start_new_session=True,
                preexec_fn=_child_setup if self.pdeathsig else None)
        finally:
            log.close()
        with _lock:
            _live.add(self)
            _tell_watchdog(f"+{self.popen.pid}")
        return self

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def returncode(self):
        return self.popen.poll() if self.popen else None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def _group_alive(self, pgid):
        try:
            os.killpg(pgid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        """Stop the whole process group; returns once the leader and the group are gone."""
        if self.popen is None:
            return
        pgid = self.popen.pid  # new session: pgid == pid
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=5)
        try:
            wait_until(lambda: not self._group_alive(pgid), 3, f"process group {pgid} to end")
        except WaitTimeout:
            pass
        if self._group_alive(pgid):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with _lock:
            _live.discard(self)
            _tell_watchdog(f"-{pgid}")

    def kill(self):
        self.stop(timeout=5, sig=signal.SIGKILL)

    def __repr__(self):
        return f"<Proc {self.name} pid={self.pid} running={self.running()}>"


def stop_all():
    with _lock:
        procs = list(_live)
    for p in procs:
        try:
            p.stop(timeout=5)
        except Exception:
            pass
    if _watchdog is not None and _watchdog.poll() is None:
        try:
            _watchdog.stdin.close()
            _watchdog.wait(timeout=10)
        except Exception:
            pass


atexit.register(stop_all)


def run(argv, timeout=30, check=True, **kw):
    """Run a short helper command (openssl, htpasswd...) with a timeout; returns CompletedProcess."""
    cp = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, **kw)
    if check and cp.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed rc={cp.returncode}: {cp.stderr.decode(errors='replace')}")
    return cp

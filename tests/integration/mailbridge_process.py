"""Runs the mailbridge binary under test: writes its TOML config, starts `mailbridge run`,
waits for the health endpoint, and stops it (SIGTERM, then SIGKILL) even when a test fails."""
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from rig.ports import free_port  # noqa: F401 - the one free_port, importable from here too
from rig.waiting import wait_until

BINARY = os.environ.get("MAILBRIDGE_BIN", str(Path(__file__).resolve().parents[2] / "build" / "mailbridge"))


def run_cli(*args, input_text=None, timeout=30, env=None):
    """Runs `mailbridge ARGS` to completion; returns CompletedProcess with text output."""
    return subprocess.run([BINARY, *map(str, args)], input=input_text, capture_output=True,
                          text=True, timeout=timeout, env=env)


def http_get(url, timeout=5):
    """GET url; returns (status, body text). HTTP errors are answers, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class MailbridgeProcess:
    """One `mailbridge run` process with its config file and log file in `directory`."""

    def __init__(self, directory, config_text, log_level=None, env=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "mailbridge.toml"
        self.config_path.write_text(config_text)
        self.log_path = self.directory / "mailbridge.log"
        self.log_level = log_level
        self.env = env
        self.process = None

    def start(self, health_url=None, timeout=15):
        args = [BINARY, "run", "--config", str(self.config_path)]
        if self.log_level:
            args += ["--log-level", str(self.log_level)]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=self.env, start_new_session=True)
        if health_url:
            wait_until(lambda: self._healthy(health_url), timeout,
                       f"mailbridge health endpoint {health_url}")
        return self

    def _healthy(self, url):
        if self.process.poll() is not None:
            raise AssertionError(f"mailbridge exited with {self.process.returncode}:\n{self.log()}")
        try:
            return http_get(url, timeout=1)[0] == 200
        except OSError:
            return False

    def rewrite_config(self, config_text):
        self.config_path.write_text(config_text)

    def signal(self, signum):
        self.process.send_signal(signum)

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status (SIGKILL after timeout → AssertionError)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise AssertionError(f"mailbridge did not stop within {timeout}s of SIGTERM")
        finally:
            self._log.close()

    def kill(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text, timeout=10):
        wait_until(lambda: text in self.log(), timeout, f"log line containing {text!r}")

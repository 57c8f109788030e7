"""systemd integration through the real binary: the unit file passes `systemd-analyze verify`, the
daemon speaks the sd_notify datagram protocol to a NOTIFY_SOCKET of the test's own (READY=1,
RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM), and with JOURNAL_STREAM set its
log lines carry <N> priority prefixes instead of timestamps."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bridge_fixtures import BridgeDaemon
from mailbridge_process import BINARY

REPO = Path(__file__).resolve().parents[2]


def bridge(directory, **env):
    """A BridgeDaemon (not started) with one IMAP listener (upstream: the discard port, never
    dialled) and the environment plus `env`."""
    return BridgeDaemon(directory, [("imap", 9, "implicit", "")], [], env={**os.environ, **env})


def receive(sock, timeout=10):
    """The next datagram as {KEY: VALUE}."""
    sock.settimeout(timeout)
    data = sock.recv(4096).decode()
    assert data.endswith("\n"), data
    return dict(line.split("=", 1) for line in data.splitlines())


def test_unit_file_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: scripts/install-deps installs systemd")
    unit = (REPO / "config" / "mailbridge.service").read_text()
    for key in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "User=mailbridge",
                "StateDirectory=mailbridge", "ConfigurationDirectory=mailbridge",
                "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                "PrivateTmp=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
                "CapabilityBoundingSet=\n"):
        assert key in unit, key
    # verify checks that the command exists: point it at the binary under test.
    (tmp_path / "mailbridge.service").write_text(unit.replace("/usr/bin/mailbridge", BINARY))
    result = subprocess.run([analyze, "verify", str(tmp_path / "mailbridge.service")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notify_socket_sees_ready_reloading_and_stopping(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    daemon = bridge(tmp_path / "d", NOTIFY_SOCKET=str(path))
    process = daemon.process
    try:
        daemon.start()
        ready = receive(sock)
        assert ready["READY"] == "1", ready
        assert ready["STATUS"] == "0 session(s) open, 1 of 1 listener(s) up", ready

        process.signal(signal.SIGHUP)
        reloading = receive(sock)
        assert reloading["RELOADING"] == "1", reloading
        assert int(reloading["MONOTONIC_USEC"]) > 0
        again = receive(sock)
        assert again["READY"] == "1", again

        process.signal(signal.SIGTERM)
        stopping = receive(sock)
        assert stopping == {"STOPPING": "1"}, stopping
        assert process.process.wait(20) == 0
    finally:
        process.kill()
        sock.close()


def test_notify_socket_in_the_abstract_namespace(tmp_path):
    name = f"mailbridge-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    daemon = bridge(tmp_path / "d", NOTIFY_SOCKET="@" + name)
    process = daemon.process
    try:
        daemon.start()
        assert receive(sock)["READY"] == "1"
    finally:
        process.kill()
        sock.close()


def test_journal_stream_gives_priority_prefixes_without_timestamps(tmp_path):
    daemon = bridge(tmp_path / "d", JOURNAL_STREAM="8:12345")
    process = daemon.process
    try:
        daemon.start()
        process.signal(signal.SIGTERM)
        assert process.process.wait(20) == 0
    finally:
        process.kill()
    lines = [line for line in process.log().splitlines() if line]
    assert lines, "no log lines"
    for line in lines:
        assert re.match(r"<[0-7]>", line), line
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", line), line
    assert any(line.startswith("<6>mailbridge ") and "running with" in line for line in lines)

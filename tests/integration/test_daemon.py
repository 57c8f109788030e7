"""The daemon's foundation through its real command line: check-config diagnostics, the health
endpoint, SIGHUP reload (a broken file changes nothing), SIGTERM, and secrets never logged."""
import json
import re
import signal
from pathlib import Path

import pytest

from mailbridge_process import MailbridgeProcess, http_get, run_cli
from rig.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SECRET_CLIENT = "cs-Zq81-never-log-me-4477"
SECRET_LOCAL = "lp-Hh29-never-log-me-1133"


def base_config(health_port, log_level=3, extra=""):
    return f"""
[daemon]
state_dir = "state"
log_level = {log_level}
health_listen = "127.0.0.1:{health_port}"

[[account]]
name = "alice"
login = "alice@example.com"
local_password = "{SECRET_LOCAL}"
client_id = "cc-alice"
client_secret = "{SECRET_CLIENT}"
token_endpoint = "http://127.0.0.1:9/token"
{extra}
"""


@pytest.fixture
def daemon(tmp_path):
    started = []

    def start(config_text, log_level=None):
        port = int(re.search(r'health_listen = "127\.0\.0\.1:(\d+)"', config_text).group(1))
        process = MailbridgeProcess(tmp_path / f"d{len(started)}", config_text, log_level)
        started.append(process)
        process.start(health_url=f"http://127.0.0.1:{port}/healthz")
        process.health = f"http://127.0.0.1:{port}"
        return process
    yield start
    for process in started:
        process.kill()


def test_example_config_is_valid():
    result = run_cli("check-config", "--config", REPO / "config" / "mailbridge.example.toml")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_five_distinct_mistakes_give_five_located_lines(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        "[daemon]\n"
        "log_level = \"loud\"\n"                 # 2:13 wrong type
        "colour = \"blue\"\n"                     # 3:1 unknown key
        "\n"
        "[[server]]\n"
        "name = \"imap\"\n"
        "protocol = \"nntp\"\n"                   # 7:12 bad enum
        "listen = \"127.0.0.1:99999\"\n"          # 8:10 bad port
        "upstream = \"imap.example.com:993\"\n"
        "proxy = \"nowhere\"\n")                  # 10:9 unknown proxy
    result = run_cli("check-config", "--config", path)
    assert result.returncode == 2
    lines = [l for l in result.stderr.splitlines() if l.startswith(f"{path}:")]
    assert len(lines) == 5, result.stderr
    places = [tuple(map(int, re.match(rf"{re.escape(str(path))}:(\d+):(\d+): ", l).groups()))
              for l in lines]
    assert [line for line, _ in places] == [2, 3, 7, 8, 10], result.stderr
    assert "colour" in result.stderr and "nntp" in result.stderr and "nowhere" in result.stderr


def test_run_refuses_an_invalid_file_with_status_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[daemon]\nlog_level = 9\n")
    result = run_cli("run", "--config", path, timeout=10)
    assert result.returncode == 2
    assert re.search(rf"{re.escape(str(path))}:2:\d+: ", result.stderr), result.stderr


def test_usage_errors_and_version():
    assert run_cli("no-such-command").returncode == 2
    assert run_cli("check-config").returncode == 2
    version = run_cli("version")
    assert version.returncode == 0
    for library in ("libuv", "OpenSSL", "SQLite"):
        assert library in version.stdout


def test_hash_password_reads_stdin():
    result = run_cli("hash-password", input_text="correct horse\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("$scrypt$ln=15,r=8,p=1$")
    assert "correct horse" not in result.stdout + result.stderr
    assert run_cli("hash-password", input_text="").returncode == 2


def test_health_endpoint_answers(daemon):
    process = daemon(base_config(free_port()))
    status, body = http_get(process.health + "/healthz")
    assert (status, body) == (200, "ok\n")
    status, body = http_get(process.health + "/readyz")
    assert status == 200
    report = json.loads(body)
    assert report["ready"] is True
    assert [a["name"] for a in report["accounts"]] == ["alice"]
    status, body = http_get(process.health + "/metrics")
    assert status == 200
    assert "# TYPE mailbridge_sessions_active gauge" in body
    assert 'mailbridge_token_refreshes_total{account="alice"' in body
    assert http_get(process.health + "/nope")[0] == 404
    assert process.stop() == 0


def test_sighup_with_broken_file_keeps_serving_then_valid_reload_applies(daemon):
    port = free_port()
    process = daemon(base_config(port, log_level=3))
    process.rewrite_config(base_config(port) + "\n[daemon2]\nbroken = \n")
    process.signal(signal.SIGHUP)
    process.wait_for_log("reload failed")
    assert re.search(r"mailbridge\.toml:\d+:\d+: ", process.log())
    assert http_get(process.health + "/healthz")[0] == 200

    process.rewrite_config(base_config(port, log_level=4))
    process.signal(signal.SIGHUP)
    process.wait_for_log("log level is now 4")
    http_get(process.health + "/healthz")
    process.wait_for_log("GET /healthz")  # a debug line: the new level is in force
    assert process.stop() == 0


def test_health_port_in_use_is_a_runtime_failure(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "mb.toml"
        path.write_text(base_config(port).replace('state_dir = "state"', f'state_dir = "{tmp_path}/s"'))
        result = run_cli("run", "--config", path, timeout=10)
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stderr and "in use" in result.stderr


def test_secrets_never_reach_logs_or_answers(daemon):
    process = daemon(base_config(free_port(), log_level=5))
    process.signal(signal.SIGHUP)
    process.wait_for_log("reloaded")
    answers = "".join(http_get(process.health + path)[1] for path in ("/readyz", "/metrics"))
    assert process.stop() == 0
    text = process.log() + answers
    assert SECRET_CLIENT not in text and SECRET_LOCAL not in text

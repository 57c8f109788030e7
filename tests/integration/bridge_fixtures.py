"""Shared helpers for the bridge's integration tests (and the benchmarks): mailbridge configs
(server_block, account_block, daemon_block: the only places the tests spell them), the one bridge
fixture (BridgeDaemon, any protocols and proxies; rig_bridge in front of the rig's Dovecot), a raw
IMAP client that keeps the exact bytes (RawImap), direct token logins to the rig's Dovecot, and
tiny fake upstreams for failure cases a real server cannot show (wrong certificate host, no
STARTTLS, silence). Polls use wait_until (rig.waiting), ports free_port (rig.ports)."""
import base64
import json
import os
import re
import socket
import subprocess
import ssl
import tempfile
import threading
from dataclasses import dataclass

import process_stats
from mailbridge_process import MailbridgeProcess, http_get
from rig import clients
from rig.ports import free_port
from rig.waiting import wait_until  # noqa: F401 - the one poll helper, for the tests too

ALICE = "alice@example.com"
BOB = "bob@example.com"
LOCAL_PASSWORD = "local-Pw-7781-bridge"  # every test account's local password
TIMEOUT = 20  # seconds for any single socket operation in these tests
# Set by CI when MAILBRIDGE_BIN is the ASan build: its quarantine and shadow memory make RSS bounds
# meaningless, so memory-bound assertions are skipped there (the hostile traffic still runs, under
# the sanitizers).
SANITIZED = bool(os.environ.get("MAILBRIDGE_SANITIZED"))


# ---- configuration ---------------------------------------------------------------------------------
def server_block(name, listen_port, upstream_port, upstream_tls="implicit", ca_file="",
                 upstream_host="127.0.0.1", protocol="imap", proxy="", extra="",
                 listen_host="127.0.0.1"):
    """One [[server]] table (the only place the tests spell one). proxy: the name of a [[proxy]]
    ("" = direct); extra: more lines of the table, e.g. local_tls_lines()."""
    text = f"""
[[server]]
name = "{name}"
protocol = "{protocol}"
listen = "{listen_host}:{listen_port}"
upstream = "{upstream_host}:{upstream_port}"
upstream_tls = "{upstream_tls}"
ca_file = "{ca_file}"
"""
    if proxy:
        text += f'proxy = "{proxy}"\n'
    if extra:
        text += extra if extra.endswith("\n") else extra + "\n"
    return text


def local_tls_lines(pki, mode):
    """[[server]] lines for TLS towards local clients (mode "starttls" or "implicit") with the
    rig's server certificate."""
    return (f'local_tls = "{mode}"\nlocal_cert = "{pki.server_cert}"\n'
            f'local_key = "{pki.server_key}"\n')


def account_block(rig, name, login, cc_email=None, upstream_user="", token_endpoint=None,
                  password=LOCAL_PASSWORD):
    """An oauth2 client_credentials account; cc_email picks the rig client whose token it gets."""
    client = rig.oauth.clients[f"cc:{cc_email or login}"]
    return f"""
[[account]]
name = "{name}"
login = "{login}"
local_password = "{password}"
upstream_user = "{upstream_user}"
provider = "generic"
flow = "client_credentials"
client_id = "{client['client_id']}"
client_secret = "{client['client_secret']}"
token_endpoint = "{token_endpoint or rig.oauth.token_endpoint}"
"""


def daemon_block(health_port, log_level=3, connect_timeout=10, idle_timeout=1800,
                 upstream_backoff_max=0, daemon_extra="", failed_login_block_max=0):
    """Backoff and the blocks after wrong local passwords are off unless asked for: most tests
    repeat failing logins on purpose. daemon_extra: more [daemon] lines."""
    return f"""
[daemon]
state_dir = "state"
log_level = {log_level}
health_listen = "127.0.0.1:{health_port}"
connect_timeout = {connect_timeout}
idle_timeout = {idle_timeout}
upstream_backoff_max = {upstream_backoff_max}
failed_login_block_max = {failed_login_block_max}
{daemon_extra}
"""


@dataclass
class Listener:
    """One [[server]] of a BridgeDaemon. A plain tuple (name, upstream_port, upstream_tls, ca_file
    [, upstream_host]) stands for the same. protocol None: the BridgeDaemon's protocol;
    listen_port None: a free port; proxy, extra, listen_host: as in server_block()."""
    name: str
    upstream_port: int
    upstream_tls: str = "implicit"
    ca_file: str = ""
    upstream_host: str = "127.0.0.1"
    protocol: str = None
    proxy: str = ""
    extra: str = ""
    listen_host: str = "127.0.0.1"
    listen_port: int = None


class BridgeDaemon:
    """A `mailbridge run` whose [[server]] listeners are named; .port[name] gives each listener's
    local port, .protocol[name] its protocol. Start with .start() (or `with`); always .stop().

    servers: Listener or tuples (see Listener); protocol: of every listener that names none;
    accounts: [[account]] texts; proxies: [[proxy]] texts; env: the daemon's environment; the
    rest: [daemon] settings (daemon_block)."""

    def __init__(self, directory, servers, accounts, protocol="imap", proxies=(), env=None,
                 log_level=3, connect_timeout=10, idle_timeout=1800, upstream_backoff_max=0,
                 daemon_extra="", failed_login_block_max=0):
        self.health_port = free_port()
        self.port = {}
        self.protocol = {}
        text = daemon_block(self.health_port, log_level, connect_timeout, idle_timeout,
                            upstream_backoff_max, daemon_extra, failed_login_block_max)
        text += "".join(proxies)
        for entry in servers:
            listener = entry if isinstance(entry, Listener) else Listener(*entry)
            self.port[listener.name] = listener.listen_port or free_port()
            self.protocol[listener.name] = listener.protocol or protocol
            text += server_block(listener.name, self.port[listener.name], listener.upstream_port,
                                 listener.upstream_tls, listener.ca_file, listener.upstream_host,
                                 self.protocol[listener.name], listener.proxy, listener.extra,
                                 listener.listen_host)
        text += "".join(accounts)
        self.config_text = text
        self.process = MailbridgeProcess(directory, text, env=env)

    @property
    def health_url(self):
        return f"http://127.0.0.1:{self.health_port}"

    def start(self, timeout=20):
        """Start and wait until /healthz answers and /readyz reports every listener up with its
        protocol (no client connects: a probe would dial upstream and count as a session)."""
        self.process.start(health_url=self.health_url + "/healthz", timeout=timeout)
        wait_until(self._listening, timeout, f"listeners {sorted(self.port)} up in /readyz")
        return self

    def _listening(self):
        if not self.alive():
            raise AssertionError(f"mailbridge exited with {self.process.process.returncode}:\n"
                                 f"{self.log()[-2000:]}")
        up = {l["name"]: l["protocol"] for l in self.readyz()["listeners"] if l["up"]}
        return all(up.get(name) == protocol for name, protocol in self.protocol.items())

    def stop(self):
        try:
            return self.process.stop()
        finally:
            self.process.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def assert_alive(self, after):
        """The daemon still runs and answers its health endpoint."""
        try:
            status = http_get(self.health_url + "/healthz", timeout=5)[0]
        except OSError:
            status = None
        code = self.process.process.poll()
        if status != 200 and code is None:  # perhaps dying this very moment: say how
            try:
                code = self.process.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        assert code is None and status == 200, (
            f"mailbridge died (exit status {code}, health {status}) after {after}; "
            f"log tail:\n{self.log()[-1500:]}")

    @property
    def pid(self):
        return self.process.process.pid

    def alive(self):
        return self.process.process.poll() is None

    def log(self):
        return self.process.log()

    def rss_kib(self):
        return process_stats.rss_kib(self.pid)

    def metrics(self):
        return http_get(self.health_url + "/metrics")[1]

    def metric(self, name, **labels):
        """The value of one sample in /metrics (labels in the daemon's order), or None."""
        return metric_value(self.metrics(), name, **labels)

    def readyz(self):
        return json.loads(http_get(self.health_url + "/readyz")[1])


def metric_value(metrics_text, name, **labels):
    """The value of the sample `name{labels}` in a /metrics text (labels in the daemon's order;
    none: the unlabelled sample), or None when there is no such sample."""
    key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    found = re.search(r"(?m)^" + re.escape(key) + r" (\S+)$", metrics_text)
    return float(found.group(1)) if found else None


# Each protocol's listeners in front of the rig's Dovecot: name → (Dovecot port name, upstream_tls).
RIG_LISTENERS = {
    "imap": {"imaps": ("imaps", "implicit"), "starttls": ("imap", "starttls")},
    "pop3": {"pop3s": ("pop3s", "implicit"), "stls": ("pop3", "starttls")},
    "smtp": {"submissions": ("submissions", "implicit"), "submission": ("submission", "starttls")},
}


def rig_bridge(rig, directory=None, protocol="imap", listeners=None, accounts=None,
               extra_accounts=(), extra_servers=(), start=True, **kw):
    """A BridgeDaemon in front of the rig's Dovecot: the `protocol`'s listeners of RIG_LISTENERS
    (only those named in `listeners` if given) plus `extra_servers`; accounts 'alice' and 'bob'
    (each with its own client-credentials client) unless `accounts`, plus `extra_accounts`; in
    `directory` (default: a new temporary one); started unless start=False. kw: BridgeDaemon's."""
    d, ca = rig.dovecot, rig.pki.ca_cert
    servers = [(name, d.ports[dovecot_port], tls, ca)
               for name, (dovecot_port, tls) in RIG_LISTENERS[protocol].items()
               if listeners is None or name in listeners]
    if accounts is None:
        accounts = [account_block(rig, "alice", ALICE), account_block(rig, "bob", BOB)]
    daemon = BridgeDaemon(directory or tempfile.mkdtemp(prefix="mb-bridge-"),
                          [*servers, *extra_servers], [*accounts, *extra_accounts],
                          protocol=protocol, **kw)
    return daemon.start() if start else daemon


def imaps_bridge(rig, prefix="mb-bench-", accounts=None, **kw):
    """The benchmarks' bridge (not started), in a new temporary directory: listener 'imaps' in
    front of the rig's Dovecot IMAPS and account 'alice' unless `accounts` are given."""
    return rig_bridge(rig, tempfile.mkdtemp(prefix=prefix), listeners=["imaps"],
                      accounts=accounts if accounts is not None else [account_block(rig, "alice", ALICE)],
                      start=False, **kw)


# ---- raw IMAP ------------------------------------------------------------------------------------------
_LITERAL_AT_END = re.compile(rb"\{(\d+)\+?\}\r\n$")


class RawImap:
    """A byte-exact IMAP client on a socket: send() bytes, read whole responses (literals counted)."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        self.buf = b""

    @classmethod
    def connect(cls, port, host="127.0.0.1"):
        return cls(socket.create_connection((host, port), timeout=TIMEOUT))

    @classmethod
    def connect_tls(cls, port, ca_file, host="127.0.0.1"):
        raw = socket.create_connection((host, port), timeout=TIMEOUT)
        return cls(clients.ssl_context(ca_file).wrap_socket(raw, server_hostname=host))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError(f"connection closed; unread {self.buf[:300]!r}")
        self.buf += chunk

    def read_line(self):
        """One physical line including CRLF."""
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line + b"\r\n"

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response_line(self):
        """One logical response line: physical lines joined with the literals they announce."""
        out = b""
        while True:
            line = self.read_line()
            out += line
            m = _LITERAL_AT_END.search(line)
            if not m:
                return out
            out += self.read_exact(int(m.group(1)))

    def read_until_tagged(self, tag):
        """(untagged bytes, tagged completion line) for the command tagged `tag`."""
        tag = tag.encode() if isinstance(tag, str) else tag
        collected = b""
        while True:
            line = self.read_response_line()
            if line.startswith(tag + b" "):
                return collected, line
            collected += line

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def command(self, tag, text):
        """Send `TAG TEXT\\r\\n`; return (untagged bytes, tagged line)."""
        self.send(f"{tag} {text}\r\n")
        return self.read_until_tagged(tag)

    def greeting(self):
        return self.read_line()

    def login(self, user=ALICE, password=LOCAL_PASSWORD, tag="L1"):
        return self.command(tag, f'LOGIN "{user}" "{password}"')

    def authenticate_xoauth2(self, user, token, tag="A1"):
        ir = base64.b64encode(clients.xoauth2(user, token)).decode()
        return self.command(tag, f"AUTHENTICATE XOAUTH2 {ir}")


def plain_ir(user, password, authzid=""):
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


def direct_session(rig, user=ALICE):
    """RawImap logged in straight to the rig's Dovecot over IMAPS with a fresh token."""
    token = rig.oauth.cc_token(user)
    s = RawImap.connect_tls(rig.dovecot.ports["imaps"], rig.pki.ca_cert)
    assert s.greeting().startswith(b"* OK")
    _, done = s.authenticate_xoauth2(user, token)
    assert done.startswith(b"A1 OK"), done
    return s


def bridge_session(port, user=ALICE, password=LOCAL_PASSWORD):
    """RawImap logged in through the bridge with LOGIN."""
    s = RawImap.connect(port)
    assert s.greeting().startswith(b"* OK")
    _, done = s.login(user, password)
    assert done.startswith(b"L1 OK"), done
    return s


def assert_tagged(line, tag, status, *needles):
    """line is `TAG STATUS ...`; every needle (regex) occurs in it."""
    text = line.decode("utf-8", "replace")
    assert text.startswith(f"{tag} {status} "), text
    for needle in needles:
        assert re.search(needle, text), f"{needle!r} not in {text!r}"
    return text


# ---- fake upstreams ----------------------------------------------------------------------------------
class FakeUpstream:
    """A loopback TCP server in a thread. mode:
    'silent'     accepts and never says anything;
    'no-starttls' greets with a capability list without STARTTLS and answers CAPABILITY likewise;
    'pop3-no-stls', 'smtp-no-starttls' the same for POP3 (CAPA without STLS) and SMTP (EHLO
                 without STARTTLS);
    'tls'        implicit TLS with (cert, key), then greets `* OK` and answers CAPABILITY;
    'starttls-silent' offers STARTTLS, accepts it and then never starts its TLS handshake.
    Every other IMAP command gets `TAG <refusal>`; .commands lists each IMAP command's name as
    received, .lines the command lines the plain-text POP3/SMTP fakes received.
    delay: seconds it waits before the greeting and before each answer (a slow upstream)."""

    def __init__(self, mode, cert=None, key=None, refusal=b"NO fake upstream does nothing",
                 delay=0.0):
        self.mode = mode
        self.refusal = refusal
        self.commands = []
        self.delay = delay
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)  # accept() wakes up to notice stop()
        self.port = self.listener.getsockname()[1]
        self.context = None
        if mode == "tls":
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(cert, key)
        self.connections = []
        self.lines = []  # command lines the plain-text fakes received
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self.listener.close()
        for c in self.connections:
            try:
                c.close()
            except OSError:
                pass
        self.thread.join(timeout=5)

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        try:
            conn.settimeout(30)
            if self.mode == "silent":
                self.stopped.wait(60)
                return
            if self.mode in _PLAIN_DIALOGUES:
                self._answer_plain(conn, *_PLAIN_DIALOGUES[self.mode])
                return
            if self.mode == "tls":
                conn = self.context.wrap_socket(conn, server_side=True)
                self.connections.append(conn)
                caps = b"IMAP4rev1 AUTH=XOAUTH2 SASL-IR"
                greeting = b"* OK fake TLS upstream\r\n"
            elif self.mode == "starttls-silent":
                caps = b"IMAP4rev1 STARTTLS AUTH=XOAUTH2"
                greeting = b"* OK [CAPABILITY " + caps + b"] fake upstream\r\n"
            else:
                caps = b"IMAP4rev1 AUTH=PLAIN LOGINDISABLED"
                greeting = b"* OK [CAPABILITY " + caps + b"] fake upstream without STARTTLS\r\n"
            self.stopped.wait(self.delay)
            conn.sendall(greeting)
            buf = b""
            while not self.stopped.is_set():
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, _, buf = buf.partition(b"\r\n")
                    tag = line.split(b" ", 1)[0]
                    self.commands.append((line.split(b" ") + [b""])[1].upper().decode("latin-1"))
                    self.stopped.wait(self.delay)
                    if line.upper().endswith(b" STARTTLS"):
                        conn.sendall(tag + b" OK begin TLS\r\n")
                        self.stopped.wait(60)
                        return
                    if line.upper().endswith(b" CAPABILITY"):
                        conn.sendall(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n")
                    else:
                        conn.sendall(tag + b" " + self.refusal + b"\r\n")
        except (OSError, ssl.SSLError):
            pass

    def _answer_plain(self, conn, greeting, answers):
        """Greet, then answer each command line by its first word (anything else: the '' entry)."""
        conn.sendall(greeting)
        buf = b""
        while not self.stopped.is_set():
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                line, _, buf = buf.partition(b"\r\n")
                self.lines.append(line)
                verb = line.split(b" ", 1)[0].upper()
                conn.sendall(answers.get(verb, answers[b""]))


# greeting, {command verb: answer} for the plain-text fake upstreams without TLS.
_PLAIN_DIALOGUES = {
    "pop3-no-stls": (b"+OK fake POP3 upstream without STLS\r\n",
                     {b"CAPA": b"+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n", b"": b"-ERR nothing here\r\n"}),
    "smtp-no-starttls": (b"220 fake ESMTP upstream without STARTTLS\r\n",
                         {b"EHLO": b"250-fake\r\n250 AUTH PLAIN\r\n", b"QUIT": b"221 bye\r\n",
                          b"": b"502 5.5.1 nothing here\r\n"}),
}


def closed_port():
    """A loopback port nobody listens on (connections are refused)."""
    return free_port()

# The whole rig in one object: PKI, OAuth server, SMTP sink, Dovecot (OAuth2-only), two squids
# (Basic, Digest), and optionally a password-mode Dovecot. Rig.start()/stop()/info(); used by
# conftest.py fixtures and serve.py. Every component lives in its own subdirectory of rig.tmp.
import json
import os
import shutil
import tempfile

from .dovecot import Dovecot
from .oauth_server import OAuthServer
from .pki import make_pki
from .smtp_sink import SmtpSink
from .squid import Squid

DEFAULT_USERS = {
    "alice@example.com": "alice-password",
    "bob@example.com": "bob-password",
    "carol@example.org": "carol-password",
}
PROXY_USER, PROXY_PASSWORD = "proxyuser", "proxy-pass-1"

# ports used by serve.py --fixed-ports (the demo config refers to them)
FIXED_PORTS = dict(oauth=18080, imaps=19993, imap=19143, pop3s=19995, pop3=19110, submissions=19465,
                   submission=19587, squid_basic=13128, squid_digest=13129, smtp_sink=19025)


class Rig:
    """Start with .start(); afterwards: .pki, .oauth, .sink, .dovecot, .squid_basic, .squid_digest,
    .dovecot_pw (if password_dovecot), .users, .tmp. Always call .stop() (idempotent)."""

    def __init__(self, tmp=None, users=None, fixed_ports=None, password_dovecot=False, squid_https=False,
                 access_token_ttl=3600, short_ttl=3, keep_tmp=False, imap_clients_per_process=None,
                 access_token_bytes=None):
        self.owns_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="mbrig-")
        os.makedirs(self.tmp, exist_ok=True)
        os.chmod(self.tmp, 0o755)  # daemons drop privileges (dovenull, mail, proxy) and must traverse it
        self.users = dict(users or DEFAULT_USERS)
        self.fixed = dict(fixed_ports) if fixed_ports else None
        self.password_dovecot = password_dovecot
        self.squid_https = squid_https
        self.access_token_ttl = access_token_ttl
        self.short_ttl = short_ttl
        self.keep_tmp = keep_tmp
        self.imap_clients_per_process = imap_clients_per_process  # see rig.dovecot.Dovecot
        self.access_token_bytes = access_token_bytes  # e.g. 2048: JWT-sized access tokens
        self.pki = self.oauth = self.sink = self.dovecot = self.dovecot_pw = None
        self.squid_basic = self.squid_digest = None
        self._started = []

    def _fp(self, name):
        return self.fixed.get(name) if self.fixed else None

    def start(self):
        try:
            self.pki = make_pki(os.path.join(self.tmp, "pki"))
            self.oauth = OAuthServer(self.tmp, self.users, access_token_ttl=self.access_token_ttl,
                                     short_ttl=self.short_ttl, port=self._fp("oauth") or 0,
                                     access_token_bytes=self.access_token_bytes)
            self._started.append(self.oauth.start())
            self.sink = SmtpSink(self.tmp, port=self._fp("smtp_sink"))
            self._started.append(self.sink.start())
            dports = None
            if self.fixed:
                dports = {n: self.fixed[n] for n in ("imap", "imaps", "pop3", "pop3s", "submission", "submissions")}
            self.dovecot = Dovecot(self.tmp, self.pki, self.users, oauth=self.oauth, relay_port=self.sink.port,
                                   ports=dports, imap_clients_per_process=self.imap_clients_per_process)
            self._started.append(self.dovecot.start())
            if self.password_dovecot:
                self.dovecot_pw = Dovecot(self.tmp, self.pki, self.users, relay_port=self.sink.port,
                                          mode="password", name="dovecot-pw")
                self._started.append(self.dovecot_pw.start())
            self.squid_basic = Squid(self.tmp, "basic", PROXY_USER, PROXY_PASSWORD, port=self._fp("squid_basic"),
                                     https=self.squid_https, pki=self.pki)
            self._started.append(self.squid_basic.start())
            self.squid_digest = Squid(self.tmp, "digest", PROXY_USER, PROXY_PASSWORD,
                                      port=self._fp("squid_digest"))
            self._started.append(self.squid_digest.start())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        while self._started:
            comp = self._started.pop()
            try:
                comp.stop()
            except Exception:
                pass
        if self.owns_tmp and not self.keep_tmp and os.environ.get("RIG_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def info(self):
        """Everything a client (or a mailbridge config) needs, JSON-serialisable."""
        o, d = self.oauth, self.dovecot
        info = {
            "tmp": self.tmp,
            "ca_file": self.pki.ca_cert,
            "pki": self.pki.as_dict(),
            "oauth": {"issuer": o.issuer, "port": o.port, "token_endpoint": o.token_endpoint,
                      "authorization_endpoint": o.authorization_endpoint, "device_endpoint": o.device_endpoint,
                      "introspection_endpoint": o.introspection_endpoint,
                      "revocation_endpoint": o.issuer + "/token/revocation",
                      "stats_url": o.issuer + "/_rig/stats", "clients": o.clients, "log": o.log_path},
            "users": self.users,
            "dovecot": {"host": "127.0.0.1", **d.ports, "log": d.log_path, "maildirs": {
                u: d.maildir(u) for u in self.users}},
            "smtp_sink": {"host": "127.0.0.1", "port": self.sink.port, "spool": self.sink.spool},
            "squid": {
                "basic": {"host": "127.0.0.1", "port": self.squid_basic.port, "user": PROXY_USER,
                          "password": PROXY_PASSWORD, "https_port": self.squid_basic.https_port,
                          "access_log": self.squid_basic.access_log},
                "digest": {"host": "127.0.0.1", "port": self.squid_digest.port, "user": PROXY_USER,
                           "password": PROXY_PASSWORD, "realm": self.squid_digest.realm,
                           "access_log": self.squid_digest.access_log},
            },
        }
        if self.dovecot_pw:
            info["dovecot_password"] = {"host": "127.0.0.1", **self.dovecot_pw.ports, "log": self.dovecot_pw.log_path}
        return info

    def write_info(self, path):
        with open(path + ".tmp", "w") as f:
            json.dump(self.info(), f, indent=2)
        os.replace(path + ".tmp", path)

# Runs a private Dovecot 2.3 (`dovecot -F -c FILE`) on free 127.0.0.1 ports: IMAP(+STARTTLS), IMAPS,
# POP3(+STLS), POP3S, submission(+STARTTLS), submissions; TLS with the rig cert; maildirs in the temp dir.
# mode="oauth": only XOAUTH2/OAUTHBEARER via token introspection; mode="password": PLAIN/LOGIN from a passwd-file
# (or the SASL mechanisms given as mechanisms=, e.g. "login").
import os
import pwd
import grp
import re
import socket

from .ports import free_port, wait_listen
from .process import Proc
from .waiting import WaitTimeout, wait_until

DOVECOT = "/usr/sbin/dovecot"
PORT_NAMES = ("imap", "imaps", "pop3", "pop3s", "submission", "submissions")


class Dovecot:
    """users: {email: password} (passwords only used in mode="password").
    oauth: a rig.oauth_server.OAuthServer (required in mode="oauth").
    relay_port: SMTP port submission relays to (the sink). ports: optional fixed {name: port}."""

    def __init__(self, tmp, pki, users, oauth=None, relay_port=None, mode="oauth", ports=None, name="dovecot",
                 auth_penalty=False, mechanisms=None, imap_clients_per_process=None):
        assert mode in ("oauth", "password")
        assert mechanisms is None or mode == "password", "mechanisms only applies to mode='password'"
        self.dir = os.path.join(tmp, name)
        self.pki = pki
        self.users = dict(users)
        self.oauth = oauth
        self.relay_port = relay_port
        self.mode = mode
        self.name = name
        self.auth_penalty = auth_penalty  # Dovecot's default delays auth after failures from an IP (2..15 s)
        self.mechanisms = mechanisms or "plain login"  # mode="password": Dovecot's auth_mechanisms
        # None: one imap process per session (Dovecot's default); N: N sessions per process, for
        # benchmarks that hold thousands of idle sessions.
        self.imap_clients_per_process = imap_clients_per_process
        self.ports = dict(ports) if ports else {n: free_port() for n in PORT_NAMES}
        self.base_dir = os.path.join(self.dir, "run")
        self.state_dir = os.path.join(self.dir, "state")
        self.mail_root = os.path.join(self.dir, "mail")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.stdout_path = os.path.join(self.dir, "dovecot.stdout")
        self.conf_path = os.path.join(self.dir, "dovecot.conf")
        self.proc = None
        if os.getuid() == 0:  # Dovecot refuses mail processes with uid 0: use Debian's 'mail' user
            pw = pwd.getpwnam("mail")
            self.mail_uid, self.mail_gid = pw.pw_uid, pw.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
        for d in (self.dir, self.base_dir, self.state_dir, self.mail_root):
            os.makedirs(d, exist_ok=True)
        self._write_config()
        for u in self.users:
            self.ensure_maildir(u)

    # ---- layout --------------------------------------------------------------------------------
    def home(self, user):
        local, _, domain = user.partition("@")
        return os.path.join(self.mail_root, domain or "localdomain", local)

    def maildir(self, user, folder=None):
        """Path of the user's Maildir (INBOX) or of a Maildir++ subfolder ('.Name')."""
        base = os.path.join(self.home(user), "Maildir")
        return base if not folder or folder.upper() == "INBOX" else os.path.join(base, "." + folder)

    def ensure_maildir(self, user, folder=None):
        md = self.maildir(user, folder)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        if folder and folder.upper() != "INBOX":
            open(os.path.join(md, "maildirfolder"), "a").close()
        self.fix_owner(self.home(user))
        return md

    def fix_owner(self, path):
        """chown a file or tree to the mail uid/gid (needed after writing maildir files as root)."""
        if os.getuid() != 0:
            return
        os.chown(path, self.mail_uid, self.mail_gid)
        for root, dirs, files in os.walk(path):
            for n in dirs + files:
                os.chown(os.path.join(root, n), self.mail_uid, self.mail_gid)

    # ---- config --------------------------------------------------------------------------------
    def _write_config(self):
        me = pwd.getpwuid(os.getuid()).pw_name
        gname = grp.getgrgid(os.getgid()).gr_name
        internal, igroup, login = me, gname, me
        if os.getuid() == 0:  # login processes refuse root: use Debian's dovecot/dovenull users
            internal, igroup, login = "dovecot", "dovecot", "dovenull"
        p = self.ports
        if self.mode == "oauth":
            o = self.oauth
            intro = o.clients["introspect"]
            oauth_ext = os.path.join(self.dir, "dovecot-oauth2.conf.ext")
            with open(oauth_ext, "w") as f:
                f.write(f"""introspection_mode = post
introspection_url = http://{intro['client_id']}:{intro['client_secret']}@127.0.0.1:{o.port}/token/introspection
force_introspection = yes
username_attribute = email
active_attribute = active
active_value = true
issuers = {o.issuer}
tls_ca_cert_file = {self.pki.ca_cert}
timeout_msecs = 10000
""")
            auth = f"""auth_mechanisms = xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth_ext}
}}
"""
        else:
            passwd = os.path.join(self.dir, "passwd")
            with open(passwd, "w") as f:
                for u, pw in self.users.items():
                    f.write(f"{u}:{{PLAIN}}{pw}\n")
            auth = f"""auth_mechanisms = {self.mechanisms}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
"""
        relay = ""
        if self.relay_port:
            relay = f"""submission_relay_host = 127.0.0.1
submission_relay_port = {self.relay_port}
submission_relay_ssl = no
submission_relay_trusted = yes
"""
        imap_clients = self._imap_clients()
        penalty = "" if self.auth_penalty else "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n"
        conf = f"""# generated by the mailbridge test rig ({self.mode} mode)
protocols = imap pop3 submission
listen = 127.0.0.1
base_dir = {self.base_dir}
state_dir = {self.state_dir}
instance_name = {self.name}-{os.getpid()}-{id(self)}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
default_internal_user = {internal}
default_internal_group = {igroup}
default_login_user = {login}
first_valid_uid = 0
first_valid_gid = 0
hostname = mail.rig.test
postmaster_address = postmaster@rig.test
ssl = yes
ssl_cert = <{self.pki.server_cert}
ssl_key = <{self.pki.server_key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_cache_size = 0
auth_verbose = yes
auth_failure_delay = 0
{auth}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={self.mail_root}/%d/%n allow_all_users=yes
}}
mail_location = maildir:~/Maildir
mail_uid = {self.mail_uid}
mail_gid = {self.mail_gid}
mail_max_userip_connections = 10000
pop3_uidl_format = %08Xu%08Xv
default_process_limit = 1000
default_client_limit = 10000
default_vsz_limit = 1G
{relay}
service imap-login {{
  chroot =
  service_count = 0
  process_min_avail = 1
  client_limit = 5000
  inet_listener imap {{
    address = 127.0.0.1
    port = {p['imap']}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {p['imaps']}
    ssl = yes
  }}
}}
service pop3-login {{
  chroot =
  service_count = 0
  client_limit = 5000
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {p['pop3']}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {p['pop3s']}
    ssl = yes
  }}
}}
service submission-login {{
  chroot =
  service_count = 0
  client_limit = 5000
  inet_listener submission {{
    address = 127.0.0.1
    port = {p['submission']}
  }}
  inet_listener submissions {{
    address = 127.0.0.1
    port = {p['submissions']}
    ssl = yes
  }}
}}
service imap {{
  process_limit = 2000
{imap_clients}}}
service pop3 {{
  process_limit = 2000
}}
service submission {{
  process_limit = 2000
}}
service anvil {{
  chroot =
  client_limit = 20000
{penalty}}}
service auth {{
  client_limit = 20000
}}
service stats {{
  client_limit = 20000
}}
service lmtp {{
  process_limit = 0
}}
"""
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def _imap_clients(self):
        if not self.imap_clients_per_process:
            return ""
        # client_limit only counts with long-lived processes (service_count 0).
        return f"  service_count = 0\n  client_limit = {self.imap_clients_per_process}\n"


    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout=20):
        self.proc = Proc(self.name, [DOVECOT, "-F", "-c", self.conf_path], self.stdout_path).start()
        for port in self.ports.values():
            wait_listen(port, timeout=timeout, proc=self.proc)
        # the master binds at once; make sure login processes really answer (they fail e.g. as root)
        def greets():
            if not self.proc.running():
                raise RuntimeError(f"Dovecot exited; log {self.log_path}:\n{self.log_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.ports["imap"]), timeout=2) as s:
                    return s.recv(100).startswith(b"* OK")
            except OSError:
                return False
        try:
            wait_until(greets, timeout, "Dovecot's IMAP greeting", interval=0.1)
        except WaitTimeout:
            raise RuntimeError(f"Dovecot not answering; log {self.log_path}:\n{self.log_text()[-3000:]}")
        return self

    def stop(self):
        """SIGTERM and wait until the master PID (and its group) is gone."""
        if self.proc:
            self.proc.stop(timeout=15)

    def restart(self):
        self.stop()
        self.start()

    def running(self):
        return bool(self.proc and self.proc.running())

    # ---- logs --------------------------------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def login_lines(self, since=0):
        """Log lines of successful logins ('Login: user=<...>, method=..., ..., TLS' etc.) after byte offset since."""
        with open(self.log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace")
        return [l for l in text.splitlines() if "-login: Info: Login: " in l]

    def wait_log(self, pattern, since=0, timeout=10.0):
        """Wait until a log line matching regex pattern appears after byte offset since; return it."""
        rx = re.compile(pattern)

        def matching_line():
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return next((line for line in f.read().decode("utf-8", "replace").splitlines()
                             if rx.search(line)), None)
        return wait_until(matching_line, timeout, f"a Dovecot log line matching {pattern!r}")

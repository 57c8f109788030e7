# Demo/manual runner: starts the whole rig, seeds alice@example.com's INBOX with a few readable
# messages, writes STATE/rig.json (ports, CA, clients, endpoints) and runs until SIGTERM/SIGINT.
# Usage: /usr/bin/python3 tests/integration/rig/serve.py --state DIR [--fixed-ports]
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rig import seeder  # noqa: E402
from rig.stack import FIXED_PORTS, Rig  # noqa: E402

DEMO_MESSAGES = [
    ("Welcome to the mailbridge demo", "Hello Alice,\r\n\r\nthis mailbox is served by the test rig's Dovecot.\r\n"),
    ("Lunch on Friday?", "Hi,\r\n\r\nshall we meet at noon?\r\n\r\nBob\r\n"),
    ("Quarterly report", "Numbers look fine.\r\n\r\n-- \r\nCarol\r\n"),
]


def seed_demo(dovecot, user):
    md = dovecot.ensure_maildir(user)
    for i, (subject, body) in enumerate(DEMO_MESSAGES):
        data = (f"From: Demo Sender {i} <demo{i}@example.net>\r\nTo: <{user}>\r\nSubject: {subject}\r\n"
                f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(1700000000 + 86400 * i))}\r\n"
                f"Message-ID: <demo-{i}@rig.test>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
        name = f"{1700000000 + i}.D{i}.rig"
        with open(os.path.join(md, "tmp", name), "wb") as f:
            f.write(data)
        os.rename(os.path.join(md, "tmp", name), os.path.join(md, "new", name))
    seeder.seed_maildir(md, 2, to=user, seed=3, kinds=["multipart", "rfc2047"], start_index=100)
    dovecot.fix_owner(dovecot.home(user))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--state", required=True, help="directory for rig.json and all rig files")
    ap.add_argument("--fixed-ports", action="store_true", help="use the demo's fixed ports")
    a = ap.parse_args()
    state = os.path.abspath(a.state)
    os.makedirs(state, exist_ok=True)
    stop = {"sig": None}

    def on_signal(signum, _frame):
        stop["sig"] = signum
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # Fresh maildirs and certs every run. The daemons run as other users (dovenull, mail, proxy),
    # which may not traverse the checkout's path (a clone in a 0700 directory): the rig lives in
    # a temporary directory of its own, and STATE/rig links to it.
    link = os.path.join(state, "rig")
    if os.path.islink(link):
        shutil.rmtree(os.readlink(link), ignore_errors=True)
        os.unlink(link)
    else:
        shutil.rmtree(link, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="mbdemo-")
    os.symlink(tmp, link)
    r = Rig(tmp=tmp, fixed_ports=FIXED_PORTS if a.fixed_ports else None)
    try:
        r.start()
        seed_demo(r.dovecot, "alice@example.com")
        info_path = os.path.join(state, "rig.json")
        r.write_info(info_path)
        i = r.info()
        d = i["dovecot"]
        print(f"rig up; details in {info_path}\n"
              f"  oauth issuer   {i['oauth']['issuer']}  (token endpoint {i['oauth']['token_endpoint']})\n"
              f"  IMAPS {d['imaps']}  IMAP {d['imap']}  POP3S {d['pop3s']}  POP3 {d['pop3']}  "
              f"submissions {d['submissions']}  submission {d['submission']}\n"
              f"  squid basic {i['squid']['basic']['port']}  digest {i['squid']['digest']['port']}  "
              f"smtp sink {i['smtp_sink']['port']}\n"
              f"  CA file {i['ca_file']}\n"
              f"  alice client-credentials: {r.oauth.cc_client('alice@example.com')['client_id']} / "
              f"{r.oauth.cc_client('alice@example.com')['client_secret']}\n"
              "stop with SIGTERM or Ctrl-C", flush=True)
        while stop["sig"] is None:
            time.sleep(0.2)
    finally:
        print("stopping rig", flush=True)
        r.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        os.unlink(link)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`auth = "password"` accounts against the rig's password-mode Dovecot: IMAP (implicit TLS), POP3
(STLS) and SMTP submission (STARTTLS) sessions through the bridge log in upstream with the account's upstream_password over
TLS (Dovecot's own log says TLS and the mechanism), a wrong upstream password reaches the client as
the upstream's refusal after the account name, and `mailbridge test` passes for such an account."""
import poplib
import re
import smtplib

from bridge_fixtures import ALICE, BOB, LOCAL_PASSWORD, BridgeDaemon, Listener, RawImap, bridge_session
from mailbridge_process import run_cli
from rig import seeder


def password_account(name, login, upstream_password):
    return f"""
[[account]]
name = "{name}"
login = "{login}"
local_password = "{LOCAL_PASSWORD}"
auth = "password"
upstream_password = "{upstream_password}"
"""


def test_imap_and_pop3_through_a_password_upstream(rig, tmp_path):
    d, ca = rig.dovecot_pw, rig.pki.ca_cert
    seeded = seeder.seed_user(d, ALICE, 3, seed=77, start_index=500)
    bridge = BridgeDaemon(tmp_path, [Listener("imap", d.ports["imaps"], "implicit", ca),
                                     Listener("pop3", d.ports["pop3"], "starttls", ca, protocol="pop3"),
                                     Listener("smtp", d.ports["submission"], "starttls", ca,
                                              protocol="smtp")],
                          [password_account("legacy", ALICE, rig.users[ALICE]),
                           password_account("wrongpw", BOB, "not-" + rig.users[BOB])]).start()
    process = bridge.process
    imap_port, pop3_port, smtp_port = bridge.port["imap"], bridge.port["pop3"], bridge.port["smtp"]
    try:
        since = d.log_size()
        s = bridge_session(imap_port)
        untagged, done = s.command("S1", "SELECT INBOX")
        assert done.startswith(b"S1 OK"), done
        assert re.search(rb"\* \d+ EXISTS", untagged), untagged
        _, done = s.command("Z1", "LOGOUT")
        s.close()
        line = d.wait_log(r"imap-login: (Info: )?Login: user=<alice@example\.com>, method=PLAIN", since=since)
        assert "TLS" in line, line

        # Wrong upstream password: the upstream's refusal, verbatim after the account name.
        with RawImap.connect(imap_port) as s:
            s.greeting()
            _, done = s.login(BOB, LOCAL_PASSWORD)
        text = done.decode()
        assert re.match(r"L1 NO \[AUTHENTICATIONFAILED\] wrongpw: Authentication failed\.", text), \
            text
        assert "not-" not in text and "not-" not in process.log()

        # POP3 over STLS upstream: the whole mailbox listed as Dovecot lists it.
        since = d.log_size()
        pop = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
        pop.user(ALICE)
        pop.pass_(LOCAL_PASSWORD)
        count, _ = pop.stat()
        assert count >= len(seeded)
        assert len(pop.uidl()[1]) == count
        bodies = [b"\r\n".join(pop.retr(i)[1]) + b"\r\n" for i in range(1, count + 1)]
        for message in seeded:  # byte-exact (poplib undoes the dot-stuffing)
            assert message.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") in bodies
        pop.quit()
        line = d.wait_log(r"pop3-login: (Info: )?Login: user=<alice@example\.com>, method=PLAIN", since=since)
        assert "TLS" in line, line

        pop = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
        pop.user(BOB)
        try:
            pop.pass_(LOCAL_PASSWORD)
            raise AssertionError("a wrong upstream password was accepted")
        except poplib.error_proto as refusal:
            assert b"wrongpw: " in refusal.args[0], refusal
        pop.close()

        # SMTP submission (STARTTLS upstream): AUTH PLAIN upstream, the message accepted.
        since = d.log_size()
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as smtp:
            smtp.login(ALICE, LOCAL_PASSWORD)
            refused = smtp.sendmail(ALICE, [BOB], f"From: {ALICE}\r\nTo: {BOB}\r\n"
                                    "Subject: password upstream\r\n\r\nhello\r\n")
            assert refused == {}
        line = d.wait_log(r"submission-login: (Info: )?Login: user=<alice@example\.com>, "
                          r"method=PLAIN", since=since)
        assert "TLS" in line, line

        result = run_cli("test", "legacy", "--config", process.config_path, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PLAIN as alice@example.com" in result.stdout, result.stdout
        assert "upstream_password read" in result.stdout
        result = run_cli("test", "wrongpw", "--server", "imap", "--config", process.config_path,
                         timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        assert re.search(r"FAIL +authenticate .*wrongpw: Authentication failed\.", result.stdout), \
            result.stdout
        assert rig.users[BOB] not in result.stdout + result.stderr + process.log()
        assert rig.users[ALICE] not in result.stdout + result.stderr + process.log()
    finally:
        bridge.stop()

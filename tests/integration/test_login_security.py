"""Local logins under attack and after rotation (issue 16): password guessing is slowed per address
and per login and never reaches the upstream, a connection is closed after 3 failed logins, a
client that never logs in is dropped after prelogin_timeout, a rotated local password stops working
at the reload, "*@domain" accounts check per-login passwords, failure answers name no file, and
the log's set of masked values does not grow with logins."""
import os
import re
import signal
import socket
import time

from bridge_fixtures import (ALICE, BOB, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, RawImap,
                             account_block, assert_tagged, wait_until)
from mailbridge_process import run_cli
from rig.tcp_forwarder import TcpForwarder


def connect_from(source, port):
    """A raw IMAP connection from a chosen loopback source address (127.0.0.2 is another client)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT, source_address=(source, 0))
    imap = RawImap(sock)
    assert imap.greeting().startswith(b"* OK")
    return imap


def metric(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(re.escape(name + ("{" + want + "}" if want else "")) + r" ([0-9.e+]+)", text)
    return float(m.group(1)) if m else 0.0


def login_line(imap, tag, user, password):
    imap.send(f'{tag} LOGIN "{user}" "{password}"\r\n'.encode())
    return imap.read_until_tagged(tag)


def test_guessing_is_slowed_closed_and_costs_the_upstream_nothing(rig, tmp_path):
    with TcpForwarder(rig.dovecot.ports["imaps"]) as upstream, BridgeDaemon(
            tmp_path, [("imaps", upstream.port, "implicit", rig.pki.ca_cert)],
            [account_block(rig, "alice", ALICE)], failed_login_block_max=30) as bridge:
        port = bridge.port["imaps"]
        # A legitimate login from another address, before the attack: its time is the baseline.
        started = time.monotonic()
        with connect_from("127.0.0.2", port) as other:
            assert_tagged(login_line(other, "B0", ALICE, LOCAL_PASSWORD)[-1], "B0", "OK")
        baseline = time.monotonic() - started
        before = upstream.counts()["connections"]

        waits, checked, answers_per_connection = [], 0, []
        imap, answers = connect_from("127.0.0.1", port), 0
        for attempt in range(20):
            lines = login_line(imap, f"G{attempt}", ALICE, "wrong-password")
            assert_tagged(lines[-1], f"G{attempt}", "NO", r"AUTHENTICATIONFAILED")
            answers += 1
            text = lines[-1].decode()
            if "wrong local password" in text:
                checked += 1
            wait = re.search(r"try again in (\d+) s", text)
            if wait:
                waits.append(int(wait.group(1)))
                if checked < 3:  # let the block end twice: the next one must be longer
                    # A kept sleep: the scenario is a client that waits as long as the bridge
                    # told it to; no signal ends a block but the clock (a probing login would be
                    # one more guess).
                    time.sleep(int(wait.group(1)) + 0.1)
            if answers == 3:  # the third failure ends the connection
                bye = imap.read_response_line()
                assert bye.startswith(b"* BYE") and b"too many failed logins" in bye, bye
                imap.sock.settimeout(5)
                assert imap.sock.recv(100) == b"", "the connection stays open after 3 failures"
                imap.close()
                answers_per_connection.append(answers)
                imap, answers = connect_from("127.0.0.1", port), 0
        imap.close()
        assert checked == 3, f"{checked} wrong passwords were checked; the rest must be refused unchecked"
        assert waits[0] == 1 and 2 in waits and 4 in waits and max(waits) == 4, waits
        assert answers_per_connection and set(answers_per_connection) == {3}
        # While the address is blocked even the right password is refused (no oracle for guesses).
        with connect_from("127.0.0.1", port) as again:
            assert_tagged(login_line(again, "R1", ALICE, LOCAL_PASSWORD)[-1], "R1", "NO",
                          "too many failed logins from 127.0.0.1")
        # The first connection dialled early (nothing had failed yet); none after the first failure.
        assert upstream.counts()["connections"] - before <= 1, upstream.counts()
        # The same login from another address is as fast as before the attack.
        started = time.monotonic()
        with connect_from("127.0.0.2", port) as other:
            assert_tagged(login_line(other, "B1", ALICE, LOCAL_PASSWORD)[-1], "B1", "OK")
        assert time.monotonic() - started < max(3 * baseline, 0.5)
        metrics = bridge.metrics()
        assert metric(metrics, "mailbridge_login_refusals_total", server="imaps",
                      reason="blocked_address") >= 15
        assert metric(metrics, "mailbridge_login_refusals_total", server="imaps",
                      reason="connection_closed") >= 6
        bridge.assert_alive("a guessing attack")


def test_a_silent_client_is_dropped_after_prelogin_timeout(rig, tmp_path):
    with BridgeDaemon(tmp_path, [("imaps", rig.dovecot.ports["imaps"], "implicit", rig.pki.ca_cert)],
                      [account_block(rig, "alice", ALICE)], idle_timeout=1800,
                      daemon_extra="prelogin_timeout = 5") as bridge:
        with RawImap.connect(bridge.port["imaps"]) as imap:
            imap.greeting()
            started = time.monotonic()
            imap.sock.settimeout(15)
            bye = imap.read_response_line()
            assert bye.startswith(b"* BYE") and b"before login" in bye, bye
            assert 4 <= time.monotonic() - started < 10


def test_a_rotated_local_password_stops_working_at_reload(rig, tmp_path):
    password_file = tmp_path / "alice.pw"
    password_file.write_text("first-password-1234\n")
    account = account_block(rig, "alice", ALICE).replace(
        f'local_password = "{LOCAL_PASSWORD}"', f'local_password = {{ file = "{password_file}" }}')
    with BridgeDaemon(tmp_path / "d", [("imaps", rig.dovecot.ports["imaps"], "implicit",
                                        rig.pki.ca_cert)], [account]) as bridge:
        port = bridge.port["imaps"]
        with RawImap.connect(port) as imap:
            imap.greeting()
            assert_tagged(login_line(imap, "L1", ALICE, "first-password-1234")[-1], "L1", "OK")
        password_file.write_text("second-password-5678\n")
        bridge.process.signal(signal.SIGHUP)
        bridge.process.wait_for_log("reloaded ")
        with RawImap.connect(port) as imap:
            imap.greeting()
            assert_tagged(login_line(imap, "L2", ALICE, "first-password-1234")[-1], "L2", "NO",
                          "wrong local password")
        with RawImap.connect(port) as imap:
            imap.greeting()
            assert_tagged(login_line(imap, "L3", ALICE, "second-password-5678")[-1], "L3", "OK")


def hash_password(password):
    done = run_cli("hash-password", input_text=password + "\n")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_domain_accounts_check_per_login_passwords(rig, tmp_path):
    table = tmp_path / "staff.passwords"
    table.write_text(f"# per-login passwords\n{ALICE}:{hash_password('alice-own-pw-1')}\n"
                     f"{BOB.upper()}:{hash_password('bob-own-pw-2')}\n")
    account = account_block(rig, "staff", "*@example.com", cc_email=ALICE, upstream_user=ALICE,
                            password="shared-pw-3") + f'local_passwords = {{ file = "{table}" }}\n'
    with BridgeDaemon(tmp_path / "d", [("imaps", rig.dovecot.ports["imaps"], "implicit",
                                        rig.pki.ca_cert)], [account]) as bridge:
        port = bridge.port["imaps"]

        def attempt(source, user, password):
            with connect_from(source, port) as imap:
                return login_line(imap, "L", user, password)[-1]

        # Each attempt from its own address, so the guessing limits stay out of the way.
        assert_tagged(attempt("127.0.1.1", ALICE, "alice-own-pw-1"), "L", "OK")
        assert_tagged(attempt("127.0.1.2", ALICE, "bob-own-pw-2"), "L", "NO", "wrong local password")
        assert_tagged(attempt("127.0.1.3", ALICE, "shared-pw-3"), "L", "NO", "wrong local password")
        assert_tagged(attempt("127.0.1.4", BOB, "bob-own-pw-2"), "L", "OK")
        assert_tagged(attempt("127.0.1.5", "carol@example.com", "shared-pw-3"), "L", "OK")
        assert_tagged(attempt("127.0.1.6", "carol@example.com", "alice-own-pw-1"), "L", "NO",
                      "wrong local password")


def test_failure_answers_name_no_file_but_the_log_does(rig, tmp_path):
    password_file = tmp_path / "secret-dir" / "alice.pw"
    password_file.parent.mkdir()
    password_file.write_text("some-password-1234\n")
    account = account_block(rig, "alice", ALICE).replace(
        f'local_password = "{LOCAL_PASSWORD}"', f'local_password = {{ file = "{password_file}" }}')
    with BridgeDaemon(tmp_path / "d", [("imaps", rig.dovecot.ports["imaps"], "implicit",
                                        rig.pki.ca_cert)], [account]) as bridge:
        os.unlink(password_file)
        with RawImap.connect(bridge.port["imaps"]) as imap:
            imap.greeting()
            line = login_line(imap, "L1", ALICE, "some-password-1234")[-1]
        assert_tagged(line, "L1", "NO", r"\[UNAVAILABLE\]", "cannot be checked now")
        assert b"secret-dir" not in line and b"alice.pw" not in line, line
        wait_until(lambda: "secret-dir/alice.pw" in bridge.log(), 5, "the log naming the file")


def test_logins_do_not_grow_the_set_of_masked_log_values(rig_factory, tmp_path):
    # Real sizes: Microsoft's access tokens are 1.5-3 KB JWTs (the rig's opaque ones 43 bytes).
    rig = rig_factory(access_token_bytes=2048)
    with BridgeDaemon(tmp_path, [("imaps", rig.dovecot.ports["imaps"], "implicit", rig.pki.ca_cert)],
                      [account_block(rig, "alice", ALICE)], log_level=5) as bridge:
        def one_login(tag):
            with RawImap.connect(bridge.port["imaps"]) as imap:
                imap.greeting()
                assert_tagged(login_line(imap, tag, ALICE, LOCAL_PASSWORD)[-1], tag, "OK")
                imap.command("Z", "LOGOUT")

        one_login("L0")
        after_first = metric(bridge.metrics(), "mailbridge_log_masked_values")
        assert after_first >= 2  # the client secret and the live token, at least
        for i in range(30):
            one_login(f"L{i + 1}")
        assert metric(bridge.metrics(), "mailbridge_log_masked_values") == after_first
        # The trace shows that credentials were sent, never what they were.
        log = bridge.log()
        assert "AUTHENTICATE [credentials," in log, log[-2000:]
        assert "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtp" not in log  # a token's first bytes

"""TLS towards local clients, end to end against the rig's Dovecot: on a local_tls = "starttls"
listener no credentials are taken before STARTTLS/STLS (IMAP LOGINDISABLED + NO [PRIVACYREQUIRED],
POP3 -ERR [AUTH], SMTP 530 5.7.0) and everything works after it; implicit-TLS IMAP and POP3
listeners; clients verify the bridge's certificate with the rig's CA. Also the start and reload
warnings for a plain listener bound to a non-loopback address."""
import imaplib
import poplib
import re
import signal
import smtplib

import pytest

from bridge_fixtures import (ALICE, LOCAL_PASSWORD, TIMEOUT, BridgeDaemon, Listener, RawImap,
                             account_block, assert_tagged, local_tls_lines, plain_ir, server_block,
                             wait_until)
from rig.ports import free_port
from rig import clients

# listener name → (protocol, Dovecot port name, local_tls)
LISTENERS = {
    "imap-stls": ("imap", "imaps", "starttls"),
    "imap-tls": ("imap", "imaps", "implicit"),
    "pop3-stls": ("pop3", "pop3s", "starttls"),
    "pop3-tls": ("pop3", "pop3s", "implicit"),
    "smtp-stls": ("smtp", "submissions", "starttls"),
}


@pytest.fixture(scope="module")
def bridge(rig, tmp_path_factory):
    d, pki = rig.dovecot, rig.pki
    daemon = BridgeDaemon(tmp_path_factory.mktemp("local-tls"),
                          [Listener(name, d.ports[up], "implicit", pki.ca_cert, protocol=protocol,
                                    extra=local_tls_lines(pki, mode))
                           for name, (protocol, up, mode) in LISTENERS.items()],
                          [account_block(rig, "alice", ALICE)]).start()
    yield daemon
    assert daemon.stop() == 0


def tls(rig):
    return clients.ssl_context(rig.pki.ca_cert)


# ---- IMAP ----------------------------------------------------------------------------------------------
def test_imap_starttls_listener_refuses_credentials_before_tls(bridge):
    with RawImap.connect(bridge.port["imap-stls"]) as s:
        greeting = s.greeting().decode()
        assert "STARTTLS" in greeting and "LOGINDISABLED" in greeting, greeting
        assert "AUTH=PLAIN" not in greeting and "SASL-IR" not in greeting, greeting
        untagged, done = s.command("C1", "CAPABILITY")
        assert_tagged(done, "C1", "OK")
        assert b" LOGINDISABLED" in untagged and b"AUTH=PLAIN" not in untagged, untagged
        _, done = s.login()
        text = assert_tagged(done, "L1", "NO", r"\[PRIVACYREQUIRED\]", "STARTTLS")
        assert LOCAL_PASSWORD not in text
        _, done = s.command("A1", f"AUTHENTICATE PLAIN {plain_ir(ALICE, LOCAL_PASSWORD)}")
        assert_tagged(done, "A1", "NO", r"\[PRIVACYREQUIRED\]", "STARTTLS")
        _, done = s.command("A2", "AUTHENTICATE PLAIN")  # no continuation is offered either
        assert_tagged(done, "A2", "NO", r"\[PRIVACYREQUIRED\]")
        _, done = s.command("N1", "NOOP")  # the session is still usable
        assert_tagged(done, "N1", "OK")
    assert bridge.alive()


def test_imap_starttls_then_login(rig, bridge):
    im = imaplib.IMAP4("127.0.0.1", bridge.port["imap-stls"], timeout=TIMEOUT)
    try:
        assert "LOGINDISABLED" in im.capabilities
        im.starttls(ssl_context=tls(rig))
        assert "AUTH=PLAIN" in im.capabilities and "LOGINDISABLED" not in im.capabilities
        assert "STARTTLS" not in im.capabilities
        assert im.login(ALICE, LOCAL_PASSWORD)[0] == "OK"
        typ, data = im.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == len(rig.seeded)
    finally:
        im.logout()


def test_imap_implicit_tls(rig, bridge):
    with imaplib.IMAP4_SSL("127.0.0.1", bridge.port["imap-tls"], ssl_context=tls(rig),
                           timeout=TIMEOUT) as im:
        assert "AUTH=PLAIN" in im.capabilities
        assert "STARTTLS" not in im.capabilities and "LOGINDISABLED" not in im.capabilities
        assert im.login(ALICE, LOCAL_PASSWORD)[0] == "OK"
        typ, data = im.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == len(rig.seeded)


# ---- POP3 ----------------------------------------------------------------------------------------------
def test_pop3_starttls_listener_refuses_credentials_before_tls(bridge):
    p = poplib.POP3("127.0.0.1", bridge.port["pop3-stls"], timeout=TIMEOUT)
    try:
        caps = p.capa()
        assert "STLS" in caps and "USER" not in caps and "SASL" not in caps, caps
        for command in ("USER " + ALICE, "PASS " + LOCAL_PASSWORD,
                        "AUTH PLAIN " + plain_ir(ALICE, LOCAL_PASSWORD)):
            with pytest.raises(poplib.error_proto) as refused:
                p._shortcmd(command)
            text = refused.value.args[0].decode()
            assert text.startswith("-ERR [AUTH] ") and "STLS" in text, text
            assert LOCAL_PASSWORD not in text
        assert p.noop().startswith(b"+OK")
    finally:
        p.quit()


def test_pop3_stls_then_login(rig, bridge):
    p = poplib.POP3("127.0.0.1", bridge.port["pop3-stls"], timeout=TIMEOUT)
    try:
        p.stls(context=tls(rig))
        caps = p.capa()
        assert "USER" in caps and "STLS" not in caps, caps
        p.user(ALICE)
        assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
        assert p.stat()[0] == len(rig.seeded)
    finally:
        p.quit()


def test_pop3_implicit_tls(rig, bridge):
    p = poplib.POP3_SSL("127.0.0.1", bridge.port["pop3-tls"], context=tls(rig), timeout=TIMEOUT)
    try:
        assert "STLS" not in p.capa()
        p.user(ALICE)
        assert p.pass_(LOCAL_PASSWORD).startswith(b"+OK")
        assert p.stat()[0] == len(rig.seeded)
    finally:
        p.quit()


# ---- SMTP ----------------------------------------------------------------------------------------------
def test_smtp_starttls_listener_refuses_auth_before_tls(rig, bridge):
    with smtplib.SMTP("127.0.0.1", bridge.port["smtp-stls"], timeout=TIMEOUT) as s:
        s.ehlo("c")
        assert s.has_extn("starttls") and not s.has_extn("auth"), s.esmtp_features
        code, text = s.docmd("AUTH", "PLAIN " + plain_ir(ALICE, LOCAL_PASSWORD))
        assert (code, text) == (530, b"5.7.0 Must issue a STARTTLS command first")
        code, _ = s.docmd("AUTH", "LOGIN")
        assert code == 530
        s.starttls(context=tls(rig))
        s.ehlo("c")
        assert s.has_extn("auth") and not s.has_extn("starttls"), s.esmtp_features
        assert s.login(ALICE, LOCAL_PASSWORD)[0] == 235


# ---- warnings for listeners exposed without TLS --------------------------------------------------------
def test_warns_about_plain_listeners_off_loopback(rig, tmp_path):
    """Binds 0.0.0.0 on ephemeral ports; the test only connects over 127.0.0.1."""
    d = rig.dovecot
    ca = rig.pki.ca_cert
    daemon = BridgeDaemon(tmp_path, [Listener("exposed", d.ports["imaps"], "implicit", ca,
                                              listen_host="0.0.0.0"),
                                     Listener("guarded", d.ports["imaps"], "implicit", ca,
                                              listen_host="0.0.0.0",
                                              extra=local_tls_lines(rig.pki, "implicit")),
                                     Listener("local", d.ports["imaps"], "implicit", ca)],
                          [account_block(rig, "alice", ALICE)])
    text = daemon.config_text.replace('health_listen = "127.0.0.1:', 'health_listen = "0.0.0.0:')
    daemon.process.rewrite_config(text)
    daemon.start()
    try:
        log = daemon.log()
        assert re.search(r" warning \[\[server\]\] exposed listens on 0\.0\.0\.0:\d+ \(not "
                         r"loopback\) with local_tls = \"none\".*set local_tls", log), log
        assert re.search(r" warning \[daemon\] health_listen = \"0\.0\.0\.0:\d+\" is not loopback", log), log
        assert "[[server]] guarded" not in log and "[[server]] local" not in log

        # A reload reports only what is new: a second exposed listener, not the first again.
        added = free_port()
        text += server_block("added", added, d.ports["imaps"], "implicit", ca, listen_host="0.0.0.0")
        daemon.process.rewrite_config(text)
        daemon.process.signal(signal.SIGHUP)
        wait_until(lambda: "reloaded " in daemon.log(), TIMEOUT, "the reload")
        log = daemon.log()
        assert re.search(r" warning reload: \[\[server\]\] added listens on 0\.0\.0\.0", log), log
        assert log.count("[[server]] exposed listens") == 1, log
        assert log.count("health_listen = \"0.0.0.0") == 1, log
    finally:
        assert daemon.stop() == 0

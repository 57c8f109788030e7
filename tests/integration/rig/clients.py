# Small client-side helpers for tests: TLS context trusting the rig CA, XOAUTH2/OAUTHBEARER strings,
# imaplib/poplib/smtplib logins with a token (answering the error continuation), and an HTTP CONNECT
# client for the squids that does Basic and Digest (RFC 7616, MD5, qop=auth) itself.
import base64
import hashlib
import imaplib
import os
import poplib
import re
import smtplib
import socket
import ssl

TIMEOUT = 15


def ssl_context(ca_file):
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def xoauth2(user, token):
    """Raw (not base64) XOAUTH2 initial response."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer(user, token, host="127.0.0.1", port=None):
    extra = f"host={host}\x01" + (f"port={port}\x01" if port else "")
    return f"n,a={user},\x01{extra}auth=Bearer {token}\x01\x01".encode()


def b64(data):
    return base64.b64encode(data).decode()


def _authobject(initial, reply_to_error=b""):
    state = {"sent": False}

    def mech(challenge):
        if not state["sent"]:
            state["sent"] = True
            return initial
        return reply_to_error  # server sent an error continuation (base64 JSON): answer empty / \x01
    return mech


def imap_connect(port, ca_file, host="127.0.0.1", starttls=False):
    if starttls:
        im = imaplib.IMAP4(host, port, timeout=TIMEOUT)
        im.starttls(ssl_context(ca_file))
        return im
    return imaplib.IMAP4_SSL(host, port, ssl_context=ssl_context(ca_file), timeout=TIMEOUT)


def imap_xoauth2(im, user, token, mech="XOAUTH2"):
    """AUTHENTICATE with a token on an imaplib connection; returns (typ, data); raises imaplib.IMAP4.error on NO."""
    if mech == "XOAUTH2":
        return im.authenticate("XOAUTH2", _authobject(xoauth2(user, token)))
    return im.authenticate("OAUTHBEARER", _authobject(oauthbearer(user, token), b"\x01"))


def pop3_connect(port, ca_file, host="127.0.0.1", starttls=False):
    if starttls:
        p = poplib.POP3(host, port, timeout=TIMEOUT)
        p.stls(ssl_context(ca_file))
        return p
    return poplib.POP3_SSL(host, port, context=ssl_context(ca_file), timeout=TIMEOUT)


def pop3_xoauth2(p, user, token):
    """AUTH XOAUTH2 with initial response; answers an error continuation with an empty line."""
    p._putcmd("AUTH XOAUTH2 " + b64(xoauth2(user, token)))
    line, _ = p._getline()
    if line == b"+" or line.startswith(b"+ "):  # error continuation, not +OK
        p._putcmd("")
        line, _ = p._getline()
    if not line.startswith(b"+OK"):
        raise poplib.error_proto(line)
    return line


def smtp_connect(port, ca_file, host="127.0.0.1", implicit_tls=False):
    if implicit_tls:
        s = smtplib.SMTP_SSL(host, port, context=ssl_context(ca_file), timeout=TIMEOUT)
    else:
        s = smtplib.SMTP(host, port, timeout=TIMEOUT)
        s.ehlo("client.rig.test")
        s.starttls(context=ssl_context(ca_file))
    s.ehlo("client.rig.test")
    return s


def smtp_xoauth2(s, user, token):
    """AUTH XOAUTH2 sent as `AUTH XOAUTH2` + 334 continuation (Dovecot rejects long AUTH lines).
    Returns (code, msg); on an error continuation sends an empty line and returns the final reply."""
    code, msg = s.docmd("AUTH", "XOAUTH2")
    if code != 334:
        return code, msg
    code, msg = s.docmd(b64(xoauth2(user, token)))
    if code == 334:
        code, msg = s.docmd("")
    return code, msg


# ---- HTTP CONNECT through a proxy -------------------------------------------------------------------
def _read_response(sock):
    """Read one HTTP response head (+ its Content-Length body); returns (status, headers dict lower, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"proxy closed connection; got {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    n = int(headers.get("content-length", ["0"])[0])
    if status == 200 and "content-length" not in headers:
        n = 0
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def digest_authorization(challenge, user, password, method, uri, nc=1, cnonce=None):
    """Proxy-Authorization value answering a Digest challenge (MD5, qop=auth), RFC 2617/7616."""
    params = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', challenge)}
    realm, nonce = params["realm"], params["nonce"]
    qop = params.get("qop", "")
    cnonce = cnonce or os.urandom(8).hex()
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    ncs = f"{nc:08x}"
    if "auth" in [q.strip() for q in qop.split(",")]:
        resp = md5(f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
                f'cnonce="{cnonce}", nc={ncs}, qop=auth, response="{resp}"'
                + (f', opaque="{params["opaque"]}"' if "opaque" in params else ""))
    resp = md5(f"{ha1}:{nonce}:{ha2}")
    return f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", response="{resp}"'


def proxy_connect(proxy_port, target_port, user=None, password=None, target_host="127.0.0.1",
                  proxy_host="127.0.0.1", timeout=TIMEOUT):
    """CONNECT through the proxy, answering a 407 Basic or Digest challenge when credentials are given.
    Returns (status, socket, headers); on 200 the socket is the raw tunnel."""
    sock = socket.create_connection((proxy_host, proxy_port), timeout=timeout)
    target = f"{target_host}:{target_port}"
    req = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
    sock.sendall((req + "\r\n").encode())
    status, headers, _ = _read_response(sock)
    if status != 407 or user is None:
        return status, sock, headers
    challenge = headers.get("proxy-authenticate", [""])[0]
    if challenge.lower().startswith("digest"):
        auth = digest_authorization(challenge, user, password, "CONNECT", target)
    else:
        auth = "Basic " + b64(f"{user}:{password}".encode())
    sock.sendall((req + f"Proxy-Authorization: {auth}\r\n\r\n").encode())
    status, headers, _ = _read_response(sock)
    return status, sock, headers

# Writes deterministic test messages straight into Maildir folders (exact bytes kept for comparison):
# mixed sizes (~50 KB and larger), multipart with base64 attachments, RFC 2047 subjects, and hostile
# headers (control chars, NUL, bare CR, 8-bit bytes). Messages use CRLF line ends, like IMAP serves them.
import base64
import os
import random
import time
from dataclasses import dataclass

KINDS = ("plain", "rfc2047", "multipart", "large", "hostile", "big")


@dataclass
class SeededMessage:
    index: int          # 0-based order of seeding (== IMAP sequence number - 1 in a fresh folder)
    kind: str
    subject: str        # the Subject header value as written (may be encoded-words)
    data: bytes         # exact bytes written to the maildir file
    path: str
    filename: str

    def imap_bytes(self):
        """Bytes Dovecot is expected to serve as BODY[]: it turns a NUL into 0x80 (see PEERS.md)."""
        return self.data.replace(b"\x00", b"\x80")

    @property
    def size(self):
        return len(self.data)


def _text_lines(rng, n_bytes, width=72):
    words = ["mail", "bridge", "oauth", "token", "imap", "relay", "quux", "lorem", "ipsum", "dolor",
             "sit", "amet", "alpha", "beta", "gamma", "delta", "12345", "x"]
    out, size = [], 0
    while size < n_bytes:
        line = []
        while sum(len(w) + 1 for w in line) < width:
            line.append(rng.choice(words))
        s = " ".join(line)
        if s.startswith("."):
            s = " " + s
        out.append(s)
        size += len(s) + 2
    return "\r\n".join(out) + "\r\n"


def _headers(i, to, subject, extra=b""):
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(1700000000 + i * 3600))
    h = (f"Return-Path: <sender{i}@example.net>\r\n"
         f"From: Sender {i} <sender{i}@example.net>\r\n"
         f"To: <{to}>\r\n"
         f"Subject: {subject}\r\n"
         f"Date: {date}\r\n"
         f"Message-ID: <seed-{i}@rig.test>\r\n"
         "MIME-Version: 1.0\r\n").encode()
    return h + extra


def make_message(i, kind, to, rng):
    """Return (subject, bytes) for message number i of the given kind."""
    if kind == "plain":
        subject = f"Plain message {i}"
        body = _text_lines(rng, rng.randint(200, 4000))
        return subject, _headers(i, to, subject, b"Content-Type: text/plain; charset=us-ascii\r\n\r\n") + body.encode()
    if kind == "rfc2047":
        subject = "=?UTF-8?B?" + base64.b64encode(f"Grüße {i} – Ünïcödé ✓".encode()).decode() + "?= " \
                  "=?ISO-8859-1?Q?caf=E9_" + str(i) + "?="
        body = f"Hällo {i}, encoded subject test.\r\n".encode("utf-8") + _text_lines(rng, 500).encode()
        return subject, _headers(i, to, subject, b"Content-Type: text/plain; charset=utf-8\r\n"
                                 b"Content-Transfer-Encoding: 8bit\r\n\r\n") + body
    if kind in ("multipart", "large", "big"):
        att_size = {"multipart": rng.randint(2000, 20000), "large": 50 * 1024, "big": 300 * 1024}[kind]
        subject = f"{kind.capitalize()} multipart {i} with attachment"
        boundary = f"=_rig_boundary_{i}_{rng.randint(0, 10**9)}"
        att = bytes(rng.getrandbits(8) for _ in range(att_size))
        b64 = base64.b64encode(att).decode()
        b64 = "\r\n".join(b64[j:j + 76] for j in range(0, len(b64), 76))
        body = (f"This is a multi-part message in MIME format.\r\n\r\n--{boundary}\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                + _text_lines(rng, 600) +
                f"\r\n--{boundary}\r\n"
                f"Content-Type: application/octet-stream; name=\"blob{i}.bin\"\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                f"Content-Disposition: attachment; filename=\"blob{i}.bin\"\r\n\r\n"
                + b64 + f"\r\n--{boundary}--\r\n")
        return subject, _headers(i, to, subject, f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
                                 .encode()) + body.encode()
    if kind == "hostile":
        subject = f"Hostile headers {i}"
        extra = (b"X-Control: a\x01b\x07c\x1bd\x7fe\r\n"
                 b"X-Nul: before\x00after\r\n"
                 b"X-Bare-CR: one\rtwo\r\n"
                 b"X-Eight-Bit: caf\xe9 \xff\xfe raw\r\n"
                 b"X-Long: " + b"y" * 1200 + b"\r\n"
                 b"Content-Type: text/plain; charset=iso-8859-1\r\n"
                 b"Content-Transfer-Encoding: 8bit\r\n\r\n")
        body = b"Body with 8-bit \xe4\xf6\xfc bytes.\r\n.leading dot line\r\n" + _text_lines(rng, 300).encode()
        return subject, _headers(i, to, subject, extra) + body
    raise ValueError(kind)


def seed_maildir(maildir, n, to="alice@example.com", seed=1, kinds=None, start_index=0, new=True):
    """Write n messages into Maildir directory `maildir` (its new/ or cur/). kinds: a sequence cycled
    through (default KINDS). Returns [SeededMessage] in order; filenames sort in that order."""
    rng = random.Random(seed)
    kinds = list(kinds or KINDS)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    out = []
    base_t = 1700000000
    for k in range(n):
        i = start_index + k
        kind = kinds[k % len(kinds)]
        subject, data = make_message(i, kind, to, rng)
        fname = f"{base_t + i}.M{i:06d}P{seed}.rig"
        if not new:
            fname += ":2,"
        path = os.path.join(maildir, "new" if new else "cur", fname)
        tmp = os.path.join(maildir, "tmp", fname)
        with open(tmp, "wb") as f:
            f.write(data)
        os.utime(tmp, (base_t + i, base_t + i))
        os.rename(tmp, path)
        out.append(SeededMessage(i, kind, subject, data, path, fname))
    return out


def seed_user(dovecot, user, n, folder=None, **kw):
    """Seed n messages for `user` of a rig.dovecot.Dovecot (INBOX or folder), fixing ownership."""
    md = dovecot.ensure_maildir(user, folder)
    msgs = seed_maildir(md, n, to=user, **kw)
    dovecot.fix_owner(dovecot.home(user))
    return msgs


def create_folder(dovecot, user, folder):
    """Create another (empty) mailbox folder for user; Maildir++ name '.folder'. Returns its path."""
    return dovecot.ensure_maildir(user, folder)

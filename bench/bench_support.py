"""What the benchmarks in bench/ share: their main() (the command line with --bin, a private rig
started and always stopped with every bridge started on it), the bulk mailbox and the timed FETCH
several of them measure, and the printing of a summary. Run from the repository root with
PYTHONPATH=tests/integration (see bench/README.md)."""
import argparse
import base64
import os
import sys
import tempfile
import time

import mailbridge_process
from bridge_fixtures import ALICE, account_block, rig_bridge
from rig.stack import Rig


def main(doc, run, add_options=None, rig_options=None, prepare=None):
    """The whole main() of a benchmark: parse the command line (--bin, then add_options(parser)),
    call prepare(args) if given, start a Rig(**rig_options(args)), call run(args, bench), stop
    every bridge and the rig, and exit with run's status. `doc`: the module docstring (its first
    line describes the bench)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--bin", default=mailbridge_process.BINARY, help="mailbridge binary")
    if add_options:
        add_options(parser)
    args = parser.parse_args()
    mailbridge_process.BINARY = os.path.abspath(args.bin)
    if prepare:
        prepare(args)
    with Bench(**(rig_options(args) if rig_options else {})) as bench:
        status = run(args, bench)
    sys.exit(status)


class Bench:
    """A started rig (.rig) and what runs against it: bridges and helpers started through this
    object are stopped, newest first, before the rig when the `with` block ends."""

    def __init__(self, **rig_options):
        self.rig = Rig(**rig_options)
        self._running = []

    def __enter__(self):
        print("starting the rig ...", flush=True)
        try:
            self.rig.start()
        except BaseException:
            self.rig.stop()
            raise
        return self

    def __exit__(self, *exc):
        while self._running:
            try:
                self._running.pop().stop()
            except Exception as error:  # noqa: BLE001 - stop the rest, then the rig
                print(f"stopping: {error!r}", file=sys.stderr)
        self.rig.stop()

    def bridge(self, accounts=None, **kw):
        """A started BridgeDaemon in front of the rig's Dovecot (bridge_fixtures.rig_bridge, e.g.
        listeners=["imaps"] or protocol="smtp"); account 'alice' unless `accounts`."""
        accounts = accounts if accounts is not None else [account_block(self.rig, "alice", ALICE)]
        return self.start(rig_bridge(self.rig, self.directory(), accounts=accounts, start=False,
                                     **kw))

    def start(self, daemon):
        """Start a BridgeDaemon made elsewhere (e.g. test_proxy.proxied_bridge); stopped at the end."""
        self._running.append(daemon)
        return daemon.start()

    def stop_at_end(self, thing):
        """Anything with .stop() (a TcpForwarder...): stopped with the bridges."""
        self._running.append(thing)
        return thing

    def directory(self):
        """A new directory for a bridge, below the rig's (removed with it)."""
        return tempfile.mkdtemp(prefix="bridge-", dir=self.rig.tmp)


# ---- the bulk mailbox and the timed FETCH -------------------------------------------------------------
def seed_bulk(rig, user, count, size):
    """Write `count` messages of about `size` bytes (base64 of random bytes) into user's INBOX."""
    maildir = rig.dovecot.ensure_maildir(user)
    raw_size = max(0, (size - 400) * 3 // 4)
    total = 0
    for i in range(count):
        body = base64.encodebytes(os.urandom(raw_size)).replace(b"\n", b"\r\n")
        data = (f"From: bench{i}@example.net\r\nTo: <{user}>\r\nSubject: bulk {i}\r\n"
                f"Message-ID: <bulk-{i}@bench.test>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + body
        name = f"{1700000000 + i}.B{i:06d}.bench:2,S"
        with open(os.path.join(maildir, "cur", name), "wb") as f:
            f.write(data)
        total += len(data)
    rig.dovecot.fix_owner(rig.dovecot.home(user))
    return total


def timed_fetch(session, command="UID FETCH 1:* BODY.PEEK[]", open_mailbox="EXAMINE INBOX"):
    """Seconds and bytes for one FETCH on a logged-in RawImap, after `open_mailbox` (None: the
    mailbox already open). Read in big chunks: a bulk FETCH's payload is base64, so the tagged
    completion can only appear at the very end."""
    if open_mailbox:
        _, done = session.command("E1", open_mailbox)
        assert done.startswith(b"E1 OK"), done
    sock = session.sock
    view = memoryview(bytearray(1 << 20))
    received = 0
    tail = b""
    started = time.perf_counter()
    sock.sendall(f"F1 {command}\r\n".encode())
    while True:
        n = sock.recv_into(view)
        if n == 0:
            raise ConnectionError("closed during FETCH")
        received += n
        tail = (tail + bytes(view[max(0, n - 256):n]))[-256:]
        if b"\r\nF1 " in tail and tail.endswith(b"\r\n"):
            line = tail[tail.rindex(b"\r\nF1 ") + 2:]
            if line.count(b"\r\n") == 1:
                break
    elapsed = time.perf_counter() - started
    assert line.startswith(b"F1 OK"), line
    return elapsed, received


# ---- results -----------------------------------------------------------------------------------------
def report(title, rows):
    """Print the summary: a blank line, `title:` and one aligned `label: value` line per row (a
    row with the label "" is a column heading)."""
    print()
    print(f"{title}:")
    width = max((len(label) for label, _ in rows), default=0)
    for label, value in rows:
        print(f"  {label + ':' if label else '':<{width + 1}} {value}")

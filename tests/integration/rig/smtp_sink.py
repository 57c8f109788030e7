# SMTP sink: an aiosmtpd server in its own process (run this module as a script) that stores every
# message byte-exact as NNNNNN.eml plus NNNNNN.json (envelope: mail_from, rcpt_tos, options, peer).
# SmtpSink starts/stops it; messages()/wait_messages() read them back. A file `_reject` makes it answer DATA with its text.
import glob
import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a script: make `rig` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rig.ports import free_port, wait_listen  # noqa: E402
from rig.waiting import WaitTimeout, wait_until  # noqa: E402
from rig.process import Proc  # noqa: E402

PYTHON = "/usr/bin/python3"


class SmtpSink:
    def __init__(self, tmp, port=None, name="smtp-sink"):
        self.dir = os.path.join(tmp, name)
        self.spool = os.path.join(self.dir, "messages")
        os.makedirs(self.spool, exist_ok=True)
        self.port = port or free_port()
        self.log_path = os.path.join(self.dir, "sink.log")
        self.proc = None

    def start(self, timeout=15):
        self.proc = Proc("smtp-sink", [PYTHON, os.path.abspath(__file__), "--dir", self.spool,
                                       "--port", str(self.port)], self.log_path).start()
        wait_listen(self.port, timeout=timeout, proc=self.proc)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()

    def restart(self):
        self.stop()
        self.start()

    def reject_with(self, reply=None):
        """Make DATA fail with e.g. '554 5.6.0 rejected by rig' (None: accept again)."""
        path = os.path.join(self.spool, "_reject")
        if reply is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            with open(path, "w") as f:
                f.write(reply)

    def messages(self):
        """List of dicts: envelope fields + 'data' (exact bytes received after DATA, dot-unstuffed)."""
        out = []
        for meta in sorted(glob.glob(os.path.join(self.spool, "*.json"))):
            with open(meta) as f:
                m = json.load(f)
            with open(meta[:-5] + ".eml", "rb") as f:
                m["data"] = f.read()
            out.append(m)
        return out

    def wait_messages(self, n=1, timeout=10.0):
        """The messages once there are at least n (or all there are after `timeout`)."""
        try:
            return wait_until(lambda: (lambda msgs: msgs if len(msgs) >= n else None)(self.messages()),
                              timeout, f"{n} messages in the sink")
        except WaitTimeout:
            return self.messages()

    def clear(self):
        for p in glob.glob(os.path.join(self.spool, "*.json")) + glob.glob(os.path.join(self.spool, "*.eml")):
            os.unlink(p)


def _serve(spool, port):
    import signal
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.n = len(glob.glob(os.path.join(spool, "*.json")))

        async def handle_DATA(self, server, session, envelope):
            rej = os.path.join(spool, "_reject")
            if os.path.exists(rej):
                with open(rej) as f:
                    return f.read().strip()
            self.n += 1
            base = os.path.join(spool, f"{int(time.time() * 1000):013d}-{self.n:06d}")
            with open(base + ".eml", "wb") as f:
                f.write(envelope.original_content)
            meta = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                    "mail_options": list(envelope.mail_options), "rcpt_options": list(envelope.rcpt_options),
                    "peer": list(session.peer) if session.peer else None, "helo": session.host_name,
                    "size": len(envelope.original_content), "received_at": time.time()}
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f)
            os.rename(base + ".json.tmp", base + ".json")
            return "250 2.0.0 OK stored by rig sink"

    ctl = Controller(Handler(), hostname="127.0.0.1", port=port, decode_data=False,
                     data_size_limit=64 * 1024 * 1024, ready_timeout=10, server_hostname="sink.rig.test")
    ctl.start()
    print(f"smtp sink listening on 127.0.0.1:{port}, spool {spool}", flush=True)
    stop = {"flag": False}

    def on_sig(*_):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)
    while not stop["flag"]:
        time.sleep(0.1)
    ctl.stop()


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    _serve(a.dir, a.port)

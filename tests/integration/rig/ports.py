# Free ephemeral TCP ports on 127.0.0.1 and waiting for a listener to come up. free_port() is the
# only one in the tests, the rig and the benchmarks: it binds port 0 and releases it, and never
# returns a port it handed out before in this process (the rig's and the bridges' alike).
# wait_listen() polls connect() until the port accepts or a deadline passes.
import socket

from .waiting import wait_until

HOST = "127.0.0.1"
_handed_out = set()


def free_port():
    """Return a currently free TCP port on 127.0.0.1, never one handed out before by this process
    (a port given to one daemon that has not bound it yet must not go to another)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port found")


def is_listening(port, host=HOST, timeout=0.2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_listen(port, host=HOST, timeout=15.0, proc=None):
    """Wait until host:port accepts TCP connections. If proc (a rig.process.Proc) dies first, raise."""
    def listening():
        if is_listening(port, host):
            return True
        if proc is not None and not proc.running():
            raise RuntimeError(f"{proc.name} exited (rc={proc.returncode()}) before listening on {port}; "
                               f"log {proc.log_path}:\n{proc.log_tail()}")
        return False
    wait_until(listening, timeout, f"a listener on {host}:{port}")

# Free ephemeral TCP ports on 127.0.0.1 and waiting for a listener to come up.
# free_port() binds port 0 and releases it; ports handed out in this process are never reused.
# wait_listen() polls connect() until the port accepts or a deadline passes.
import socket
import time

HOST = "127.0.0.1"
_handed_out = set()


def free_port():
    """Return a currently free TCP port on 127.0.0.1 (not handed out before by this process)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port found")


def free_ports(n):
    return [free_port() for _ in range(n)]


def is_listening(port, host=HOST, timeout=0.2):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_listen(port, host=HOST, timeout=15.0, proc=None):
    """Wait until host:port accepts TCP connections. If proc (a rig.process.Proc) dies first, raise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port, host):
            return
        if proc is not None and not proc.running():
            raise RuntimeError(f"{proc.name} exited (rc={proc.returncode()}) before listening on {port}; "
                               f"log {proc.log_path}:\n{proc.log_tail()}")
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")

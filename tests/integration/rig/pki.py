# Test PKI made with the openssl CLI: a rig CA and a server cert for 127.0.0.1/localhost, plus an
# unrelated second CA with its own 127.0.0.1 cert and a rig-CA cert for a wrong hostname (TLS-failure
# tests). All keys are P-256 and throwaway; make_pki(dir) returns the file paths as a Pki.
import os
from dataclasses import dataclass, asdict

from .process import run


@dataclass
class Pki:
    dir: str
    ca_cert: str           # trust anchor of the rig
    ca_key: str
    server_cert: str       # CN/SAN 127.0.0.1, localhost; signed by ca
    server_key: str
    server_chain: str      # server_cert + ca_cert concatenated
    other_ca_cert: str     # unrelated CA (not trusted by anything)
    other_ca_key: str
    other_server_cert: str  # SAN 127.0.0.1, localhost; signed by other_ca (untrusted chain)
    other_server_key: str
    wrong_host_cert: str   # signed by ca, SAN wrong-host.invalid only (hostname mismatch)
    wrong_host_key: str

    def as_dict(self):
        return asdict(self)


def _ca(d, name, cn):
    key, crt = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.crt")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", crt, "-days", "3650", "-subj", f"/O=mailbridge test rig/CN={cn}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    return crt, key


def _leaf(d, name, cn, sans, ca_crt, ca_key):
    key, csr, crt = (os.path.join(d, f"{name}.{e}") for e in ("key", "csr", "crt"))
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
                f"subjectAltName={sans}\n")
    run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", f"/O=mailbridge test rig/CN={cn}"])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
         "-out", crt, "-days", "825", "-sha256", "-extfile", ext])
    return crt, key


def make_pki(d):
    """Create all certificates in directory d (created if needed) and return a Pki."""
    os.makedirs(d, exist_ok=True)
    ca_crt, ca_key = _ca(d, "ca", "mailbridge rig CA")
    srv_crt, srv_key = _leaf(d, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", ca_crt, ca_key)
    oca_crt, oca_key = _ca(d, "other-ca", "unrelated rig CA")
    osrv_crt, osrv_key = _leaf(d, "other-server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost",
                               oca_crt, oca_key)
    wh_crt, wh_key = _leaf(d, "wrong-host", "wrong-host.invalid", "DNS:wrong-host.invalid",
                           ca_crt, ca_key)
    chain = os.path.join(d, "server-chain.crt")
    with open(chain, "w") as out:
        for p in (srv_crt, ca_crt):
            with open(p) as f:
                out.write(f.read())
    for p in os.listdir(d):  # readable by unprivileged daemons (squid drops to 'proxy')
        os.chmod(os.path.join(d, p), 0o644)
    return Pki(d, ca_crt, ca_key, srv_crt, srv_key, chain, oca_crt, oca_key, osrv_crt, osrv_key,
               wh_crt, wh_key)

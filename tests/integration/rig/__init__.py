# mailbridge integration test rig: real peers (oidc-provider, Dovecot, squid, an aiosmtpd sink) on 127.0.0.1.
# Import as `rig` with PYTHONPATH=tests/integration; `rig.stack.Rig` starts everything, conftest.py wraps it.
# Every process is spawned in its own process group and stopped at teardown and at interpreter exit.

# pytest fixtures for the mailbridge integration rig (run with PYTHONPATH=tests/integration).
# `rig`: one rig.stack.Rig per test session (per pytest process), always stopped; `rig_factory`:
# extra private rigs for tests that break things. Set RIG_KEEP_TMP=1 to keep the temp dirs.
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rig.stack import Rig  # noqa: E402
from rig import seeder  # noqa: E402


@pytest.fixture(scope="session")
def rig():
    """Running rig: .oauth .dovecot .dovecot_pw .sink .squid_basic .squid_digest .pki .users .tmp.
    The OAuth2-only Dovecot has `SEED_COUNT` seeded messages for alice in INBOX (rig.seeded)."""
    r = Rig(password_dovecot=True, squid_https=True)
    try:
        r.start()
        r.seeded = seeder.seed_user(r.dovecot, "alice@example.com", SEED_COUNT, seed=42)
        yield r
    finally:
        r.stop()


SEED_COUNT = 12


@pytest.fixture
def rig_factory():
    """Call rig_factory(**Rig kwargs) to get another started, isolated Rig; stopped after the test."""
    made = []

    def make(**kw):
        r = Rig(**kw)
        made.append(r)
        return r.start()
    try:
        yield make
    finally:
        for r in made:
            r.stop()


@pytest.fixture(scope="session")
def oauth(rig):
    return rig.oauth


@pytest.fixture(scope="session")
def dovecot(rig):
    return rig.dovecot


@pytest.fixture(scope="session")
def sink(rig):
    return rig.sink


@pytest.fixture(scope="session")
def ca_file(rig):
    return rig.pki.ca_cert


@pytest.fixture
def tmp(rig):
    """The session rig's temp dir (all logs, maildirs, certs live below it)."""
    return rig.tmp

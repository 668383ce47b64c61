"""The standalone signer and verifier: no Django in it (a receiver copies the file), and it agrees
with the test's own reading of the specification."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.webhooks import standard_webhooks as sw

from .support import independent_verify

MODULE = Path(sw.__file__)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
BODY = b'{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1"}}'


def test_the_module_runs_without_django():
    assert "django" not in MODULE.read_text()
    code = ("import sys, importlib.util as u; s=u.spec_from_file_location('sw', sys.argv[1]); m=u.module_from_spec(s); "
            "s.loader.exec_module(m); h=m.headers('whsec_'+'QUJD'*8, 'msg_1', b'{}'); "
            "print(m.verify('whsec_'+'QUJD'*8, h, b'{}') == {} and 'django' not in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(MODULE)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_signatures_agree_with_an_independent_implementation():
    headers = sw.headers(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", BODY, timestamp=1614265330)
    assert independent_verify(SECRET, headers, BODY, now=1614265330)
    assert sw.verify(SECRET, headers, BODY, now=1614265330) == json.loads(BODY)


def test_two_secrets_give_two_signatures_and_either_verifies():
    other = sw.generate_secret()
    headers = sw.headers([SECRET, other], "msg_1", BODY, timestamp=1000)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert sw.verify(SECRET, headers, BODY, now=1000) and sw.verify(other, headers, BODY, now=1000)


@pytest.mark.parametrize("change", ["body", "id", "old", "future", "missing", "secret"])
def test_a_tampered_stale_or_unsigned_message_is_refused(change):
    headers = sw.headers(SECRET, "msg_1", BODY, timestamp=1000)
    body, now, secret = BODY, 1000, SECRET
    if change == "body":
        body = BODY.replace(b"contact", b"kontakt")
    elif change == "id":
        headers["webhook-id"] = "msg_2"
    elif change == "old":
        now = 1000 + 301
    elif change == "future":
        now = 1000 - 301
    elif change == "missing":
        del headers["webhook-signature"]
    else:
        secret = sw.generate_secret()
    assert not independent_verify(secret, headers, body, now=now)
    with pytest.raises(sw.WebhookVerificationError):
        sw.verify(secret, headers, body, now=now)

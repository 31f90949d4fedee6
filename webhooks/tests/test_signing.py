"""The signature recipe of docs/webhooks.md verifies what ``webhooks.signing`` signs (Standard Webhooks)."""

import base64
import hashlib
import hmac

from webhooks import signing


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver recipe of docs/webhooks.md, verbatim."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig) for sig in headers["webhook-signature"].split())


def test_the_documented_recipe_verifies_a_signature_and_refuses_a_tampered_one():
    salt = signing.salt_new()
    secret = signing.secret_text(salt)
    body = b'{"id":"e1","type":"conversion.created"}'
    header = signing.signature_header([signing.secret_bytes(salt)], "e1", 1700000000, body)
    headers = {"webhook-id": "e1", "webhook-timestamp": "1700000000", "webhook-signature": header}
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"e1", b"e2"))
    assert not verify(secret, {**headers, "webhook-timestamp": "1700000001"}, body)
    assert not verify(signing.secret_text(signing.salt_new()), headers, body)


def test_the_secret_is_derived_from_the_signing_key(settings):
    salt = signing.salt_new()
    before = signing.secret_text(salt)
    settings.WEBHOOK_SIGNING_KEY = "another key"
    assert signing.secret_text(salt) != before
    assert len(base64.b64decode(before.removeprefix("whsec_"))) == 32


def test_standard_webhooks_test_vector():
    # From the Standard Webhooks reference libraries' tests.
    secret = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    assert signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )

"""Secrets and signatures in the Standard Webhooks form (https://www.standardwebhooks.com/).

A secret is ``whsec_`` + base64 of 32 bytes. It is *derived*, never stored: ``HMAC-SHA256(WEBHOOK_SIGNING_KEY,
"webhook-secret:" + salt)``, where the salt is a random value kept on the endpoint and ``WEBHOOK_SIGNING_KEY``
(default: ``SECRET_KEY``) lives only in the environment. A database dump alone gives no secret; changing the
signing key changes every endpoint's secret (rotate them all and tell the receivers).

The signature of a message is ``v1,`` + base64 of ``HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")``;
during a rotation's overlap the header carries one signature per valid secret, separated by spaces.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

SECRET_PREFIX = "whsec_"
SALT_BYTES = 24


def salt_new() -> str:
    return secrets.token_hex(SALT_BYTES)


def secret_bytes(salt: str) -> bytes:
    key = settings.WEBHOOK_SIGNING_KEY.encode()
    return hmac.new(key, b"webhook-secret:" + salt.encode(), hashlib.sha256).digest()


def secret_text(salt: str) -> str:
    """The secret as shown to the user once: ``whsec_<base64>``."""
    return SECRET_PREFIX + base64.b64encode(secret_bytes(salt)).decode()


def signature(secret: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def signature_header(secrets_bytes: list[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_bytes)

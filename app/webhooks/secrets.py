"""Endpoint secrets: made, sealed for storage, opened to sign, and the signature headers.

The worker needs the whole secret to compute HMACs, so it cannot be stored as a hash. With
INVOICING_WEBHOOK_SECRET_KEY (a Fernet key) it is stored encrypted (`fernet:<token>`); without, as it
is (`plain:<secret>`), and a key configured later still opens those. Never logged.
"""

import base64
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"
SECRET_BYTES = 32  # the Standard Webhooks specification asks for 24 to 64


class SecretUnavailable(Exception):
    """A stored secret cannot be opened (encrypted, and the key is missing or another one)."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet(key: SecretStr | None) -> Fernet | None:
    return Fernet(key.get_secret_value().encode()) if key is not None else None


def seal(secret: str, key: SecretStr | None) -> str:
    fernet = _fernet(key)
    if fernet is None:
        return "plain:" + secret
    return "fernet:" + fernet.encrypt(secret.encode()).decode()


def unseal(stored: str, key: SecretStr | None) -> str:
    scheme, _, value = stored.partition(":")
    if scheme == "plain":
        return value
    fernet = _fernet(key)
    if scheme != "fernet" or fernet is None:
        raise SecretUnavailable("the secret is encrypted and INVOICING_WEBHOOK_SECRET_KEY is not set")
    try:
        return fernet.decrypt(value.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable(
            "the secret was encrypted with another INVOICING_WEBHOOK_SECRET_KEY"
        ) from None


def signature_header(secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of id.timestamp.body>` per secret, space-separated (the current one
    first; during a rotation the previous one too), made by the `standardwebhooks` package."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets_)

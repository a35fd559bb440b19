"""Field-level protection of personal data (DOMAIN_RULES.md "Security").

* ``encrypt``/``decrypt``: SM4 in GCM mode (authenticated), random 96-bit nonce per value. The stored
  token is ``v1:`` + base64(nonce || ciphertext || tag), so the algorithm can be rotated later.
* ``blind_index``: HMAC-SM3 of the normalised value, for exact-match lookup and duplicate detection
  without decrypting anything.

Keys come from settings (``TAIZHANG_FIELD_KEY`` / ``TAIZHANG_HASH_KEY``), never from SECRET_KEY.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

PREFIX = "v1:"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """The stored token is damaged or was encrypted with another key."""


def _key() -> bytes:
    key = bytes.fromhex(settings.FIELD_ENCRYPTION_KEY)
    if len(key) != 16:
        raise ValueError("TAIZHANG_FIELD_KEY must be 32 hex characters (128-bit SM4 key)")
    return key


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce)).encryptor()
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return PREFIX + base64.b64encode(nonce + ciphertext + encryptor.tag).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise DecryptionError("unknown token format")
    raw = base64.b64decode(token[len(PREFIX) :])
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(_key()), modes.GCM(nonce, tag)).decryptor()
    try:
        return (decryptor.update(ciphertext) + decryptor.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def blind_index(value: str) -> str:
    if not value:
        return ""
    mac = hmac.HMAC(bytes.fromhex(settings.FIELD_HASH_KEY), hashes.SM3())
    mac.update(value.encode("utf-8"))
    return mac.finalize().hex()

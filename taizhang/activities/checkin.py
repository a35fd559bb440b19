"""Rotating QR check-in tokens, signed with the site's secret key.

A token is ``<timestamp>:<signature>``: the signature (salt ``taizhang.activities.checkin``) covers the
activity's pk and the moment the token was issued, so it cannot be guessed, altered or used for another
activity, and it stops working ``CHECKIN_TOKEN_MINUTES`` (setting, default 3) after it was issued. The
QR page shows a fresh token and fetches a new one well before the old expires, so a photo or a forwarded
link of the code is useless a few minutes later. The check-in window (``services.attendance_check_in``)
still decides when checking in is possible at all.
"""

import time

from django.conf import settings
from django.core import signing

SALT = "taizhang.activities.checkin"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_lifetime_seconds() -> int:
    return max(1, settings.CHECKIN_TOKEN_MINUTES) * 60


def refresh_seconds() -> int:
    """How often the QR page fetches a new code: a scanned code then still has two thirds of its life."""
    return max(10, token_lifetime_seconds() // 3)


def checkin_token(activity, at: float | None = None) -> str:
    """A fresh token for ``activity``'s check-in link (URL-safe), issued now (or at the epoch second ``at``)."""
    signer = _signer()
    issued = signing.b62_encode(int(time.time() if at is None else at))
    signed = signing.Signer.sign(signer, f"{activity.pk}{signer.sep}{issued}")
    return signed.split(signer.sep, 1)[1]


def verify_checkin_token(activity_pk, token: str) -> int:
    """Return the activity pk when ``token`` belongs to it and has not expired.

    Raises ``signing.SignatureExpired`` for an expired token and ``signing.BadSignature`` (its parent) for
    any other bad one.
    """
    signer = _signer()
    if signer.sep not in token:  # e.g. a static link from before the codes rotated
        raise signing.BadSignature("not a rotating check-in token")
    value = signer.unsign(f"{activity_pk}{signer.sep}{token}", max_age=token_lifetime_seconds())
    return int(value)

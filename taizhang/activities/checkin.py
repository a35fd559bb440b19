"""Signed QR check-in links: one token per activity, signed with the site's secret key.

The token is the signature of the activity's pk (salt ``taizhang.activities.checkin``), so a token
cannot be guessed, altered or reused for another activity. It does not expire by itself: the
check-in window (``services.attendance_check_in``) decides when it works.
"""

from django.core import signing

SALT = "taizhang.activities.checkin"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def checkin_token(activity) -> str:
    """The token of ``activity``'s check-in link (URL-safe)."""
    return _signer().signature(str(activity.pk))


def verify_checkin_token(activity_pk, token: str) -> int:
    """Return the activity pk when ``token`` belongs to it; raise ``signing.BadSignature`` otherwise."""
    value = _signer().unsign(f"{activity_pk}{_signer().sep}{token}")
    return int(value)

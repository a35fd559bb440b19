"""Personal access tokens: made, found, used and revoked only here (services ``api_token_*``, audited).

A token reads ``tzk_<43 characters>`` (32 random bytes, urlsafe base64). The row keeps its first 8 characters
after ``tzk_`` (``prefix``, unique: it finds the row) and the SHA-256 of the whole token; the token itself is
shown once, on the page that made it, and never again."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.api.models import ApiToken
from taizhang.core.audit import audit_log
from taizhang.core.permissions import capability_committee_ids

TOKEN_START = "tzk_"
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: one UPDATE a minute, not one per request
LAST_USED_STEP = datetime.timedelta(seconds=60)


def max_days() -> int:
    """The longest a token may live (``TAIZHANG_API_TOKEN_MAX_DAYS``, default 90)."""
    return settings.API_TOKEN_MAX_DAYS


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = TOKEN_START + secrets.token_urlsafe(32)
    return token, token[len(TOKEN_START):len(TOKEN_START) + PREFIX_LENGTH]


def api_token_create(*, actor, name: str, days: int, read_only: bool = True) -> tuple[ApiToken, str]:
    """Make a token for ``actor`` itself; returns the row and the token (to show once)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name.")
    elif len(name) > 100:
        errors["name"] = _("The name is at most 100 characters.")
    if not isinstance(days, int) or not 1 <= days <= max_days():
        errors["days"] = _("A token lives from 1 to %(n)d days.") % {"n": max_days()}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        while True:
            token, prefix = _new_token()
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        now = timezone.now()
        row = ApiToken.objects.create(user=actor, name=name, prefix=prefix, secret_hash=hash_secret(token),
                                      read_only=read_only, created_at=now,
                                      expires_at=now + datetime.timedelta(days=days))
        audit_log(actor=actor, action="api_token.create", obj=row,
                  new={"name": name, "prefix": prefix, "read_only": read_only, "expires_at": row.expires_at})
    return row, token


def may_manage_all(user) -> bool:
    """The security admin lists and revokes the tokens of the accounts of their committees."""
    return bool(capability_committee_ids(user, "security.manage"))


def tokens_managed_by(user):
    """The tokens ``user`` may list and revoke: their own, and as security admin those of every account
    holding a role in their committees (or no role yet, like the user list)."""
    q = Q(user=user)
    committees = capability_committee_ids(user, "security.manage")
    if committees:
        q |= Q(user__role_assignments__committee_id__in=committees) | Q(user__role_assignments__isnull=True)
    ids = ApiToken.objects.filter(q).values("pk")
    return ApiToken.objects.filter(pk__in=ids).select_related("user", "revoked_by").order_by("-created_at", "-id")


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a token (the owner's or, as security admin, any account's of their committees)."""
    with transaction.atomic():
        token = tokens_managed_by(actor).select_for_update(of=("self",)).filter(pk=token.pk).first()
        if token is None:
            raise PermissionDenied(_("You may not revoke this token."))
        if token.revoked_at is not None:
            raise ValidationError(_("The token was already revoked."))
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_log(actor=actor, action="api_token.revoke", obj=token,
                  new={"prefix": token.prefix, "owner": token.user.get_username()})
    return token


def token_user(raw: str):
    """The token's row for the raw ``Authorization: Bearer`` value, when it is a live token of an active user,
    else None. Marks the token used (at most once per ``LAST_USED_STEP``)."""
    if not raw.startswith(TOKEN_START) or len(raw) < len(TOKEN_START) + PREFIX_LENGTH or len(raw) > 200:
        return None
    prefix = raw[len(TOKEN_START):len(TOKEN_START) + PREFIX_LENGTH]
    row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if row is None or not secrets.compare_digest(row.secret_hash, hash_secret(raw)):
        return None
    now = timezone.now()
    if not row.is_active(now) or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row



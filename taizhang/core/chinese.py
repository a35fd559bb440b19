"""Chinese specifics: citizen ID numbers, mobile numbers, pinyin. Shared by forms and imports."""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from stdnum import exceptions as stdnum_exceptions
from stdnum import numdb
from stdnum.cn import ric


def to_halfwidth(value: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


@dataclass(frozen=True)
class CitizenId:
    number: str
    birth_date: datetime.date
    gender: str  # "M" or "F"


def _known_region(code: str) -> bool:
    """Is this 6-digit address code a county in the national table, in any period?"""
    info = numdb.get("cn/loc").info(code)
    return len(info) > 1 and any("county" in fields for _part, fields in info[1:])


def _validate_ric(value: str) -> None:
    """``stdnum.cn.ric.validate``, except that the region code need not exist in the birth year.

    The address code is the one in force when the number was issued (1984 onwards), so people born
    before a district was created (e.g. 市南区 370202 since 1983) carry it legitimately
    (python-stdnum issue #442). The birth date and check digit are still checked.
    """
    try:
        ric.validate(value)
    except stdnum_exceptions.InvalidComponent:
        ric.get_birth_date(value)  # raises InvalidComponent for an impossible date
        if not _known_region(value[:6]):
            raise
        if ric.calc_check_digit(value) != value[-1]:
            raise stdnum_exceptions.InvalidChecksum() from None


def parse_citizen_id(raw: str) -> CitizenId:
    """Validate a citizen ID number (GB 11643) and derive birth date and gender.

    Accepts lower-case x, full-width digits and surrounding or inner spaces.
    Raises ValidationError with a Chinese message saying what is wrong.
    """
    value = re.sub(r"\s+", "", to_halfwidth(raw)).upper()
    if not value:
        raise ValidationError(_("Enter the citizen ID number."), code="required")
    if len(value) != 18:
        raise ValidationError(
            _("The citizen ID number must have 18 characters; this one has %(n)d.") % {"n": len(value)},
            code="length",
        )
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(
            _("The citizen ID number may contain only digits, with X allowed as the last character."),
            code="format",
        )
    try:
        _validate_ric(value)
    except stdnum_exceptions.InvalidChecksum as exc:
        raise ValidationError(
            _("The check digit (last character) of the citizen ID number is wrong."), code="checksum"
        ) from exc
    except stdnum_exceptions.InvalidComponent as exc:
        raise ValidationError(
            _("The birth date or region code inside the citizen ID number is not valid."), code="component"
        ) from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationError(_("The citizen ID number is not valid."), code="invalid") from exc
    birth = ric.get_birth_date(value)
    if birth > datetime.date.today():
        raise ValidationError(_("The birth date inside the citizen ID number is in the future."), code="future")
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return CitizenId(number=value, birth_date=birth, gender=gender)


def normalise_phone(raw: str) -> str:
    """Mobile number to 11 digits. Accepts spaces, dashes, brackets and a +86 / 0086 prefix."""
    value = re.sub(r"[\s\-()（）]", "", to_halfwidth(raw))
    if not value:
        return ""
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not re.fullmatch(r"1\d{10}", value):
        raise ValidationError(
            _("Enter a mobile number of 11 digits starting with 1 (spaces, dashes and +86 are allowed)."),
            code="phone",
        )
    return value


def pinyin_full(name: str) -> str:
    return "".join(lazy_pinyin(name)).lower()


def pinyin_initials(name: str) -> str:
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()

"""Exact money (DOMAIN_RULES "Money"): amounts are integer fen everywhere; never float.

* ``parse_yuan("3000.5") -> 300050`` — what a person types (yuan, at most two decimals, an optional ``¥``
  or ``元`` and thousands separators) to fen; a ``ValueError`` with a Chinese message otherwise.
* ``yuan(300050) -> "3000.50"`` — fen as the yuan text pages, exports and JSON show.
* ``MoneyField`` — a form field for yuan that cleans to fen (positive unless ``allow_zero``).
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_FEN = 10**13  # 1000 亿元: far above any real amount, far below int64


def parse_yuan(text) -> int:
    """Yuan as typed → fen. Refuses more than two decimals, non-numbers and absurd sizes."""
    if isinstance(text, float):
        raise TypeError("money is never a float")
    raw = str(text).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    raw = raw.removesuffix("元").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not an amount; write it in yuan, e.g. 3000 or 12.50.") % {"value": text}) from None
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not an amount; write it in yuan, e.g. 3000 or 12.50.") % {"value": text})
    if abs(value) >= Decimal(MAX_FEN) / 100:
        raise ValueError(_("The amount is too large."))
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(_("An amount has at most two decimals (fen)."))
    fen = int(cents)
    if abs(fen) >= MAX_FEN:
        raise ValueError(_("The amount is too large."))
    return fen


def yuan(fen: int | None) -> str:
    """Fen → "1234.50" (exact; negative amounts keep their sign)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{part:02d}"


def yuan_grouped(fen: int | None) -> str:
    """Fen → "16,230.00" for reading on a page."""
    if fen is None:
        return ""
    text = yuan(fen)
    sign = "-" if text.startswith("-") else ""
    whole, part = text.lstrip("-").split(".")
    return f"{sign}{int(whole):,}.{part}"


class MoneyField(forms.CharField):
    """Yuan typed by a person, cleaned to integer fen."""

    def __init__(self, *args, allow_zero=False, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                                          "maxlength": "20"}))
        kwargs.setdefault("help_text", gettext_lazy("In yuan, at most two decimals, e.g. 3000 or 12.50."))
        self.allow_zero = allow_zero
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return yuan(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        label = str(self.label or _("amount"))
        try:
            fen = parse_yuan(value)
        except ValueError as exc:
            raise forms.ValidationError(f"{label}：{exc}") from None
        if fen < 0 or (fen == 0 and not self.allow_zero):
            raise forms.ValidationError(_("%(field)s must be more than 0 yuan.") % {"field": label})
        return fen

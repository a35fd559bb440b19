"""How personal numbers are shown to people who may not see them in full."""


def mask_id_number(last4: str, length: int = 18, prefix: str = "") -> str:
    """``3702**********1234``: first four (region) and last four characters only."""
    if not last4:
        return ""
    stars = "*" * (length - len(prefix) - len(last4))
    return f"{prefix}{stars}{last4}"


def mask_phone(prefix3: str, last4: str) -> str:
    """``138****5678``."""
    if not last4:
        return ""
    return f"{prefix3}****{last4}"

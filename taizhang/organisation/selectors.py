"""Reads of the organisation tree."""

from taizhang.organisation.models import Branch, District


def suggest_branch(district: District | None) -> Branch | None:
    """The branch suggested for a member living in ``district`` (the editable district mapping)."""
    if district is None or district.branch_id is None:
        return None
    return district.branch

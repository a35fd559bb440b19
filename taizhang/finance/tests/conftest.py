"""Fixtures the finance tests share (beside the fixed cast in the root conftest.py)."""

import pytest

from taizhang.members.tests.factories import UserFactory, grant


@pytest.fixture
def treasurer(cast):
    """The committee's treasurer ("caiwu"): money staff of the whole committee."""
    user = UserFactory(username="caiwu")
    grant(user, "treasurer", cast.committee)
    return user

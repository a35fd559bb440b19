"""Fixtures of every API test."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_window():
    """Each test starts a new rate-limit window (token ids repeat across tests; the count is in the cache)."""
    cache.clear()
    yield
    cache.clear()

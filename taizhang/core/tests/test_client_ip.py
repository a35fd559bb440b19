"""The audit log records the client's address, also behind nginx (where REMOTE_ADDR is nginx itself)."""

import pytest
from django.urls import reverse

from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def login_ip(client, cast, **meta):
    response = client.post(reverse("accounts:login"), {"username": "admin", "password": cast.password}, **meta)
    assert response.status_code == 302
    return AuditEntry.objects.filter(action="auth.login").latest("id").ip_address


def test_behind_one_proxy_the_address_nginx_appended_is_recorded(client, cast, settings):
    settings.TRUSTED_PROXIES = 1
    # the client wrote "6.6.6.6" itself; nginx ($proxy_add_x_forwarded_for) appended the real address
    assert login_ip(client, cast, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7") == "203.0.113.7"


def test_without_proxies_the_header_is_ignored(client, cast, settings):
    settings.TRUSTED_PROXIES = 0
    assert login_ip(client, cast, REMOTE_ADDR="198.51.100.2", HTTP_X_FORWARDED_FOR="6.6.6.6") == "198.51.100.2"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", "6.6.6.6, <script>"])
def test_a_missing_or_malformed_header_falls_back_to_the_socket(client, cast, settings, forwarded):
    settings.TRUSTED_PROXIES = 1
    assert login_ip(client, cast, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded) == "127.0.0.1"

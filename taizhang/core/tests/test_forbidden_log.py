"""A refused request (403) writes one log line naming the user and the path, not a traceback."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def request_log(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_permission_denied_is_one_line_with_user_and_path(client, cast, caplog):
    client.force_login(cast.outsider)
    url = reverse("members:list")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(url, {"q": "110101"})
    assert response.status_code == 403
    records = request_log(caplog)
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == f"Forbidden (403): user=outsider GET {url}"
    assert "110101" not in record.getMessage()  # the query string (search terms) stays out of the log
    assert "Traceback" not in caplog.text and len(caplog.text.strip().splitlines()) == 1


def test_permission_denied_with_a_message_and_post(client, cast, caplog):
    client.force_login(cast.west_secretary)  # an audit-log page refused with a Chinese reason
    url = reverse("core:audit")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(url).status_code == 403
    assert [r.getMessage() for r in request_log(caplog)] == [f"Forbidden (403): user=west_secretary GET {url}"]
    assert "Traceback" not in caplog.text


def test_other_errors_keep_their_log(client, cast, caplog):
    client.force_login(cast.admin)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/no-such-page/").status_code == 404
    assert [r.getMessage() for r in request_log(caplog)] == ["Not Found: /no-such-page/"]

"""Tokens (made once, hashed, expiring, revocable, last used), authentication, the read-only rule, the rate
limit, CSRF for the session, and the JSON shape of every error."""

import datetime
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from taizhang.api.models import ApiToken
from taizhang.api.tests.helpers import Api, token_for
from taizhang.api.tokens import LAST_USED_STEP, api_token_create, api_token_revoke
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]  # Chinese
    assert isinstance(body["errors"], list)
    for item in body["errors"]:
        assert set(item) == {"field", "message"}
    return body


# --- the token page ----------------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_hashed(client, cast):
    client.force_login(cast.east_secretary)
    response = client.post("/account/api-tokens/", {"name": "区委对接", "days": 30, "access": "write"})
    assert response.status_code == 200
    secret = response.context["made"]["secret"]
    assert secret.startswith("tzk_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=cast.east_secretary)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert not token.read_only and (token.expires_at - token.created_at).days == 30
    again = client.get("/account/api-tokens/")
    assert secret not in again.content.decode() and token.prefix in again.content.decode()
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.actor == cast.east_secretary and secret not in str(entry.new_values)
    assert Api(client, token=secret).get("/members/").status_code == 200


def test_expiry_is_capped_by_the_setting(client, cast, settings):
    settings.API_TOKEN_MAX_DAYS = 10
    client.force_login(cast.admin)
    response = client.post("/account/api-tokens/", {"name": "太长", "days": 11, "access": "read"})
    assert response.status_code == 400 and not ApiToken.objects.exists()
    assert "10" in response.content.decode()


def test_users_revoke_their_own_and_the_security_admin_any(client, cast):
    own, _secret = api_token_create(actor=cast.east_secretary, name="a", days=5)
    other, _secret2 = api_token_create(actor=cast.west_secretary, name="b", days=5)
    client.force_login(cast.east_secretary)
    assert client.post(f"/account/api-tokens/{other.pk}/revoke/").status_code == 404
    assert client.post(f"/account/api-tokens/{own.pk}/revoke/").status_code == 302
    own.refresh_from_db()
    assert own.revoked_at and own.revoked_by == cast.east_secretary
    client.force_login(cast.secadmin)
    page = client.get("/account/api-tokens/").content.decode()
    assert "tzk_" + other.prefix in page and "tzk_" + own.prefix in page
    assert client.post(f"/account/api-tokens/{other.pk}/revoke/").status_code == 302
    other.refresh_from_db()
    assert other.revoked_by == cast.secadmin
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 2
    client.force_login(cast.sysadmin)  # not the security admin: only their own
    assert "tzk_" + other.prefix not in client.get("/account/api-tokens/").content.decode()


# --- using a token -------------------------------------------------------------------------------------------


def test_revoked_expired_and_wrong_tokens_are_401(client, cast):
    row, secret = api_token_create(actor=cast.admin, name="x", days=1)
    assert Api(client, token=secret).get("/members/").status_code == 200
    assert_error_shape(Api(client, token=secret[:-1] + ("A" if secret[-1] != "A" else "B")).get("/members/"), 401)
    assert_error_shape(Api(client, token="tzk_nonsense").get("/members/"), 401)
    response = client.get("/api/v1/members/", headers={"Authorization": "Basic abc"})
    assert_error_shape(response, 401)
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_error_shape(Api(client, token=secret).get("/members/"), 401)
    row2, secret2 = api_token_create(actor=cast.admin, name="y", days=1)
    api_token_revoke(actor=cast.admin, token=row2)
    assert_error_shape(Api(client, token=secret2).get("/members/"), 401)
    cast.admin.is_active = False
    cast.admin.save()
    row3, secret3 = api_token_create(actor=cast.admin, name="z", days=1)
    assert_error_shape(Api(client, token=secret3).get("/members/"), 401)
    assert_error_shape(client.get("/api/v1/members/"), 401)  # no token, no session


def test_last_used_is_written_cheaply(client, cast):
    row, secret = api_token_create(actor=cast.admin, name="x", days=1)
    assert row.last_used_at is None
    api = Api(client, token=secret)
    api.get("/members/")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    api.get("/members/")
    row.refresh_from_db()
    assert row.last_used_at == first  # not written again within LAST_USED_STEP
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - LAST_USED_STEP)
    api.get("/members/")
    row.refresh_from_db()
    assert row.last_used_at > first - LAST_USED_STEP


def test_a_read_only_token_cannot_write(client, cast):
    api = Api(client, cast.east_secretary, read_only=True)
    member = cast.east_members[2]
    assert api.get(f"/members/{member.pk}").status_code == 200
    body = assert_error_shape(api.patch(f"/members/{member.pk}", {"version": member.version, "employer": "某"}), 403)
    assert "只读" in body["detail"] or "read-only" in body["detail"]
    assert_error_shape(api.post(f"/members/{member.pk}/events", {"kind": "left_beijing",
                                                                  "effective_date": "2024-05-01"}), 403)
    assert_error_shape(api.post("/members/", {"name": "x"}), 422)  # the schema is checked first
    member.refresh_from_db()
    assert member.employer != "某" and member.events.count() == 1  # nothing written
    assert AuditEntry.objects.filter(action="access.denied", actor=cast.east_secretary).exists()


def test_a_user_who_must_change_the_password_cannot_use_a_token_or_the_session(client, cast):
    secret = token_for(cast.admin)
    cast.admin.must_change_password = True
    cast.admin.save()
    assert_error_shape(Api(client, token=secret).get("/members/"), 403)
    client.force_login(cast.admin)
    assert_error_shape(client.get("/api/v1/members/"), 403)  # JSON, not the redirect the pages get
    assert client.get("/members/").status_code == 302


# --- the session -------------------------------------------------------------------------------------------


def test_session_reads_and_writes_need_csrf(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.east_secretary)
    member = cast.east_members[2]
    assert browser.get("/api/v1/members/").status_code == 200
    response = browser.patch(f"/api/v1/members/{member.pk}", {"version": member.version, "employer": "某"},
                             content_type="application/json")
    assert_error_shape(response, 403)
    browser.get("/api/v1/docs")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.patch(f"/api/v1/members/{member.pk}", {"version": member.version, "employer": "某"},
                             content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.filter(action="member.update").latest("seq")
    assert entry.actor == cast.east_secretary and entry.message.startswith("[API")


# --- rate limit ------------------------------------------------------------------------------------------------


def test_over_the_rate_limit_is_429_with_retry_after(client, cast, settings):
    settings.API_RATE_LIMIT = "3/min"
    api = Api(client, cast.admin)
    for _ in range(3):
        assert api.get("/members/").status_code == 200
    response = api.get("/members/")
    assert_error_shape(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    # per token: another token of the same user has its own count
    assert Api(client, cast.admin).get("/members/").status_code == 200


# --- errors and docs -------------------------------------------------------------------------------------------


def test_errors_are_json_in_chinese(client, cast):
    api = Api(client, cast.admin)
    assert_error_shape(api.get("/no/such/endpoint"), 404)
    assert_error_shape(api.get("/members/999999"), 404)
    body = assert_error_shape(api.get("/members/", {"page_size": 100000}), 422)
    assert body["errors"][0]["field"] == "page_size"
    body = assert_error_shape(api.get("/members/", {"sort": "evil"}), 422)
    assert body["errors"][0]["field"] == "sort"
    response = client.post("/api/v1/members/", "{not json", content_type="application/json",
                           headers={"Authorization": f"Bearer {api.token}"})
    assert response.status_code in (400, 422) and response.json()["detail"]


def test_a_server_error_is_json_without_a_traceback(client, cast, monkeypatch):
    from taizhang.api.routers import roster

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(roster, "roster_result", boom)
    response = Api(client, cast.admin).get("/roster/")
    body = assert_error_shape(response, 500)
    assert "secret internals" not in response.content.decode() and "Traceback" not in body["detail"]


def test_the_docs_page_loads_swagger_from_our_static_files(client, cast):
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "/static/js/api-docs.js" in html
    assert "cdn" not in html.lower() and "<script>" not in html and " on" not in html.split("<body")[1].split(">")[0]
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1") and schema["info"]["version"] == "1"
    assert "/api/v1/members/" in schema["paths"]


def test_a_method_the_endpoint_lacks_is_a_json_405(client, cast):
    response = client.delete("/api/v1/members/", headers={"Authorization": f"Bearer {token_for(cast.admin)}"})
    body = assert_error_shape(response, 405)
    assert "GET" in response["Allow"] and body["errors"] == []


def test_the_command_prints_a_token_once(client, cast, capsys):
    from django.core.management import call_command

    call_command("api_token_create", "east_secretary", "--write", "--days", "3", "--name", "脚本")
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get(user=cast.east_secretary)
    assert token.startswith("tzk_" + row.prefix) and not row.read_only and row.name == "脚本"
    assert Api(client, token=token).get("/members/").json()["count"] == 3

"""In a real browser under the site's CSP: the API's docs page renders Swagger UI from our static files (no CDN,
no eval, no inline script), and a token made on the token page works against the API."""

import pytest


@pytest.mark.browser
def test_the_docs_page_renders_under_the_csp(page, live_cast, sign_in):
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused" in message.text else None)
    sign_in(page, live_cast.east_secretary)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "台账" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/api/v1/members/")
    assert not violations, violations


@pytest.mark.browser
def test_a_token_made_on_the_page_is_shown_once_and_works(page, live_cast, sign_in, live_server):
    sign_in(page, live_cast.east_secretary)
    page.goto("/account/api-tokens/")
    page.fill("#id_name", "浏览器测试")
    page.fill("#id_days", "7")
    page.check("input[name=access][value=read]")
    page.click("main form button[type=submit]")
    token = page.inner_text("#new-token-value").strip()
    assert token.startswith("tzk_")
    response = page.request.get(f"{live_server.url}/api/v1/members/", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and response.json()["count"] == 3
    page.goto("/account/api-tokens/")
    assert token not in page.content()

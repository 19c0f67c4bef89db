"""Personal API tokens, as their owners and an integrator's script meet them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.models import ApiToken, ChangeLog

pytestmark = pytest.mark.django_db


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_a_town_user_makes_a_token_on_their_page_and_a_script_uses_it(client_for, hutang):
    page = client_for(hutang).post("/accounts/tokens/", {"name": "镇统计表对接"})
    assert page.status_code == 200
    key = page.context["new_key"]
    assert key.startswith("htp_") and key in page.content.decode()
    me = bearer(key).get("/api/v1/me/").json()
    assert (me["username"], me["unit_name"], me["can_write"]) == ("hutang", "湖塘镇", True)
    token = ApiToken.objects.get()
    assert key not in (token.digest, token.prefix)  # the key is not stored
    assert token.last_used_at is not None
    # The page never shows the key again.
    assert key not in client_for(hutang).get("/accounts/tokens/").content.decode()
    assert ChangeLog.objects.filter(object_id=str(token.pk), action="create").exists()


def test_a_revoked_token_is_refused_at_once_and_a_bad_one_gets_401(client_for, hutang):
    _, key = _make(hutang)
    token = ApiToken.objects.get()
    client_for(hutang).post(f"/accounts/tokens/{token.pk}/revoke/")
    response = bearer(key).get("/api/v1/enterprises/")
    assert response.status_code == 401
    assert response.json() == {"message": "令牌无效或已撤销。", "errors": {}}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert bearer("htp_guess").get("/api/v1/me/").status_code == 401
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_one_cannot_revoke_another_users_token(client_for, hutang, niutang):
    _make(hutang)
    token = ApiToken.objects.get()
    assert client_for(niutang).post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert bearer(_make(niutang)[1]).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_tokens_over_the_api_list_only_ones_own_and_revoke_keeps_the_record(hutang, niutang):
    _make(niutang)
    _, key = _make(hutang)
    api = bearer(key)
    created = api.post("/api/v1/tokens/", {"name": "大屏"}, format="json")
    assert created.status_code == 201 and created.json()["key"].startswith("htp_")
    listed = api.get("/api/v1/tokens/").json()
    assert listed["count"] == 2 and {t["name"] for t in listed["results"]} == {"测试", "大屏"}
    assert all("key" not in t for t in listed["results"])
    assert api.delete(f"/api/v1/tokens/{created.json()['id']}/").status_code == 204
    assert api.get(f"/api/v1/tokens/{created.json()['id']}/").json()["is_active"] is False
    assert bearer(created.json()["key"]).get("/api/v1/me/").status_code == 401
    # The token a request runs on is not revoked by that request: the script would lock itself out.
    own = next(t for t in listed["results"] if t["name"] == "测试")
    refused = api.delete(f"/api/v1/tokens/{own['id']}/")
    assert refused.status_code == 409 and "另一个令牌" in refused.json()["message"]
    assert api.get("/api/v1/me/").status_code == 200


def test_a_disabled_user_token_stops_working(hutang):
    _, key = _make(hutang)
    hutang.is_active = False
    hutang.save()
    assert bearer(key).get("/api/v1/me/").status_code == 401


def test_the_command_prints_a_working_key_and_names_an_unknown_user():
    from core.models import User

    User.objects.create_user("script", password="x")
    out = StringIO()
    call_command("api_token", "script", "--name", "夜间同步", stdout=out)
    assert bearer(out.getvalue().strip()).get("/api/v1/me/").json()["username"] == "script"
    with pytest.raises(CommandError, match="没有名为 nobody 的有效用户"):
        call_command("api_token", "nobody")


def test_token_creation_is_throttled_on_the_page_and_the_api(client_for, hutang, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates once, at import: set them where it looks.
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "token-create": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    page = client_for(hutang)
    assert page.post("/accounts/tokens/", {"name": "一"}).context["new_key"]
    _, key = _make(hutang)  # the command's path: not a request, not counted
    assert bearer(key).post("/api/v1/tokens/", {"name": "二"}, format="json").status_code == 201
    refused = bearer(key).post("/api/v1/tokens/", {"name": "三"}, format="json")
    assert refused.status_code == 429 and "秒" in refused.json()["message"]
    again = page.post("/accounts/tokens/", {"name": "四"})
    assert again.context["new_key"] is None and "过于频繁" in again.content.decode()
    assert ApiToken.objects.filter(user=hutang).count() == 3
    # Reading one's tokens is not throttled.
    assert bearer(key).get("/api/v1/tokens/").status_code == 200


def test_an_admin_revokes_a_token_in_the_admin(client_for, admin_user, hutang):
    _, key = _make(hutang)
    token = ApiToken.objects.get()
    response = client_for(admin_user).post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert bearer(key).get("/api/v1/me/").status_code == 401


def test_the_old_api_addresses_move_to_v1_keeping_method_and_query(hutang):
    _, key = _make(hutang)
    moved = bearer(key).get("/api/enterprises/?q=精密")
    assert (moved.status_code, moved["Location"]) == (
        308,
        "/api/v1/enterprises/?q=%E7%B2%BE%E5%AF%86",
    )
    assert bearer(key).get("/api/ladder/counts/")["Location"] == "/api/v1/ladder-counts/"
    old = bearer(key).get("/api/target-plans/3/completion.json")
    assert old["Location"] == "/api/v1/target-plans/3/completion/"


def _make(user):
    from core.services import create_api_token

    return create_api_token(actor=user, user=user, name="测试")

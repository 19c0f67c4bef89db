"""One's own notices and an object's change history over the API: the inbox page's notices,
marked read the same way; the history page's entries, behind the same scope check."""

import pytest
from django.urls import reverse

from core.models import Notification
from core.notifications import notify
from enterprises import services

pytestmark = pytest.mark.django_db


# --- notifications ----------------------------------------------------------------------------


def test_one_lists_only_ones_own_notices_and_filters_the_unread(api_for, hutang, niutang):
    notify([hutang], title="报送被退回", body="请补充研发费用", link="/reports/")
    notify([hutang], title="截止提醒")
    notify([niutang], title="牛塘的通知")
    Notification.objects.filter(title="截止提醒").update(read_at="2019-07-01T08:00:00+08:00")
    api = api_for(hutang)
    listed = api.get("/api/v1/notifications/").json()
    assert listed["count"] == 2 and {n["title"] for n in listed["results"]} == {
        "报送被退回",
        "截止提醒",
    }
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [(n["title"], n["is_read"], n["link"]) for n in unread] == [
        ("报送被退回", False, "/reports/")
    ]
    read = api.get("/api/v1/notifications/?unread=false").json()["results"]
    assert [n["title"] for n in read] == ["截止提醒"]
    bad = api.get("/api/v1/notifications/?unread=maybe")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["unread"]


def test_marking_read_touches_only_ones_own(api_for, hutang, niutang, leader):
    [mine] = notify([hutang], title="报送被退回")
    [theirs] = notify([niutang], title="牛塘的通知")
    api = api_for(hutang)
    response = api.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    first_read = Notification.objects.get(pk=mine.pk).read_at
    assert first_read is not None
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read_at"] is not None
    assert Notification.objects.get(pk=mine.pk).read_at == first_read  # read once, when read
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    # A leader reads their own notices too: reading is not a change to the data.
    [leaders] = notify([leader], title="领导的通知")
    assert api_for(leader).post(f"/api/v1/notifications/{leaders.pk}/read/").status_code == 200


def test_read_all_marks_ones_own_unread_and_says_how_many(api_for, hutang, niutang):
    notify([hutang], title="一")
    notify([hutang], title="二")
    notify([niutang], title="牛塘的通知")
    api = api_for(hutang)
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    assert Notification.objects.filter(read_at__isnull=True).get().title == "牛塘的通知"


def test_the_inbox_page_marks_read_through_the_same_service(client_for, api_for, hutang):
    notify([hutang], title="报送被退回")
    client_for(hutang).get(reverse("inbox"))
    assert api_for(hutang).get("/api/v1/notifications/?unread=true").json()["count"] == 0


def test_notifications_need_a_token(api_for, hutang):
    [notice] = notify([hutang], title="报送被退回")
    assert api_for(None).get("/api/v1/notifications/").status_code == 401
    assert api_for(None).post(f"/api/v1/notifications/{notice.pk}/read/").status_code == 401
    assert Notification.objects.get().read_at is None


# --- change history -----------------------------------------------------------------------------


def history_url(enterprise) -> str:
    return f"/api/v1/history/enterprises/enterprise/{enterprise.pk}/"


def test_the_history_lists_the_pages_entries_newest_first(api_for, client_for, hutang, registry):
    enterprise = registry[("湖塘镇", "常州湖塘精密机械有限公司")]
    services.update_enterprise(actor=hutang, enterprise=enterprise, name="常州湖塘精工有限公司")
    services.set_active(actor=hutang, enterprise=enterprise, active=False, note="已注销")
    body = api_for(hutang).get(history_url(enterprise)).json()
    page = client_for(hutang).get(
        reverse("history", args=["enterprises", "enterprise", enterprise.pk])
    )
    assert body["count"] == len(page.context["entries"]) == 4
    assert [e["action"] for e in body["results"]] == [e.action for e in page.context["entries"]]
    newest, renamed = body["results"][:2]
    assert (newest["action_label"], newest["note"], newest["actor_name"]) == (
        "停用",
        "已注销",
        str(hutang),
    )
    assert renamed["changes"] == [
        {"field": "企业名称", "before": "常州湖塘精密机械有限公司", "after": "常州湖塘精工有限公司"}
    ]
    one_page = api_for(hutang).get(history_url(enterprise) + "?page_size=1").json()
    assert one_page["count"] == 4 and len(one_page["results"]) == 1 and one_page["next"]


def test_the_history_of_what_one_may_not_see_is_404(api_for, client_for, hutang, registry):
    other = registry[("牛塘镇", "常州牛塘电子有限公司")]
    api = api_for(hutang)
    assert api.get(history_url(other)).status_code == 404
    assert api.get("/api/v1/history/enterprises/nosuchmodel/1/").status_code == 404
    assert api.get("/api/v1/history/core/notification/1/").status_code == 404  # not a logged kind
    assert api.get("/api/v1/history/enterprises/enterprise/abc/").status_code == 404
    # The page gives the same answers (a malformed id used to crash it).
    page = client_for(hutang)
    assert (
        page.get(reverse("history", args=["enterprises", "enterprise", other.pk])).status_code
        == 404
    )
    assert (
        page.get(reverse("history", args=["enterprises", "enterprise", "abc"])).status_code == 404
    )
    assert api_for(None).get(history_url(other)).status_code == 401

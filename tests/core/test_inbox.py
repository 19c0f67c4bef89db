"""The inbox: notices with an unread count in the header, deduplicated sending, e-mail copy."""

from django.core import mail
from django.urls import reverse

from core.models import Notification
from core.notifications import notify


def test_notices_show_in_the_inbox_with_an_unread_count(client_for, hutang, niutang):
    notify([hutang], title="2019年第1季度报送被退回", body="请补充研发费用", link="/reports/")
    client = client_for(hutang)
    home = client.get(reverse("home")).content.decode()
    assert 'aria-label="未读 1 条"' in home
    inbox = client.get(reverse("inbox")).content.decode()
    assert "2019年第1季度报送被退回" in inbox and "请补充研发费用" in inbox
    assert 'aria-label="未读' not in client.get(reverse("home")).content.decode()  # now read
    assert (
        "2019年第1季度报送被退回" not in client_for(niutang).get(reverse("inbox")).content.decode()
    )


def test_the_same_notice_is_never_sent_twice(hutang, niutang, django_capture_on_commit_callbacks):
    hutang.email = "hutang@example.gov.cn"
    hutang.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify([hutang, niutang], title="报送提醒", dedupe="remind:2019Q2")
    with django_capture_on_commit_callbacks(execute=True):
        again = notify([hutang, niutang], title="报送提醒", dedupe="remind:2019Q2")
    assert len(first) == 2 and again == []
    assert Notification.objects.filter(title="报送提醒").count() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hutang@example.gov.cn"]


def test_the_mailed_copy_links_to_the_site_not_a_bare_path(
    hutang, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://htqy.wujin.gov.cn"
    hutang.email = "hutang@example.gov.cn"
    hutang.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify([hutang], title="报送被退回", body="请补充研发费用", link="/reports/submissions/7/")
    assert mail.outbox[0].body.endswith("https://htqy.wujin.gov.cn/reports/submissions/7/")

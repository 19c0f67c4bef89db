"""Login, logout, lockout, and the home page each persona lands on."""

import pytest
from django.urls import reverse

from core.demo import DEMO_PASSWORD

NAV_LABELS = ["企业库", "梯次培育", "目标任务", "季度报送", "驾驶舱", "通报"]


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_in_chinese(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "高企培育管理平台" in page
    assert "用户名" in page and "密码" in page and "登录" in page


@pytest.mark.parametrize(
    ("username", "unit", "role"),
    [
        ("district", "武进区", "区科技局工作人员"),
        ("hutang", "湖塘镇", "镇（园区）服务中心工作人员"),
        ("niutang", "牛塘镇", "镇（园区）服务中心工作人员"),
        ("leader", "武进区", "领导（只读）"),
        ("admin", "武进区", "系统管理员"),
    ],
)
def test_each_persona_logs_in_and_lands_on_home(client, personas, username, unit, role):
    response = login(client, username, DEMO_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    page = client.get(reverse("home")).content.decode()
    assert f"所属单位：<strong>{unit}</strong>" in page
    assert f"角色：<strong>{role}</strong>" in page
    for label in NAV_LABELS:
        assert label in page


def test_leader_home_says_read_only(client_for, leader):
    assert "只读" in client_for(leader).get(reverse("home")).content.decode()


def test_a_new_districts_home_says_there_is_nothing_to_do_yet(client_for, district):
    """Before any period or plan: the review queue and the certificates say so, calmly (the
    full home page, on the demo, is tests/dashboard/test_home.py)."""
    page = client_for(district).get(reverse("home")).content.decode()
    assert "没有等待审核的报送" in page
    assert "本季度到期的高企证书" in page and "<strong>0</strong> 家企业" in page
    assert "目标完成情况" not in page  # no plan yet


def test_wrong_password_and_unknown_user_get_the_same_chinese_error(client, personas):
    wrong_password = login(client, "hutang", "not-the-password").content.decode()
    unknown_user = login(client, "nobody", DEMO_PASSWORD).content.decode()
    message = "用户名或密码不正确"
    assert message in wrong_password and message in unknown_user
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, personas):
    login(client, "district", DEMO_PASSWORD)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    after = client.get(reverse("home"))
    assert after.status_code == 302 and after.url.startswith(reverse("login"))


def test_five_failures_lock_the_account_even_for_the_right_password(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "hutang", "wrong")
    locked = login(client, "hutang", DEMO_PASSWORD)
    assert locked.status_code in (403, 429)
    assert "锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is locked too (lockout by account and by IP).
    assert "锁定" in login(client, "niutang", DEMO_PASSWORD).content.decode()


def test_behind_the_proxy_one_guesser_locks_out_only_their_own_address(client, personas, settings):
    """docker compose puts one proxy before gunicorn: every request comes from its address,
    and the client's is the last entry the proxy added to X-Forwarded-For."""
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "172.18.0.2"}
    guesser = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "guess", "password": "x"}, **guesser)
    forged = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.7"}  # sent by the guesser
    again = client.post(
        reverse("login"), {"username": "hutang", "password": DEMO_PASSWORD}, **forged
    )
    assert "锁定" in again.content.decode()

    colleague = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    ok = client.post(
        reverse("login"), {"username": "niutang", "password": DEMO_PASSWORD}, **colleague
    )
    assert ok.status_code == 302


def test_lockout_expires_after_the_cooloff(client, personas, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "hutang", "wrong")
    AccessAttempt.objects.all().delete()  # what the cool-off expiry does
    assert login(client, "hutang", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("url_name", "empty_text"),
    [
        ("reports:index", "暂无报送期次"),
        ("dashboard:page", "暂无数据"),
        ("bulletins:list", "镇（园区）账号不能查阅"),
    ],
)
def test_sections_with_nothing_yet_show_an_empty_state(
    client_for, client, hutang, url_name, empty_text
):
    anonymous = client.get(reverse(url_name))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    page = client_for(hutang).get(reverse(url_name))
    assert page.status_code == 200
    assert empty_text in page.content.decode()


def test_unknown_page_is_a_chinese_404(client_for, hutang):
    response = client_for(hutang).get("/no-such-page/")
    assert response.status_code == 404
    assert "未找到该页面或记录" in response.content.decode()


def test_a_user_changes_their_own_password_with_chinese_errors(client, personas):
    login(client, "hutang", DEMO_PASSWORD)
    page = client.get(reverse("password_change")).content.decode()
    assert "旧密码" in page and "新密码" in page
    assert "密码至少需要 8 个字符" in page  # the rules, stated before they are broken

    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": "x", "new_password2": "x"},
    ).content.decode()
    assert "你的旧密码不正确" in wrong

    short = client.post(
        reverse("password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "Hu7!", "new_password2": "Hu7!"},
    ).content.decode()
    assert "密码太短，至少需要 8 个字符。" in short
    assert "This password" not in short

    done = client.post(
        reverse("password_change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Hutang#2020new",
            "new_password2": "Hutang#2020new",
        },
        follow=True,
    )
    assert "密码已修改" in done.content.decode()
    client.logout()
    assert login(client, "hutang", DEMO_PASSWORD).status_code == 200  # the old one: refused
    assert login(client, "hutang", "Hutang#2020new").status_code == 302


def test_the_side_navigation_marks_only_the_section_shown(client_for, district):
    client = client_for(district)
    home = client.get(reverse("home")).content.decode()
    assert '<a href="/" class="active" aria-current="page">首页</a>' in home
    inbox = client.get(reverse("inbox")).content.decode()
    assert 'aria-current="page"' not in inbox  # 消息 is not a section: 首页 is not lit
    enterprises = client.get("/enterprises/").content.decode()
    assert '<a href="/enterprises/" class="active" aria-current="page">企业库</a>' in enterprises

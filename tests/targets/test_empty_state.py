"""Targets before any plan exists (a module of its own: the page tests share the demo's plan)."""

from django.urls import reverse


def test_no_plan_yet_is_a_proper_empty_state(client_for, leader):
    page = client_for(leader).get(reverse("targets:index")).content.decode()
    assert "暂无目标任务" in page and "上级单位下达任务后将在此显示" in page
    assert "新建目标任务" not in page  # leaders are read-only

"""The demo ladder reproduces 武科发〔2019〕14号's numbers exactly, town by town."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from core.models import OrgUnit
from core.seeds import WUJIN_2019_ROWS, WUJIN_2019_TOTAL
from cultivation import selectors
from cultivation.models import Certificate
from enterprises.models import Enterprise


@pytest.fixture
def demo(demo_data, db):
    """The demo, loaded once for the module (tests/conftest.py)."""
    wujin = OrgUnit.objects.get(name="武进区")
    children = {}
    for child in wujin.children.all():  # the notice names some by short name (高新区), some in full
        children[child.name] = children[child.short_name] = child.pk
    return wujin, children


def test_valid_hte_at_end_of_2018_equals_the_notice_per_town(demo):
    wujin, children = demo
    counts = selectors.count_by_child(
        selectors.valid_hte_ids(date(2018, 12, 31)), wujin, date(2018, 12, 31)
    )
    assert {row.unit: counts[children[row.unit]] for row in WUJIN_2019_ROWS} == {
        row.unit: row.valid_2018 for row in WUJIN_2019_ROWS
    }
    assert counts[wujin.pk] == WUJIN_2019_TOTAL.valid_2018 == 533


def test_certificates_expiring_in_2019_equal_the_notice_per_town(demo):
    wujin, children = demo
    counts = selectors.metric_counts("expiring", 2019, wujin)
    assert {row.unit: counts[children[row.unit]] for row in WUJIN_2019_ROWS} == {
        row.unit: row.expiring for row in WUJIN_2019_ROWS
    }
    assert counts[wujin.pk] == 148


def test_mid_2019_has_work_in_progress(demo):
    wujin, _ = demo
    assert selectors.metric_counts("renewal_applications", 2019, wujin)[wujin.pk] > 50
    assert selectors.metric_counts("first_applications", 2019, wujin)[wujin.pk] > 30
    assert selectors.metric_counts("sme_evaluated", 2019, wujin)[wujin.pk] > 100
    assert selectors.stalled_pool(wujin, date(2019, 7, 15)).exists()
    passed = next(s["rate"] for s in selectors.funnel(wujin, 2018) if s["code"] == "first_passed")
    assert 0 < passed < 1  # 2018 had failures: pass rates are not 100 %


def test_loading_again_adds_no_ladder_rows(demo):
    before = Certificate.objects.count()
    call_command("load_demo", stdout=StringIO())
    assert Certificate.objects.count() == before


def test_an_enterprise_history_starts_with_its_creation(demo):
    """The demo's enterprises were entered before the first quarterly upload wrote to them,
    so each history reads in order: 新建 is the oldest entry."""
    from core.choices import Action
    from core.selectors import history_for
    from reports.models import Submission

    approved = Submission.objects.filter(status="approved", period__year=2019).first()
    enterprise = Enterprise.objects.filter(town=approved.unit).order_by("pk").first()
    entries = history_for(enterprise)  # newest first
    assert len(entries) > 1  # the upload's changes are there too
    assert entries[-1].action == Action.CREATE
    assert entries[-1].created_at < approved.uploaded_at
    assert enterprise.created_at <= entries[-1].created_at


@pytest.mark.parametrize(("town", "quarter"), [("武进国家高新技术产业开发区", 2), ("湖塘镇", 1)])
def test_the_current_years_figures_say_how_far_they_reach(
    demo, client_for, district, town, quarter
):
    """Mid-2019 an enterprise's 2019 row is year-to-date: 高新区's Q2 upload is approved,
    湖塘镇's Q2 waits for review, so its row still holds Q1."""
    from django.test import override_settings

    from enterprises.models import EnterpriseYear

    row = EnterpriseYear.objects.filter(year=2019, enterprise__town__name=town).first()
    with override_settings(PORTAL_TODAY=date(2019, 7, 15)):
        html = client_for(district).get(f"/enterprises/{row.enterprise_id}/").content.decode()
    assert f'<tr><td>2019<div class="muted small">截至第{quarter}季度</div></td>' in html
    assert "<tr><td>2018</td>" in html  # full years say nothing

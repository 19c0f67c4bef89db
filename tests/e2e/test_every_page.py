"""Every page a persona reaches from the side navigation, in a real browser at 1366×768 and
1920×1080, on the demo: it answers, raises no JavaScript error, requests nothing that
fails, and fits — the page itself never scrolls sideways (a wide table scrolls inside its
own box, its first column staying put). A screenshot of each goes to the printed folder."""

import pytest

from enterprises.models import Enterprise
from reports.models import ReportingPeriod, Submission
from targets.models import TargetPlan

from .browser import Journey

pytestmark = [pytest.mark.e2e]

SIZES = [(1366, 768), (1920, 1080)]
PAGES = [
    "/",
    "/enterprises/",
    "/cultivation/",
    "/cultivation/funnel/",
    "/cultivation/expiring/",
    "/cultivation/stalled/",
    "/cultivation/diagnosis/",
    "/cultivation/diagnosis/{enterprise}/",
    "/cultivation/enterprises/?metric=applications&year=2019",
    "/enterprises/{enterprise}/",
    "/targets/",
    "/targets/{plan}/",
    "/reports/",
    "/reports/periods/{period}/",
    "/reports/submissions/{submission}/",
    "/dashboard/",
    "/bulletins/",
    "/inbox/",
]
# The page's own horizontal overflow, in CSS pixels (0: it fits the window).
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Where the completion table's first cell of the last row sits after its box is scrolled
# right to the end: a sticky 单位 column stays at the box's left edge.
STICKY = """() => {
  const box = document.querySelector(".completion-scroll");
  const cell = box.querySelector("tbody tr:last-child td, tbody tr:last-child th");
  box.scrollLeft = box.scrollWidth;
  return [box.scrollLeft, cell.getBoundingClientRect().left - box.getBoundingClientRect().left];
}"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("username", ["district", "hutang", "leader"])
def test_every_page_fits_and_works(demo, live_server, browser, screenshots, username):
    period = ReportingPeriod.objects.get(year=2019, quarter=2)
    ids = {
        "plan": TargetPlan.objects.get(year=2019, unit__name="武进区").pk,
        "period": period.pk,
        # 湖塘镇's: every persona here may open them
        "submission": Submission.objects.get(period=period, unit__name="湖塘镇").pk,
        "enterprise": Enterprise.objects.filter(town__name="湖塘镇").order_by("pk").first().pk,
    }
    for width, height in SIZES:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(30_000)
        journey = Journey(context, live_server.url, screenshots)
        journey.login(username)
        for template in PAGES:
            path = template.format(**ids)
            response = journey.page.goto(live_server.url + path)
            journey.page.wait_for_load_state("networkidle")
            assert response.status == 200, (path, response.status)
            journey.shot(f"{username}-{width}-{path.strip('/').replace('/', '-') or 'home'}")
            assert journey.page.evaluate(OVERFLOW) <= 0, f"{path} 在 {width}px 宽时横向溢出"
            if path == f"/targets/{ids['plan']}/" and username != "hutang":
                scrolled, left = journey.page.evaluate(STICKY)
                if width == 1366:
                    assert scrolled > 0  # the table is wider than the window at 1366 px
                assert abs(left) <= 1, "单位列没有固定在左侧"
        journey.assert_no_errors()
        context.close()

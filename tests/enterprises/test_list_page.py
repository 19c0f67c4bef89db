"""The 企业库 list as district and town staff use it (issue 18, item 7): a Chinese sort menu,
page numbers with a jump box, the ladder's 当前梯次 and 证书有效期 in the list and its
exports, towns in the notice's order, and exports dated by the portal's clock."""

import csv
import io
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.models import OrgUnit
from cultivation import services as ladder
from cultivation.choices import ApplicationKind, PoolLevel
from enterprises import services
from enterprises.models import Enterprise

from .conftest import code

TODAY = date(2019, 7, 15)
PRECISION = "常州湖塘精密机械有限公司"
MATERIALS = "常州湖塘新材料有限公司"
ELECTRONICS = "常州牛塘电子有限公司"
BIOMEDICINE = "常州高新生物医药有限公司"
SAME_NAME = "常州同名科技有限公司"

# The notice's order of the demo units (core/demo.py), for tests to shuffle.
NOTICE_ORDER = ["高新区", "西太湖", "湖塘镇", "牛塘镇", "洛阳镇", "雪堰镇", "前黄镇", "礼嘉镇"]
NOTICE_ORDER += ["嘉泽镇", "湟里镇", "常经开"]


@pytest.fixture(autouse=True)
def _portal_today(settings):
    settings.PORTAL_TODAY = TODAY


@pytest.fixture
def ladder_history(registry):
    """Each rung once, as of 2019-07-15:
    湖塘精密 — a 2013 certificate (expired) and a 2018 one (valid): 高新技术企业;
    湖塘新材料 — in the pool since 2018: 培育库入库;
    牛塘电子 — evaluated 科技型中小企业 in 2019;
    高新生物 — a 2019 application planned: 申报中;
    牛塘's 同名科技 — a 2015 certificate, expired 2018-10-10, and an SME of 2018 only: 潜在;
    湖塘's 同名科技 — nothing: 潜在."""
    precision = registry[("湖塘镇", PRECISION)]
    for number, issued in (
        ("GR201332000001", date(2013, 12, 3)),
        ("GR201832000001", date(2018, 11, 28)),
    ):
        ladder.record_certificate(
            actor=None, enterprise=precision, number=number, issued_on=issued, historical=True
        )
    ladder.add_pool_membership(
        actor=None,
        enterprise=registry[("湖塘镇", MATERIALS)],
        level=PoolLevel.DISTRICT,
        year=2018,
        start=date(2018, 6, 15),
    )
    ladder.record_evaluation(actor=None, enterprise=registry[("牛塘镇", ELECTRONICS)], year=2019)
    ladder.add_application(
        actor=None,
        enterprise=registry[("高新区", BIOMEDICINE)],
        year=2019,
        kind=ApplicationKind.FIRST,
        planned_on=date(2019, 5, 1),
    )
    lapsed = registry[("牛塘镇", SAME_NAME)]
    ladder.record_certificate(
        actor=None,
        enterprise=lapsed,
        number="GR201532000009",
        issued_on=date(2015, 10, 10),
        historical=True,
    )
    ladder.record_evaluation(actor=None, enterprise=lapsed, year=2018)
    return registry


# (town, name) → (当前梯次, 证书有效期) on 2019-07-15
EXPECTED_LADDER = {
    ("湖塘镇", PRECISION): ("高新技术企业", "2018-11-28 至 2021-11-28"),
    ("湖塘镇", MATERIALS): ("培育库入库", ""),
    ("湖塘镇", SAME_NAME): ("潜在培育对象", ""),
    ("牛塘镇", ELECTRONICS): ("科技型中小企业", ""),
    ("牛塘镇", SAME_NAME): ("潜在培育对象", ""),
    ("高新区", BIOMEDICINE): ("申报中", ""),
}


# --- reading the page like a browser -------------------------------------------------------------


class _Page(HTMLParser):
    """The list table's rows (cell texts), the menus' options, the pagination's links and
    current page, and the jump box's fields — what a user sees and a browser sends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.links: list[tuple[str, str]] = []  # (text, href) inside .page-links
        self.current: list[str] = []  # the current page's marker, as text
        self.jump: list[tuple[str, str]] | None = None  # (name, value) of the jump box
        self._select = ""
        self._value = ""  # the href or option value of the text being read
        self._text: list[str] | None = None
        self._sink = ""  # what that text belongs to: cell, option, link, current
        self._in_body = False
        self._links_depth = 0  # spans open inside .page-links

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "span" and (self._links_depth or "page-links" in classes):
            self._links_depth += 1
            if "current" in classes:
                self._begin("current")
        elif tag == "a" and self._links_depth:
            self._begin("link", a.get("href") or "")
        else:
            self._other_start(tag, a, classes)

    def _other_start(self, tag, a, classes):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._begin("cell")
        elif tag == "select":
            self._select = a.get("name") or ""
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._begin("option", a.get("value") or "")
        elif tag == "form" and "page-jump" in classes:
            self.jump = []
        elif tag == "input" and self.jump is not None and a.get("name"):
            self.jump.append((a["name"], a.get("value") or ""))

    def _begin(self, sink: str, value: str = ""):
        self._sink, self._value, self._text = sink, value, []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        text = "".join(self._text or []).strip()
        ends = {"cell": "td", "option": "option", "link": "a", "current": "span"}
        if self._sink and ends[self._sink] == tag:
            if self._sink == "cell":
                self.rows[-1].append(text)
            elif self._sink == "option":
                self.options[self._select].append((self._value, text))
            elif self._sink == "link":
                self.links.append((text, self._value))
            else:
                self.current.append(text)
            self._sink, self._text = "", None
        if tag == "span" and self._links_depth:
            self._links_depth -= 1
        elif tag == "select":
            self._select = ""
        elif tag == "tbody":
            self._in_body = False


def read(client, **params):
    response = client.get(reverse("enterprises:index"), params)
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    return response, page


def ladder_columns(page: _Page) -> dict[str, tuple[str, str]]:
    """{name + town: (当前梯次, 证书有效期)} from the rendered rows ("—" for blank)."""
    return {f"{row[2]}/{row[0]}": (row[3], row[4]) for row in page.rows}


# --- 1. the sort menu -------------------------------------------------------------------------------


def test_the_sort_menu_reads_in_chinese(client_for, district, registry):
    response, page = read(client_for(district))
    assert page.options["ordering"] == [
        ("", "默认（按名称）"),
        ("name", "企业名称（升序）"),
        ("-name", "企业名称（降序）"),
        ("uscc", "统一社会信用代码（升序）"),
        ("-uscc", "统一社会信用代码（降序）"),
        ("town", "所属镇（园区）（升序）"),
        ("-town", "所属镇（园区）（降序）"),
        ("registered_on", "注册日期（升序）"),
        ("-registered_on", "注册日期（降序）"),
        ("updated_at", "更新时间（升序）"),
        ("-updated_at", "更新时间（降序）"),
    ]
    html = response.content.decode()
    for english in ("descending", "ascending", "Town", "Registered", "Updated", "Ordering"):
        assert english not in html


def test_each_sort_works_both_ways(client_for, district, registry):
    client = client_for(district)
    _, ascending = read(client, ordering="name")
    _, descending = read(client, ordering="-name")
    names = [r[0] for r in ascending.rows]
    assert names == list(Enterprise.objects.order_by("name").values_list("name", flat=True))
    assert [r[0] for r in descending.rows] == names[::-1]
    _, by_code = read(client, ordering="-uscc")
    assert [r[1] for r in by_code.rows] == sorted((code(n) for n in range(1, 7)), reverse=True)


# --- 2. page numbers and the jump box ---------------------------------------------------------------


QUERY = "q=%E6%B4%9B%E9%98%B3%E6%89%B9%E9%87%8F&page_size=2"  # q=洛阳批量&page_size=2


@pytest.fixture
def thirty(units):
    """30 enterprises in 洛阳镇 besides anything else: 15 pages of 2."""
    for n in range(30):
        services.create_enterprise(
            actor=None, uscc=code(500 + n), name=f"洛阳批量企业{n:02d}", town=units["洛阳镇"]
        )


def test_page_numbers_show_the_ends_and_a_window_with_gaps(client_for, district, thirty):
    response, page = read(client_for(district), q="洛阳批量", page_size=2, page=7)
    assert response.context["page"].number == 7
    numbers = [text for text, _ in page.links if text.isdigit()]
    assert numbers == ["1", "5", "6", "8", "9", "15"] and page.current == ["7"]
    assert response.content.decode().count('class="gap"') == 2  # 2–4 and 10–14 left out
    for _, href in page.links:  # every link keeps the filters
        assert re.fullmatch(rf"\?{QUERY}&page=\d+", href), href
    assert page.links[0] == ("上一页", f"?{QUERY}&page=6")
    assert page.links[-1] == ("下一页", f"?{QUERY}&page=8")


def test_a_single_missing_page_is_a_link_not_a_gap(client_for, district, thirty):
    _, page = read(client_for(district), q="洛阳批量", page_size=2, page=5)
    numbers = [text for text, _ in page.links if text.isdigit()]
    assert numbers == ["1", "2", "3", "4", "6", "7", "15"]  # 2 shown, 8–14 elided


def test_the_jump_box_goes_to_the_page_asked_and_keeps_the_filters(
    client_for, district, thirty, registry
):
    client = client_for(district)
    _, first = read(client, q="洛阳批量", page_size=2, ordering="-name")
    fields = dict(first.jump)
    assert fields == {"q": "洛阳批量", "page_size": "2", "ordering": "-name", "page": "1"}
    # what the browser sends once the user types 12 and presses 确定
    response, page = read(client, **{**fields, "page": "12"})
    assert response.context["page"].number == 12 and page.current == ["12"]
    expected = sorted((f"洛阳批量企业{n:02d}" for n in range(30)), reverse=True)[22:24]
    assert [row[0] for row in page.rows] == expected  # still filtered, still sorted
    assert dict(page.jump) == {**fields, "page": "12"}


def test_repeated_parameters_survive_the_jump(client_for, district, thirty):
    # A parameter given twice (a hand-typed or bookmarked URL) goes back twice, as in `query`.
    _, page = read(client_for(district), q="洛阳批量", page_size=2, x=["1", "2"])
    assert [(n, v) for n, v in page.jump if n == "x"] == [("x", "1"), ("x", "2")]


@pytest.mark.parametrize(("asked", "shown"), [("999", 15), ("abc", 1), ("0", 15), ("-3", 15)])
def test_a_page_out_of_range_or_not_a_number_does_not_crash(
    client_for, district, thirty, asked, shown
):
    response, page = read(client_for(district), q="洛阳批量", page_size=2, page=asked)
    assert response.context["page"].number == shown and page.current == [str(shown)]


def test_one_page_has_no_page_links_but_still_the_total(client_for, hutang, registry):
    response, page = read(client_for(hutang))
    assert "共 3 条，第 1/1 页" in response.content.decode()
    assert page.links == [] and page.jump is None


# --- 3. 当前梯次 and 证书有效期 -----------------------------------------------------------------------


def test_the_list_shows_each_enterprises_rung_and_valid_certificate(
    client_for, district, ladder_history, units
):
    _, page = read(client_for(district))
    assert ladder_columns(page) == {
        f"{units[town].label}/{name}": (rung, validity or "—")
        for (town, name), (rung, validity) in EXPECTED_LADDER.items()
    }


def test_the_rung_is_as_of_the_portals_today(client_for, district, ladder_history, settings):
    settings.PORTAL_TODAY = date(2021, 12, 1)  # the 2018 certificate has run out
    _, page = read(client_for(district), q="精密")
    assert ladder_columns(page) == {f"湖塘/{PRECISION}": ("潜在培育对象", "—")}


def test_a_town_sees_the_columns_for_its_own_enterprises(client_for, niutang, ladder_history):
    _, page = read(client_for(niutang))
    assert ladder_columns(page) == {
        f"牛塘/{ELECTRONICS}": ("科技型中小企业", "—"),
        f"牛塘/{SAME_NAME}": ("潜在培育对象", "—"),
    }


def _export(client, fmt, **params):
    return client.get(reverse("enterprises:export"), {"format": fmt, **params})


def _xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _csv_rows(response) -> list[list]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_the_exports_carry_the_same_two_columns(client_for, district, ladder_history, units):
    client = client_for(district)
    expected = {(units[t].label, n): v for (t, n), v in EXPECTED_LADDER.items()}
    for rows in (_xlsx_rows(_export(client, "xlsx")), _csv_rows(_export(client, "csv"))):
        header = rows[0]
        town = header.index("所属镇（园区）")
        assert header[town + 1 : town + 3] == ["当前梯次", "证书有效期"]
        found = {(r[town], r[0]): (r[town + 1], r[town + 2] or "") for r in rows[1:]}
        assert found == expected


def test_the_list_reads_the_ladder_in_a_fixed_number_of_queries(
    client_for, district, units, django_assert_max_num_queries
):
    # Each of the 60 holds a valid certificate, and half are evaluated SMEs: a lookup per row
    # would show as queries growing with the page.
    for n in range(60):
        enterprise = services.create_enterprise(
            actor=None, uscc=code(3000 + n), name=f"梯次企业{n:02d}", town=units["雪堰镇"]
        )
        ladder.record_certificate(
            actor=None,
            enterprise=enterprise,
            number=f"GR20183200{n:04d}",
            issued_on=date(2018, 11, 28),
            historical=True,
        )
        if n % 2:
            ladder.record_evaluation(actor=None, enterprise=enterprise, year=2019)
    client = client_for(district)
    read(client, page_size=50)  # the total ("共 N 条") is cached from here on
    with CaptureQueriesContext(connection) as queries:
        _, small = read(client, page_size=5)
    assert len(small.rows) == 5
    with django_assert_max_num_queries(len(queries)):
        _, large = read(client, page_size=50)
    assert len(large.rows) == 50
    assert all(row[3:5] == ["高新技术企业", "2018-11-28 至 2021-11-28"] for row in large.rows)


def test_the_export_reads_the_ladder_per_chunk_not_per_row(
    client_for, district, ladder_history, units
):
    client = client_for(district)

    def queries_for_export() -> int:
        with CaptureQueriesContext(connection) as queries:
            _csv_rows(_export(client, "csv"))
        return len(queries)

    before = queries_for_export()
    for n in range(20):
        enterprise = services.create_enterprise(
            actor=None, uscc=code(4000 + n), name=f"导出企业{n:02d}", town=units["嘉泽镇"]
        )
        ladder.record_evaluation(actor=None, enterprise=enterprise, year=2019)
    assert queries_for_export() == before


# --- 4. towns in the notice's order -----------------------------------------------------------------


def _reorder(units, names: list[str]) -> None:
    """Give the units these display orders (1, 2, …): unlike their ids, and so their paths."""
    for order, name in enumerate(names, start=1):
        OrgUnit.objects.filter(pk=units[name].pk).update(order=order)


def _full_names(units, names):
    return [units[name].name for name in names]


def test_the_town_filter_lists_the_units_in_display_order(client_for, district, registry, units):
    shuffled = list(reversed(NOTICE_ORDER))
    _reorder(units, shuffled)
    # 武进区's own place among 常州's districts: it still heads its towns, not sits among them
    OrgUnit.objects.filter(pk=units["武进区"].pk).update(order=6)
    _, page = read(client_for(district))
    towns = [label for _, label in page.options["town"]]
    assert towns == ["全部", "武进区", *_full_names(units, shuffled)]


def _by_name(units, town: str) -> list[str]:
    """The town's enterprises in the database's own name order (its collation, not Python's)."""
    return list(
        Enterprise.objects.filter(town=units[town]).order_by("name").values_list("name", flat=True)
    )


def test_sorting_by_town_follows_display_order(client_for, district, registry, units):
    towns = ["牛塘镇", "湖塘镇", "高新区"]
    _reorder(units, towns)
    client = client_for(district)
    _, ascending = read(client, ordering="town")
    assert [(row[2], row[0]) for row in ascending.rows] == [
        (units[town].label, name) for town in towns for name in _by_name(units, town)
    ]  # within a town, by name
    _, descending = read(client, ordering="-town")
    assert [row[2] for row in descending.rows] == ["高新区", "湖塘", "湖塘", "湖塘", "牛塘", "牛塘"]


def test_the_forms_offer_towns_in_display_order(client_for, district, registry, units):
    shuffled = list(reversed(NOTICE_ORDER))
    _reorder(units, shuffled)
    client = client_for(district)
    form = client.get(reverse("enterprises:create")).context["form"]
    offered = [label for value, label in form.fields["town"].choices if value]
    assert offered == ["武进区", *_full_names(units, shuffled)]
    enterprise = registry[("湖塘镇", PRECISION)]
    move = client.get(reverse("enterprises:move", args=[enterprise.pk])).context["form"]
    offered = [label for value, label in move.fields["town"].choices if value]
    assert offered == ["武进区", *_full_names(units, [u for u in shuffled if u != "湖塘镇"])]


def test_duplicates_are_grouped_in_town_display_order(client_for, district, registry, units):
    client = client_for(district)
    _reorder(units, ["牛塘镇", "湖塘镇"])
    group = client.get(reverse("enterprises:duplicates")).context["groups"][0]
    assert [e.town.name for e in group["enterprises"]] == ["牛塘镇", "湖塘镇"]
    _reorder(units, ["湖塘镇", "牛塘镇"])
    group = client.get(reverse("enterprises:duplicates")).context["groups"][0]
    assert [e.town.name for e in group["enterprises"]] == ["湖塘镇", "牛塘镇"]


# --- 5. file names by the portal's clock --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_exports_file_name_carries_the_portals_date(client_for, district, registry, fmt):
    disposition = _export(client_for(district), fmt)["Content-Disposition"]
    assert disposition.startswith("attachment")
    # 企业名录_20190715.<fmt>, percent-encoded as RFC 6266 asks for a non-ASCII name
    assert re.search(
        rf"filename\*=utf-8''%E4%BC%81%E4%B8%9A%E5%90%8D%E5%BD%95_20190715\.{fmt}$", disposition
    )


def test_the_workbook_says_the_portals_date_too(client_for, district, registry):
    book = load_workbook(io.BytesIO(_export(client_for(district), "xlsx").content))
    assert [row[0].value for row in book["说明"].iter_rows()][1] == "导出日期：2019-07-15"


def test_the_admin_exports_are_dated_by_the_portals_clock(client_for, admin_user, registry):
    from enterprises.io.resources import EnterpriseResource

    columns = {f"enterpriseresource_{n}": "on" for n in EnterpriseResource().get_export_order()}
    response = client_for(admin_user).post(
        reverse("admin:enterprises_enterprise_export"), {"format": "1", "resource": "0", **columns}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Enterprise-2019-07-15.csv"'

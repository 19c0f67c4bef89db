"""The conventions every /api/v1/ endpoint shares, as an integrator's client meets them: one
error shape in Chinese, JSON even where no route matches, query and body values held to the
documented types, one pagination style."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_address_no_route_matches_answers_json_not_the_html_page(api_for, hutang):
    response = api_for(hutang).get("/api/v1/enterprises/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "未找到该记录，或不在您的权限范围内。", "errors": {}}
    # Outside the API the page stays the portal's HTML 404.
    page = api_for(hutang).get("/enterprises/not-a-number/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=null", "page_size"),
        ("page=abc", "page"),
        ("above_scale=null", "above_scale"),  # a boolean filter: true or false only
        ("above_scale=", "above_scale"),  # empty is not "no filter" through the API
        ("town=湖塘镇", "town"),  # a unit is named by its id
        ("page_size=5&page_size=6", "page_size"),  # which one was meant?
        ("above_scale=true&above_scale=false", "above_scale"),
    ],
)
def test_a_query_value_of_the_wrong_type_is_a_400_naming_it(api_for, hutang, query, parameter):
    response = api_for(hutang).get(f"/api/v1/enterprises/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert body["message"].startswith(f"提交的数据有误（{parameter}）：")


def test_lists_page_with_counts_and_free_text_may_be_empty(api_for, district, registry):
    api = api_for(district)
    first = api.get("/api/v1/enterprises/?page_size=2&q=").json()
    assert first["count"] == len(registry) and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    rest = api.get(first["next"]).json()
    ids = {r["id"] for r in first["results"] + rest["results"]}
    assert len(ids) == 4  # two pages of two, no repeats
    past_the_end = api.get("/api/v1/enterprises/?page=99")
    assert past_the_end.status_code == 404 and past_the_end.json()["message"].startswith("页码")


def test_a_json_body_value_of_the_wrong_type_is_refused_not_converted(api_for, hutang):
    from core.models import ApiToken

    api = api_for(hutang)
    before = ApiToken.objects.count()
    response = api.post("/api/v1/tokens/", {"name": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["应为文本，收到 0。"]}
    assert ApiToken.objects.count() == before  # nothing saved as "0"
    assert api.post("/api/v1/tokens/", {"name": "对接"}, format="json").status_code == 201


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_are_served_from_the_portal_alone(client_for, hutang, client, page):
    assert client.get(page).status_code == 302  # to the login page
    response = client_for(hutang).get(page)
    html = response.content.decode()
    assert response.status_code == 200
    assert "googleapis" not in html and "cdn." not in html
    assert "/static/drf_spectacular_sidecar/" in html
    policy = response["Content-Security-Policy"]
    # Their inline styles are allowed; scripts are still only the portal's own files.
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self';" in policy


def test_a_text_over_its_documented_length_is_refused_as_sent(api_for, hutang):
    """DRF trims spaces before measuring: 60 characters of which 50 are spaces would pass a
    50-character limit. The schema says maxLength of what is sent, and so does the API."""
    from core.models import ApiToken

    limit = ApiToken._meta.get_field("name").max_length
    response = api_for(hutang).post(
        "/api/v1/tokens/", {"name": " " * limit + "对接"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert ApiToken.objects.count() == 1  # the test client's own token only

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from core.api.legacy import old_api_address
from dashboard import views as dashboard_views

admin.site.site_header = "高企培育管理平台 · 系统管理"
admin.site.site_title = "高企培育管理平台"
admin.site.index_title = "系统管理"

handler404 = "core.api.errors.page_not_found"
handler500 = "core.api.errors.server_error"

urlpatterns = [
    # 首页 lives in the dashboard app: it reads the reporting, ladder and target summaries.
    path("", dashboard_views.home_page, name="home"),
    path("", include("core.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("cultivation/", include("cultivation.urls")),
    path("targets/", include("targets.urls")),
    path("reports/", include("reports.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("bulletins/", include("bulletins.urls")),
    # The dashboard and bulletins lived under /reports/ before they became apps of their
    # own; bookmarks and the links in earlier notices still lead there.
    re_path(
        r"^reports/(?P<rest>(?:dashboard|bulletins)/.*)$",
        RedirectView.as_view(url="/%(rest)s", query_string=True, permanent=True),
    ),
    # Browsers (and the admin's pages, which have no icon link) still ask for /favicon.ico.
    path(
        "favicon.ico",
        RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True),
    ),
    path("api/v1/", include("core.api.urls")),
    # The unversioned, read-only API of 2019 (/api/enterprises/…): its GETs move for good.
    re_path(r"^api/(?!v1/)(?P<rest>.*)$", old_api_address),
    path("admin/", admin.site.urls),
]

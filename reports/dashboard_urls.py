"""驾驶舱 routes, in the `reports` namespace: the page and one JSON endpoint per block."""

from django.urls import path

from . import dashboard_views
from .dashboard import ENDPOINTS

urlpatterns = [
    path("dashboard/", dashboard_views.page, name="dashboard"),
    *[
        path(
            f"dashboard/data/{endpoint}/",
            dashboard_views.data,
            {"endpoint": endpoint},
            name=f"dashboard_{endpoint}",
        )
        for endpoint in ENDPOINTS
    ],
]

"""驾驶舱 routes: the page and one JSON endpoint per block."""

from django.urls import path

from . import views
from .selectors import ENDPOINTS

app_name = "dashboard"
urlpatterns = [
    path("", views.page, name="page"),
    *[
        path(f"data/{endpoint}/", views.data, {"endpoint": endpoint}, name=endpoint)
        for endpoint in ENDPOINTS
    ],
]

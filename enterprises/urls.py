from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

app_name = "enterprises"
urlpatterns = [
    path(
        "",
        login_required(empty_section),
        {"title": "企业库", "description": "企业名录、年度指标与变更历史将在此维护。"},
        name="index",
    ),
]

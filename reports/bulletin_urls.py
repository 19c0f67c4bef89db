from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

urlpatterns = [
    path(
        "bulletins/",
        login_required(empty_section),
        {"title": "通报", "description": "定期进度通报（Excel 与打印版）将在此生成与查阅。"},
        name="bulletins",
    ),
]

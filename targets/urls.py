from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

app_name = "targets"
urlpatterns = [
    path(
        "",
        login_required(empty_section),
        {"title": "目标任务", "description": "年度任务分解表、完成进度与序时进度将在此查看。"},
        name="index",
    ),
]

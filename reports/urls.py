from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

app_name = "reports"
urlpatterns = [
    path(
        "",
        login_required(empty_section),
        {"title": "季度报送", "description": "季度报送期次、模板下载、上传与审核将在此办理。"},
        name="index",
    ),
    path(
        "dashboard/",
        login_required(empty_section),
        {"title": "驾驶舱", "description": "目标完成情况、排名与趋势图表将在此展示。"},
        name="dashboard",
    ),
    path(
        "bulletins/",
        login_required(empty_section),
        {"title": "通报", "description": "定期进度通报（Excel 与打印版）将在此生成与查阅。"},
        name="bulletins",
    ),
]

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.period_list, name="index"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/template/", views.template_download, name="template"),
    path("periods/<int:pk>/upload/", views.upload, name="upload"),
    path("periods/<int:pk>/reopen/", views.period_reopen, name="reopen"),
    path("periods/<int:pk>/remind/", views.period_remind, name="remind"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job"),
    path("jobs/<uuid:pk>/status/", views.job_status, name="job_status"),
    path("jobs/<uuid:pk>/confirm/", views.job_confirm, name="job_confirm"),
    path("jobs/<uuid:pk>/retry/", views.job_retry, name="job_retry"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/file/", views.submission_file, name="submission_file"),
]

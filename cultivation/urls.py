from django.urls import path

from . import views

app_name = "cultivation"
urlpatterns = [
    path("", views.overview, name="index"),
    path("funnel/", views.funnel, name="funnel"),
    path("enterprises/", views.behind, name="behind"),
    path("expiring/", views.expiring, name="expiring"),
    path("expiring/export/", views.expiring_export, name="expiring_export"),
    path("stalled/", views.stalled, name="stalled"),
    path("diagnosis/", views.diagnosis_list, name="diagnosis"),
    path("diagnosis/export/", views.diagnosis_export, name="diagnosis_export"),
    path("diagnosis/<int:pk>/", views.diagnosis_detail, name="diagnosis_detail"),
    path("annual-reports/", views.annual_reports, name="annual_reports"),
    path("annual-reports/import/", views.annual_report_import, name="annual_report_import"),
    path("import/", views.import_history, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("enterprise/<int:pk>/<str:kind>/new/", views.record_add, name="record_add"),
    path("applications/<int:pk>/advance/", views.application_advance, name="application_advance"),
    path("pool/<int:pk>/end/", views.pool_end, name="pool_end"),
]

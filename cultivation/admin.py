"""Ladder records are viewed here; they are changed in the portal (forms, Excel import), whose
services keep the history consistent and logged."""

from django.contrib import admin

from core.admin import ScopedReadOnlyAdmin

from .models import (
    AnnualReport,
    Application,
    Certificate,
    Honour,
    PoolMembership,
    TechSMEEvaluation,
)


class LadderAdmin(ScopedReadOnlyAdmin):
    list_select_related = ["enterprise__town"]
    search_fields = ["enterprise__name", "enterprise__uscc"]


@admin.register(Certificate)
class CertificateAdmin(LadderAdmin):
    list_display = ["number", "enterprise", "issued_on", "expires_on", "revoked_on", "historical"]
    list_filter = ["historical"]
    date_hierarchy = "issued_on"
    search_fields = [*LadderAdmin.search_fields, "number"]


@admin.register(Application)
class ApplicationAdmin(LadderAdmin):
    list_display = ["enterprise", "year", "batch", "kind", "status", "submitted_on", "decided_on"]
    list_filter = ["year", "kind", "status"]


@admin.register(PoolMembership)
class PoolAdmin(LadderAdmin):
    list_display = ["enterprise", "level", "year", "start", "end", "exit_reason"]
    list_filter = ["level", "year", "exit_reason"]


@admin.register(TechSMEEvaluation)
class EvaluationAdmin(LadderAdmin):
    list_display = ["enterprise", "year", "reg_number", "evaluated_on"]
    list_filter = ["year"]


@admin.register(Honour)
class HonourAdmin(LadderAdmin):
    list_display = ["enterprise", "type", "level", "year", "expires_year"]
    list_filter = ["type", "level", "year"]


@admin.register(AnnualReport)
class AnnualReportAdmin(LadderAdmin):
    list_display = ["enterprise", "year", "filed_on", "source", "recorded_by"]
    list_filter = ["year", "source"]

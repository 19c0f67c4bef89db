from django.db import models


class PoolLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"


class PoolExit(models.TextChoices):
    CERTIFIED = "certified", "认定为高企"
    EXPIRED = "expired", "培育期满"
    WITHDRAWN = "withdrawn", "主动退出"
    REMOVED = "removed", "不再符合条件"
    OTHER = "other", "其他"


class ApplicationKind(models.TextChoices):
    FIRST = "first", "首次申报"
    RENEWAL = "renewal", "重新认定"


class ApplicationStatus(models.TextChoices):
    PLANNED = "planned", "拟申报"
    SUBMITTED = "submitted", "已申报"
    PASSED = "passed", "通过"
    FAILED = "failed", "未通过"
    WITHDRAWN = "withdrawn", "撤回"


# Which status may follow which: 拟申报 → 已申报 → 通过 / 未通过; 撤回 before a decision.
NEXT_STATUS: dict[str, set[str]] = {
    ApplicationStatus.PLANNED: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.PASSED,
        ApplicationStatus.FAILED,
        ApplicationStatus.WITHDRAWN,
    },
}
FILED = (ApplicationStatus.SUBMITTED, ApplicationStatus.PASSED, ApplicationStatus.FAILED)
DECIDED = (ApplicationStatus.PASSED, ApplicationStatus.FAILED)


class HonourType(models.TextChoices):
    GAZELLE = "gazelle", "瞪羚企业"
    EAGLET = "eaglet", "雏鹰企业"
    UNICORN = "unicorn", "独角兽（培育）企业"
    SPECIALISED = "specialised", "专精特新企业"
    LITTLE_GIANT = "little_giant", "专精特新“小巨人”企业"


class HonourLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"


class Rung(models.TextChoices):
    """Where an enterprise stands on the ladder today, highest first (derived, never stored)."""

    CERTIFIED = "certified", "高新技术企业"
    APPLYING = "applying", "申报中"
    POOL = "pool", "培育库入库"
    TECH_SME = "tech_sme", "科技型中小企业"
    PROSPECT = "prospect", "潜在培育对象"


class AnnualReportSource(models.TextChoices):
    """Where a 年报 record came from: the national system's filed list, or a clerk's entry."""

    IMPORTED = "imported", "导入名单"
    ENTERED = "entered", "人工登记"

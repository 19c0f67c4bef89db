from django.db import models


class UnitKind(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    DISTRICT = "district", "区"
    COUNTY = "county", "县"
    TOWN = "town", "镇"
    SUBDISTRICT = "subdistrict", "街道"
    DEV_ZONE = "devzone", "开发区"
    PARK = "park", "园区"


# The units that run a portal (issue plans, open periods, get bulletins).
DISTRICT_KINDS = (UnitKind.DISTRICT, UnitKind.COUNTY)


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", "区科技局工作人员"
    TOWN_STAFF = "town_staff", "镇（园区）服务中心工作人员"
    LEADER = "leader", "领导（只读）"
    ADMIN = "admin", "系统管理员"


class Action(models.TextChoices):
    """What a change-log entry records. Later apps add their verbs here."""

    CREATE = "create", "新建"
    UPDATE = "update", "修改"
    MOVE = "move", "迁移"
    DEACTIVATE = "deactivate", "停用"
    ACTIVATE = "activate", "启用"
    DELETE = "delete", "删除"
    IMPORT = "import", "导入"


class DownloadKind(models.TextChoices):
    """What a recorded download holds (core/downloads.py maps each route to one)."""

    ENTERPRISES = "enterprises", "企业名录"
    CULTIVATION = "cultivation", "梯次培育名单"
    TARGETS = "targets", "目标任务表"
    TEMPLATE = "template", "报送/导入模板"
    SUBMISSION = "submission", "报送原始文件"
    BULLETIN = "bulletin", "通报"
    OTHER = "other", "其他文件"

from django.db import models


class MetricUnit(models.TextChoices):
    COUNT = "家", "家"
    ITEMS = "个", "个"
    PERCENT = "%", "%"
    MONEY = "万元", "万元"


class MetricSource(models.TextChoices):
    LADDER = "ladder", "梯次培育记录"
    REPORTED = "reported", "季度报送（已审核）"


class ProgressMode(models.TextChoices):
    QUARTER = "quarter", "按季度（一季度 25%…）"
    DAY = "day", "按日"


class Status(models.TextChoices):
    DONE = "done", "已完成"
    AHEAD = "ahead", "超序时"
    BEHIND = "behind", "落后序时"
    SEVERE = "severe", "严重滞后"

from django.db import models


class TechField(models.TextChoices):
    """The 8 国家重点支持的高新技术领域 (国科发火〔2016〕32号 附件)."""

    ELECTRONICS = "electronics", "电子信息"
    BIOMEDICINE = "biomedicine", "生物与新医药"
    AEROSPACE = "aerospace", "航空航天"
    NEW_MATERIALS = "materials", "新材料"
    HIGH_TECH_SERVICES = "services", "高技术服务"
    NEW_ENERGY = "energy", "新能源与节能"
    ENVIRONMENT = "environment", "资源与环境"
    ADVANCED_MANUFACTURING = "manufacturing", "先进制造与自动化"

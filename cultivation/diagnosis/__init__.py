"""Pre-diagnosis (预诊断): pure checks of an enterprise's indicators against the
高新技术企业 certification conditions and the 科技型中小企业 evaluation.

No Django, no database: callers build :class:`Profile` and :class:`YearFigures` from
whatever they store and get a :class:`Diagnosis` back.
"""

from .common import (
    FIELD_LABELS,
    TECH_FIELDS,
    Condition,
    Diagnosis,
    Profile,
    ScorePart,
    Status,
    YearFigures,
)
from .hte import (
    diagnose_hte,
    growth_band,
    growth_rate,
    innovation_score_condition,
    rd_threshold,
    required_years,
    score_passes,
)
from .sme import diagnose_sme, score_meets, sme_score_condition

__all__ = [
    "FIELD_LABELS",
    "TECH_FIELDS",
    "Condition",
    "Diagnosis",
    "Profile",
    "ScorePart",
    "Status",
    "YearFigures",
    "diagnose_hte",
    "diagnose_sme",
    "growth_band",
    "growth_rate",
    "innovation_score_condition",
    "rd_threshold",
    "required_years",
    "score_meets",
    "score_passes",
    "sme_score_condition",
]

"""Model fields on the portal's clock."""

import datetime
from typing import Any

from django.db import models

from .dates import now


class PortalTimeField(models.DateTimeField):
    """A DateTimeField whose auto_now / auto_now_add stamp the portal's now (core.dates):
    with PORTAL_TODAY pinned, a record made today says so."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value: datetime.datetime = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

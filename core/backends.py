"""The portal's authentication backend: Django's, with the user's unit loaded alongside.

Every page reads `request.user.unit` (scope, the top bar), so loading it with the user makes
an authenticated request one query lighter — on a cached JSON endpoint that is a third of
its queries."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PortalBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("unit")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

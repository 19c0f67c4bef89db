from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import LoginForm
from .http import require_form_methods

urlpatterns = [
    path(
        "accounts/login/",
        # Wrapped: LoginView redirects a signed-in user before it looks at the method.
        require_form_methods(
            auth_views.LoginView.as_view(
                authentication_form=LoginForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path(
        "accounts/logout/", auth_views.LogoutView.as_view(http_method_names=["post"]), name="logout"
    ),
    path("accounts/password/", views.PasswordChange.as_view(), name="password_change"),
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("healthz/", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("audit/downloads/", views.download_audit, name="audit"),
    path("history/<str:app_label>/<str:model_name>/<str:pk>/", views.history, name="history"),
]

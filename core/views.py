from django.apps import apps
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.cache import cache
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache

from htportal.celery import app as celery_app

from . import selectors
from .dates import now
from .http import require_safe
from .models import Notification
from .params import paginate
from .scoping import get_for_user_or_404
from .tasks import HEARTBEAT


@require_safe
@login_required
def home(request):
    user = request.user
    return render(
        request,
        "core/home.html",
        {"unit": user.unit, "children": selectors.child_units(user.unit) if user.unit else []},
    )


def empty_section(request, *, title: str, description: str):
    """A section later work fills: a proper page saying so, never a 404."""
    return render(request, "core/section_empty.html", {"title": title, "description": description})


@require_safe
@login_required
def history(request, app_label: str, model_name: str, pk: str):
    """The change history of any logged object the user may see."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError as exc:
        raise Http404("未知的记录类型。") from exc
    if not hasattr(model._default_manager, "for_user"):
        raise Http404("该类型的记录没有变更历史。")
    instance = get_for_user_or_404(model._default_manager.all(), request.user, pk=pk)
    entries = selectors.history_for(instance)
    return render(
        request,
        "core/history.html",
        {"object": instance, "entries": entries, "verbose_name": model._meta.verbose_name},
    )


@require_safe
@never_cache
def healthz(request):
    """Machine-readable health: database, cache, broker, scheduler heartbeat."""
    report: dict[str, object] = {}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception as exc:  # any failure here means the portal cannot serve
        report["database"] = f"error: {exc.__class__.__name__}"
        status = 503
    report["cache"] = _check(_cache_ok)
    report["broker"] = "in-process" if settings.CELERY_TASK_ALWAYS_EAGER else _check(_broker_ok)
    last = selectors.last_run(HEARTBEAT) if status == 200 else None
    report["heartbeat"] = {"last_run": last.isoformat() if last else None}
    report["status"] = "ok" if status == 200 else "error"
    return JsonResponse(report, status=status, json_dumps_params={"ensure_ascii": False})


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # report, don't crash: health pages must always answer
        return f"error: {exc.__class__.__name__}"


def _cache_ok():
    cache.set("healthz", "1", 10)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache read-back failed")


def _broker_ok():
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@require_safe
@login_required
def inbox(request):
    """The user's notices, newest first; opening the page marks them read."""
    notices = Notification.objects.filter(recipient=request.user)
    context = paginate(request, notices, 30)
    unread_ids = [n.pk for n in context["page"].object_list if n.read_at is None]
    response = render(request, "core/inbox.html", {**context, "unread_ids": unread_ids})
    Notification.objects.filter(pk__in=unread_ids).update(read_at=now())
    return response


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change one's own password (old, new twice); the session stays signed in."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")
    success_message = "密码已修改，下次登录请使用新密码。"
    http_method_names = ["get", "head", "post"]

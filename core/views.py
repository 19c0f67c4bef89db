from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from htportal.celery import app as celery_app

from . import cache, notifications, selectors, services
from .authentication import PortalScopedThrottle
from .choices import DownloadKind
from .forms import ApiTokenForm
from .http import require_form_methods, require_safe
from .models import Notification
from .params import date_param, paginate
from .tasks import HEARTBEAT


@require_safe
@login_required
def history(request, app_label: str, model_name: str, pk: str):
    """The change history of any logged object the user may see."""
    instance = selectors.history_object(request.user, app_label, model_name, pk)
    entries = selectors.history_for(instance)
    return render(
        request,
        "core/history.html",
        {"object": instance, "entries": entries, "verbose_name": instance._meta.verbose_name},
    )


@require_safe
@login_required
def download_audit(request):
    """导出与下载记录: every file that left the portal, for the district's staff and the
    admin (the records of users in their subtree); towns and leaders are refused."""
    if not request.user.sees_download_audit:
        raise PermissionDenied("导出与下载记录仅供区科技局工作人员和系统管理员查看。")
    users = selectors.audited_users(request.user)
    try:
        user_id = int(request.GET["user"])
    except (KeyError, ValueError):
        user_id = None
    kind = request.GET.get("kind", "")
    kind = kind if kind in DownloadKind.values else ""
    start, end = date_param(request, "start"), date_param(request, "end")
    records = selectors.download_records(
        request.user, user_id=user_id, kind=kind, start=start, end=end
    )
    context = {
        **paginate(request, records, 50),
        "users": users,
        "kinds": DownloadKind.choices,
        "chosen": {"user": user_id, "kind": kind, "start": start, "end": end},
    }
    return render(request, "core/download_audit.html", context)


@require_safe
@never_cache
def healthz(request):
    """Machine-readable health: database, cache, broker, scheduler heartbeat.

    "ok" (200); "degraded" (503) when the cache or the broker fails — pages still answer
    (they compute instead of caching; big uploads are checked in the request or refused), but
    an operator must know; "error" (503) when the database fails: nothing works."""
    report: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception as exc:  # any failure here means the portal cannot serve
        report["database"] = f"error: {exc.__class__.__name__}"
    report["cache"] = _check(cache.ping)
    report["broker"] = "in-process" if celery_app.conf.task_always_eager else _check(_broker_ok)
    database_ok = report["database"] == "ok"
    last = selectors.last_run(HEARTBEAT) if database_ok else None
    report["heartbeat"] = {"last_run": last.isoformat() if last else None}
    if not database_ok:
        report["status"] = "error"
    elif any(str(report[part]).startswith("error") for part in ("cache", "broker")):
        report["status"] = "degraded"
    else:
        report["status"] = "ok"
    status = 200 if report["status"] == "ok" else 503
    return JsonResponse(report, status=status, json_dumps_params={"ensure_ascii": False})


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # report, don't crash: health pages must always answer
        return f"error: {exc.__class__.__name__}"


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
    notifications.mark_read(actor=request.user, ids=unread_ids)
    return response


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change one's own password (old, new twice); the session stays signed in."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")
    success_message = "密码已修改，下次登录请使用新密码。"
    http_method_names = ["get", "head", "post"]


TOKEN_CREATION = SimpleNamespace(throttle_scope="token-create")  # the API's budget, shared


@require_form_methods
@login_required
def api_tokens(request):
    """My API tokens: make one (its key is shown on this answer only), see and revoke them."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        if not PortalScopedThrottle().allow_request(request, TOKEN_CREATION):
            form.add_error(None, "创建令牌过于频繁，请稍后再试。")
        else:
            try:
                _, new_key = services.create_api_token(
                    actor=request.user, user=request.user, name=form.cleaned_data["name"]
                )
                form = ApiTokenForm()
            except ValidationError as exc:
                form.add_error("name", exc.messages)
    tokens = request.user.api_tokens.all()
    return render(
        request, "core/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key}
    )


@require_POST
@login_required
def api_token_revoke(request, pk: int):
    token = get_object_or_404(request.user.api_tokens, pk=pk)  # only one's own: others 404
    services.revoke_api_token(actor=request.user, token=token)
    messages.success(request, f"令牌“{token.name}”已撤销，使用它的程序将无法再访问。")
    return redirect("api_tokens")

"""Writes for the org-unit tree, personal API tokens and the download audit. Every change is
logged (core/changelog.py)."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .changelog import log_change, snapshot
from .choices import Action
from .dates import now
from .models import ApiToken, DownloadRecord, OrgUnit, User
from .scoping import ensure_unit_in_scope


@transaction.atomic
def create_unit(
    *,
    actor: User | None,
    name: str,
    kind: str,
    parent: OrgUnit | None,
    short_name: str = "",
    code: str = "",
    order: int = 0,
) -> OrgUnit:
    if actor is not None and parent is not None:
        ensure_unit_in_scope(actor, parent)
    unit = OrgUnit(
        name=name, kind=kind, parent=parent, short_name=short_name, code=code, order=order
    )
    unit.full_clean()
    unit.save()
    log_change(actor=actor, instance=unit, action=Action.CREATE, unit=unit, after=snapshot(unit))
    return unit


@transaction.atomic
def update_unit(*, actor: User | None, unit: OrgUnit, **changes: object) -> OrgUnit:
    """Change fields of a unit (rename, re-parent, deactivate…); history keeps the old values."""
    if actor is not None:
        ensure_unit_in_scope(actor, unit)
    before, old_parent_id = snapshot(unit), unit.parent_id
    for name, value in changes.items():
        setattr(unit, name, value)
    unit.full_clean()
    unit.save()
    after = snapshot(unit)
    if before != after:
        action = Action.MOVE if unit.parent_id != old_parent_id else Action.UPDATE
        log_change(actor=actor, instance=unit, action=action, unit=unit, before=before, after=after)
    return unit


TOKEN_PREFIX = "htp_"  # says what a leaked string is, so secret scanners and people can tell
MAX_ACTIVE_TOKENS = 20


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its key — the only time the key exists in clear."""
    if actor.pk != user.pk and not actor.is_portal_admin:
        raise PermissionDenied("只能为自己创建令牌。")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "请填写令牌用途，例如“区统计系统对接”。"})
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"有效令牌已达 {MAX_ACTIVE_TOKENS} 个，请先撤销不再使用的令牌。"}
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=key[:12], digest=token_digest(key))
    token.full_clean(exclude=["digest"])
    token.save()
    log_change(
        actor=actor, instance=token, action=Action.CREATE, unit=user.unit, after={"用途": name}
    )
    return token, key


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking it again changes nothing."""
    if actor.pk != token.user_id and not actor.is_portal_admin:
        raise PermissionDenied("只能撤销自己的令牌。")
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])
        log_change(
            actor=actor,
            instance=token,
            action=Action.UPDATE,
            unit=token.user.unit,
            note="撤销 API 令牌",
        )
    return token


@transaction.atomic  # a savepoint: a failed insert must not spoil the request's transaction
def record_download(
    *,
    user: User,
    file_name: str,
    kind: str,
    url_name: str,
    path: str,
    query: str = "",
    rows: int | None = None,
    via_api: bool = False,
    ip: str | None = None,
) -> DownloadRecord:
    """One file that left the portal (core.middleware.DownloadAuditMiddleware calls this)."""
    return DownloadRecord.objects.create(
        user=user,
        user_name=str(user)[:150],
        unit_id=user.unit_id,
        kind=kind,
        file_name=file_name[:255],
        url_name=url_name[:100],
        path=path[:500],
        query=query,
        rows=rows,
        via_api=via_api,
        ip=ip,
    )

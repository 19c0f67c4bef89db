"""The API's conventions, in one place: pagination, the error shape, the documented error
statuses, optimistic concurrency (ETag / If-Match), scoped writes and throttles.

Every endpoint under /api/v1/ is built from these, so an integrator learns them once:
- lists are `{"count", "next", "previous", "results"}` (`?page=`, `?page_size=` ≤ 500);
- every error is `{"message": "…", "errors": {"field": ["…"]}}`, in Chinese;
- 401: not signed in (no or a bad token); 403: signed in but not allowed (a leader writing,
  a town on a district-only action); 404: no such object *in your scope* — another town's
  enterprise is a 404, never a hint it exists; 412: the object changed since you read it;
  429: too many requests of a throttled kind (token creation, uploads).
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, QueryDict
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.models import User
from core.scoping import CHANGE, VIEW, can_change, can_write

from .errors import NOT_FOUND

# --- One error shape ------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer (documented once, as the `Error` component)."""

    message = serializers.CharField(help_text="给人看的一句话说明")
    # A field named like Serializer.errors: DRF's metaclass takes declared fields out of the
    # class, so the property stays intact at run time; mypy only sees the class body.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="按字段列出的错误；与具体字段无关的错误在 non_field_errors 下",
    )

    class Meta:
        ref_name = "Error"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "years.0.revenue": [messages]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "non_field_errors" if key == NON_FIELD_ERRORS else str(key)
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return out
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]} if items else {}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, after turning the services' Django errors into their API meaning."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        # get_object_or_404 says "No Enterprise matches the given query." — in English,
        # and naming the model; our own 404s say in Chinese what is missing.
        text = str(exc)
        exc = exceptions.NotFound(
            NOT_FOUND if not text or "matches the given query" in text else text
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "您没有执行该操作的权限。")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(response.data)
        field, messages = next(iter(errors.items()), ("non_field_errors", ["提交的数据有误。"]))
        where = "" if field == "non_field_errors" else f"（{field}）"
        response.data = {"message": f"提交的数据有误{where}：{messages[0]}", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"message": str(detail), "errors": {}}
    return response


# --- JSON types as documented ----------------------------------------------------------------

_JSON_KINDS: list[tuple[type, tuple[type, ...], str]] = [
    # (field class, the JSON types it takes, their name) — first match wins.
    (serializers.BooleanField, (bool,), "true 或 false"),
    (serializers.IntegerField, (int,), "整数"),
    (serializers.PrimaryKeyRelatedField, (int,), "记录编号（整数）"),
    (serializers.FloatField, (int, float), "数字"),
    (serializers.DecimalField, (int, float), "数字"),
    (serializers.ListField, (list,), "列表"),
    (serializers.ManyRelatedField, (list,), "列表"),
    (serializers.ListSerializer, (list,), "列表"),
    (serializers.DictField, (dict,), "对象"),
    (serializers.Serializer, (dict,), "对象"),
    (serializers.FileField, (), ""),  # multipart only: never in a JSON body
    (serializers.JSONField, (), ""),  # any JSON
    (serializers.ChoiceField, (), ""),  # by its choices' type, below
    (serializers.Field, (str,), "文本"),  # CharField, dates, times, UUIDs…
]


def _json_kind(field: serializers.Field) -> tuple[tuple[type, ...], str]:
    if isinstance(field, serializers.ChoiceField):
        keys = list(field.choices)
        if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
            return (int,), "整数"
        return (str,), "文本"
    return next((types, name) for cls, types, name in _JSON_KINDS if isinstance(field, cls))


def _json_type_errors(fields: Any, data: Any) -> dict[str, list[str]]:
    errors = {}
    for name, field in fields.items():
        value = data.get(field.field_name, None)
        if field.read_only or value is None:
            continue  # absent or null: DRF's own required / allow_null rules answer
        types, label = _json_kind(field)
        wrong = type(value) is bool and bool not in types  # True is an int to Python
        if types and (wrong or not isinstance(value, types)):
            errors[name] = [f"应为{label}，收到 {json.dumps(value, ensure_ascii=False)[:40]}。"]
        elif _too_long(field, value):
            # As sent: DRF trims surrounding spaces before checking the length, so a value
            # over the documented maxLength could otherwise be saved (cut to fit).
            errors[name] = [f"最多 {field.max_length} 个字符，收到 {len(value)} 个。"]
    return errors


def _too_long(field: serializers.Field, value: Any) -> bool:
    limit = getattr(field, "max_length", None)
    return isinstance(field, serializers.CharField) and limit is not None and len(value) > limit


class StrictTypes:
    """For serializers that read JSON bodies: a value must have the JSON type the schema
    documents. DRF quietly takes 0 for a name and "5" for a number; an integrator whose
    client sends the wrong type should hear so, not find a "0" saved. Form (multipart)
    bodies, all text by nature, are left to the fields' own parsing."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data, QueryDict):  # a JSON object
            errors = _json_type_errors(self.fields, data)  # type: ignore[attr-defined]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(StrictTypes, serializers.Serializer):
    """The API's serializer: DRF's, with JSON types checked (StrictTypes)."""


class ModelSerializer(StrictTypes, serializers.ModelSerializer):
    """The API's model serializer: DRF's, with JSON types checked (StrictTypes)."""


# --- Optimistic concurrency -----------------------------------------------------------------


def etag_of(data: Any) -> str:
    """The version of an object as the API shows it: a hash of its representation, so any
    change a reader could see moves it, and nothing else does."""
    raw = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "该记录已被他人修改：请重新读取（GET）后再提交。您的修改未保存。"
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "该记录当前的状态不允许此操作。"
    default_code = "conflict"


@contextmanager
def state_conflicts() -> Iterator[None]:
    """A service's refusal that names no field is about the record's state (the window is
    closed, the preview is not ready, the version was reviewed already): a 409 saying why.
    Refusals naming a field stay 400s (the exception handler)."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise Conflict(" ".join(error.messages)) from error


def error_response(description: str) -> OpenApiResponse:
    """A documented refusal beside the automatic ones (core/api/schema.py), in the Error shape."""
    return OpenApiResponse(ErrorSerializer, description=description)


CONFLICT = error_response("记录当前的状态不允许此操作（message 说明原因），未做任何修改")
PRECONDITION = error_response("If-Match 与记录当前版本不符：记录已被修改，本次未做任何修改")
NOT_JSON = error_response("请求体须为 JSON（Content-Type: application/json）")


def _matches(header: str, current: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or current in tags


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="上次读取时的 ETag；记录此后被修改则返回 412，不做任何修改。",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="记录当前版本；修改、删除时放进 If-Match。",
)
ETAG_200 = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    description="记录当前版本；下次修改时放进 If-Match。",
)


# --- Viewsets -------------------------------------------------------------------------------


def actor_of(request: Any) -> User:
    """The portal user a request speaks for. Every API view requires authentication
    (DEFAULT_PERMISSION_CLASSES), so by the time a handler runs this is never anonymous."""
    return cast(User, request.user)


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Base of every API endpoint over a scoped model: its queryset is the requesting user's
    scope, so an object outside it is a 404 like on the pages. Single objects carry an ETag."""

    @property
    def actor(self) -> User:
        """Who the services log as the author of a write: the token's or session's user."""
        return actor_of(self.request)

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        return queryset.for_user(self.request.user, VIEW)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(self.get_object()).data
        return Response(data, headers={"ETag": etag_of(data)})


READ_ONLY = "您的账号为只读权限，不能新增或修改记录。"


class ScopedActionsViewSet(ScopedViewSet):
    """Reads, plus writes on one object through the app's services (advance, confirm,
    review…) — the same validation, change log and scope as the pages.

    Every write answers in one order, the order a client can act on: not in your scope
    (404), visible but not yours to change (403, `denied` says why), a body that is not what
    the schema says (400), an If-Match that no longer matches (412, checked under the row's
    lock), then the service's own refusals (400 naming a field, 409 for the record's state).
    Nothing is written unless every check passed."""

    denied = "您的账号不能修改该记录。"

    def writable_object(self) -> Any:
        """The object a write names: in scope (else 404) and changeable (else 403)."""
        obj = self.get_object()
        if not can_change(self.actor, obj):
            raise exceptions.PermissionDenied(self.denied)
        return obj

    def changeable_object(self) -> Any:
        """The object, locked until the write commits, after the If-Match check: two writers
        holding the same ETag cannot both pass it (the second waits, then sees the new
        version). Call inside transaction.atomic(), after the body was validated."""
        obj = self.writable_object()
        type(obj)._default_manager.select_for_update().filter(pk=obj.pk).exists()
        obj = self.writable_object()
        header = self.request.headers.get("If-Match")
        if header and not _matches(header, etag_of(self.get_serializer(obj).data)):
            raise PreconditionFailed()
        return obj

    def step(self, body: serializers.BaseSerializer, write: Any) -> Response:
        """A custom write on one object: `write(obj, **fields)` with the body's validated
        fields, in the order above. Answers the object as re-read, with its new ETag."""
        self.writable_object()
        body.is_valid(raise_exception=True)
        with transaction.atomic(), state_conflicts():
            obj = self.changeable_object()
            write(obj, **body.validated_data)
        return self.answer(obj)

    def answer(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        data = self.get_serializer(self._reread(obj)).data
        return Response(data, status=code, headers={"ETag": etag_of(data)})

    def _reread(self, obj: Any) -> Any:
        """The saved object through the list's queryset (its select/prefetch), for the answer."""
        return self.get_queryset().get(pk=obj.pk)


class ScopedWriteViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedActionsViewSet
):
    """ScopedActionsViewSet, plus create / update / delete through the services. Subclasses
    implement `create_object(data)` and `update_object(obj, data)` (and `destroy_object(obj)`
    if deleting is allowed) and list the methods they offer in `http_method_names`. A user
    who may write nothing (a leader) is refused a create before its body is read."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def create_object(self, data: dict) -> Any:
        raise NotImplementedError

    def update_object(self, obj: Any, data: dict) -> Any:
        raise NotImplementedError

    def destroy_object(self, obj: Any) -> None:
        raise NotImplementedError

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        if not can_write(self.actor):
            raise exceptions.PermissionDenied(READ_ONLY)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic(), state_conflicts():
            obj = self.create_object(dict(serializer.validated_data))
        return self.answer(obj, status.HTTP_201_CREATED)

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.writable_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic(), state_conflicts():
            obj = self.update_object(self.changeable_object(), dict(serializer.validated_data))
        return self.answer(obj)

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic(), state_conflicts():
            self.destroy_object(self.changeable_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to another scoped object by id: only objects the user may `action` are
    accepted, so naming another town's enterprise is "不存在", as on the pages."""

    default_error_messages = {
        "does_not_exist": "编号为 {pk_value} 的记录不存在，或不在您的权限范围内。",
        "incorrect_type": "应为记录编号（整数），收到 {data_type}。",
    }

    def __init__(self, *, model: Any, action: str = CHANGE, **kwargs: Any) -> None:
        self.model, self.action = model, action
        super().__init__(queryset=model._default_manager.all(), **kwargs)

    def get_queryset(self) -> Any:
        return self.model._default_manager.for_user(self.context["request"].user, self.action)

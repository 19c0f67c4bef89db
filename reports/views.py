"""Quarterly reporting pages: periods, template download, upload → preview → confirm,
submissions with their diff and review, reporting rate, reopening."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.dates import today
from core.http import require_form_methods, require_safe, xlsx_attachment
from core.models import OrgUnit
from core.params import unit_param
from core.scoping import VIEW, can_change, get_for_user_or_404

from . import selectors, services
from .choices import JobStatus, SubmissionStatus
from .columns import BY_CODE
from .forms import PeriodForm, ReopenForm, ReviewForm, UploadForm
from .io.policy import upload_refusal
from .io.template import build_template
from .models import ReportingPeriod, Submission, UploadJob


def _period(request, pk) -> ReportingPeriod:
    return get_for_user_or_404(
        ReportingPeriod.objects.select_related("unit"), request.user, VIEW, pk=pk
    )


def _manages(user, period) -> bool:
    return selectors.manages(user, period)


def _reporting_unit(request, period) -> OrgUnit:
    """The unit the user reports for: their own (town staff) or ?unit= (district on behalf)."""
    if request.user.unit_id and period.required_units.filter(pk=request.user.unit_id).exists():
        return request.user.unit
    unit = unit_param(request)
    if not period.required_units.filter(pk=unit.pk).exists():
        raise Http404("该单位不在本期报送单位名单中。")
    return unit


def _can_open(user) -> bool:
    return selectors.can_open_periods(user)


@require_safe
@login_required
def period_list(request):
    periods = list(selectors.periods_for(request.user))
    for period in periods:  # a handful a year: the rate of each, as its page counts it
        rows = selectors.reporting_rate(
            period, selectors.visible_required_units(period, request.user)
        )
        period.totals = selectors.rate_totals(rows)
    return render(
        request,
        "reports/period_list.html",
        {
            "periods": periods,
            "can_open": _can_open(request.user),
        },
    )


@require_form_methods
@login_required
def period_create(request):
    unit = unit_param(request)
    if not _can_open(request.user) or not unit.children.exists():
        raise PermissionDenied("只有区科技局可以开启报送期次。")
    form = PeriodForm(
        request.POST or None,
        unit=unit,
        initial={"year": today().year, "columns": list(BY_CODE)[2:7]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = services.open_period(
                actor=request.user,
                unit=unit,
                columns=data["columns"],
                required_units=data["required_units"],
                **{k: data[k] for k in PeriodForm.Meta.fields},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"已开启{period}报送。")
            return redirect("reports:period", pk=period.pk)
    return render(request, "reports/period_form.html", {"form": form, "unit": unit})


# ?show= on the period page: the units behind one figure of its reporting rate.
SHOW = {
    "received": ("已报送", lambda r: r["received"]),
    "missing": ("未报送", lambda r: not r["received"]),
    "on_time": ("按时报送", lambda r: r["received"] and r["on_time"]),
    "late": ("逾期报送", lambda r: r["received"] and not r["on_time"]),
    "approved": ("审核通过", lambda r: r["approved"]),
    "waiting": ("已报送未通过审核", lambda r: r["received"] and not r["approved"]),
}


@require_safe
@login_required
def period_detail(request, pk):
    period = _period(request, pk)
    every = selectors.reporting_rate(period, selectors.visible_required_units(period, request.user))
    show = request.GET.get("show", "")
    label, keep = SHOW.get(show, ("", None))
    rows = [r for r in every if keep(r)] if keep else every
    mine = (
        request.user.unit
        if request.user.unit_id and period.required_units.filter(pk=request.user.unit_id).exists()
        else None
    )
    context = {
        "period": period,
        "rows": rows,
        "reopened": selectors.reopened_until(period, today()),
        "totals": selectors.rate_totals(every),
        "show": show if keep else "",
        "show_label": label,
        "manages": _manages(request.user, period),
        "mine": mine,
        "refusal": upload_refusal(period, mine) if mine else "",
        "history": selectors.versions(period, mine).select_related("uploaded_by") if mine else [],
        "upload_form": UploadForm(),
        "reopen_form": ReopenForm(period=period),
        "columns": [BY_CODE[c].header for c in period.columns if c in BY_CODE],
    }
    return render(request, "reports/period_detail.html", context)


@require_safe
@login_required
def template_download(request, pk):
    period = _period(request, pk)
    unit = _reporting_unit(request, period)
    name = f"{period.code}_{unit.label}_企业季度数据报送表.xlsx"
    return xlsx_attachment(build_template(period=period, unit=unit), name)


@require_POST
@login_required
def upload(request, pk):
    period = _period(request, pk)
    unit = _reporting_unit(request, period)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件。")
        return redirect("reports:period", pk=pk)
    uploaded = request.FILES["file"]
    try:
        job = services.start_upload(
            actor=request.user,
            period=period,
            unit=unit,
            file_name=uploaded.name,
            data=uploaded.read(),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:period", pk=pk)
    return redirect("reports:job", pk=job.pk)


def _job(request, pk) -> UploadJob:
    return get_for_user_or_404(
        UploadJob.objects.select_related("period", "unit"), request.user, VIEW, pk=pk
    )


@require_safe
@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    result = job.result or {}
    labels = {code: column.header for code, column in BY_CODE.items()}
    return render(
        request,
        "reports/job.html",
        {
            "job": job,
            "result": result,
            "labels": labels,
            "JobStatus": JobStatus,
            # who may upload for the unit may have its kept file processed again
            "can_retry": job.can_retry and can_change(request.user, job),
        },
    )


@require_safe
@login_required
def job_status(request, pk):
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "progress": job.progress,
            "total": job.total,
        }
    )


@require_POST
@login_required
def job_confirm(request, pk):
    job = _job(request, pk)
    try:
        submission, created = services.confirm_upload(
            actor=request.user, job=job, acknowledged=request.POST.get("acknowledged") == "1"
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:job", pk=pk)
    if created:
        on_time = "按时" if submission.on_time else "逾期"
        messages.success(
            request,
            f"已报送（第{submission.version}版，{on_time}），待区科技局审核；审核通过后数据写入企业库。",
        )
    else:
        messages.success(request, f"内容与第{submission.version}版相同，未生成新版本。")
    return redirect("reports:submission", pk=submission.pk)


@require_POST
@login_required
def job_retry(request, pk):
    """重试: a failed job's kept file goes to a worker again (or is checked here, if small)."""
    job = _job(request, pk)
    try:
        job = services.retry_upload(actor=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        job.refresh_from_db()  # the dispatch ran on commit: queued, or checked here already
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            messages.success(request, "已重新提交后台处理，本页会自动刷新。")
    return redirect("reports:job", pk=pk)


def _submission(request, pk) -> Submission:
    return get_for_user_or_404(
        Submission.objects.select_related("period__unit", "unit", "uploaded_by", "reviewed_by"),
        request.user,
        VIEW,
        pk=pk,
    )


@require_form_methods
@login_required
def submission_detail(request, pk):
    submission = _submission(request, pk)
    form = ReviewForm(request.POST or None)
    manages = selectors.reviews(request.user, submission)
    if request.method == "POST":
        if not manages:
            raise PermissionDenied("只有区科技局可以审核报送。")
        if form.is_valid():
            try:
                reviewed = services.review(
                    actor=request.user,
                    submission=submission,
                    approve=form.cleaned_data["decision"] == "approve",
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                done = "审核通过，数据已写入企业库" if reviewed.applied_at else "退回"
                messages.success(request, f"已{done}。")
                return redirect("reports:submission", pk=pk)
    labels = {code: column.header for code, column in BY_CODE.items()}
    return render(
        request,
        "reports/submission.html",
        {
            "submission": submission,
            "diff": selectors.diff_with_previous(submission),
            "figures": selectors.reported_figures(submission),
            "pending": selectors.pending_changes(submission)
            if submission.status == SubmissionStatus.SUBMITTED
            else None,
            "form": form,
            "manages": manages,
            "labels": labels,
        },
    )


@require_safe
@login_required
def submission_file(request, pk):
    submission = _submission(request, pk)
    if not submission.file or not submission.file.storage.exists(submission.file.name or ""):
        # The media volume lost it (restored without files, say): say so, don't crash.
        raise Http404("该版本上传的原始文件已不在服务器上；报送的数据仍完整保存在系统中。")
    return FileResponse(
        submission.file.open("rb"), as_attachment=True, filename=submission.file_name
    )


@require_POST
@login_required
def period_reopen(request, pk):
    period = _period(request, pk)
    if not _manages(request.user, period):
        raise PermissionDenied("只有区科技局可以重新开放报送。")
    form = ReopenForm(request.POST, period=period)
    if form.is_valid():
        try:
            services.reopen(actor=request.user, period=period, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"已为{form.cleaned_data['unit']}重新开放至 {form.cleaned_data['until']:%Y-%m-%d}。",
            )
    else:
        messages.error(request, "请选择单位并填写重新开放截止日期。")
    return redirect("reports:period", pk=pk)


@require_POST
@login_required
def period_remind(request, pk):
    """提醒未报送单位: the district reminds the units that have not submitted, now."""
    period = _period(request, pk)
    if not _manages(request.user, period):
        raise PermissionDenied("只有区科技局可以提醒未报送单位。")
    try:
        done = services.remind_missing(actor=request.user, period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:  # nothing sent is not a success: the page says why, in the warning's colour
        (messages.success if done.reminded else messages.warning)(request, done.message())
    return redirect("reports:period", pk=pk)

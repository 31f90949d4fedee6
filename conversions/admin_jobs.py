"""Admin of re-attribution jobs: "Re-attribute a date range" (a form that says how many conversions it will touch
before anything starts) and the jobs' list and read-only detail with a progress bar that refreshes while a job runs.

Imported by ``conversions.admin``; scoped by ``TenantAdminMixin`` like every screen; the job is created by
``reattribution_job_create`` and run by its task, never by this module.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminSingleDateWidget

from accounts.models import Organization
from core.admin.display import EMPTY, local_time, local_time_cell, nowrap
from core.admin.filters import OrganizationFilter
from core.admin.mixins import TenantAdminMixin, service_error_dict
from core.admin.scoping import organizations_for, single_organization

from .models import Conversion, ReattributionJob
from .selectors import reattribution_conversions
from .services import (
    REATTRIBUTION_JOB_MAX_DAYS,
    organization_attribution_defaults,
    reattribution_job_create,
    reattribution_job_resume,
    reattribution_range_validate,
)

REFRESH_SECONDS = 5  # how often a page showing an unfinished job reloads itself
DEFAULT_RANGE_DAYS = 30  # the range the form suggests: the last 30 local days
ACTIVE_STATUSES = (ReattributionJob.Status.QUEUED, ReattributionJob.Status.RUNNING)


class ReattributeRangeForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), widget=UnfoldAdminSelectWidget)
    date_from = forms.DateField(
        label="First day", widget=UnfoldAdminSingleDateWidget, help_text="Local day in the organization's time zone."
    )
    date_to = forms.DateField(
        label="Last day",
        widget=UnfoldAdminSingleDateWidget,
        help_text=f"Inclusive, like the reports. At most {REATTRIBUTION_JOB_MAX_DAYS} days in one job.",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.single = single_organization(request)
        if self.single is not None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations_for(request)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            reattribution_range_validate(date_from=cleaned.get("date_from"), date_to=cleaned.get("date_to"))
        except ValidationError as error:
            for field, messages_ in service_error_dict(error, self.fields).items():
                self.add_error(field, messages_)
        cleaned["organization"] = self.single or cleaned.get("organization")
        return cleaned


FIELD_UNITS = {"attribution_window": "days"}


def _labelled(name: str, value) -> tuple[str, str]:
    """A conversion field and a value as staff read them: ("Attribution model", "Last touch"), ("…", "7 days")."""
    field = Conversion._meta.get_field(name)
    label = dict(field.choices).get(value, value) if field.choices else value
    shown = (
        "the organization's default" if label is None else " ".join(filter(None, [str(label), FIELD_UNITS.get(name)]))
    )
    return str(field.verbose_name).capitalize(), shown


def progress_bar(job: ReattributionJob):
    """The job's progress as a bar and "37 % (370 of 1,000)"."""
    return format_html(
        '<div class="flex flex-col gap-1 min-w-40" title="{} of {}">'
        '<div class="bg-base-100 dark:bg-base-800 flex overflow-hidden rounded-default">'
        '<div class="h-1.5 bg-primary-600 dark:bg-primary-500 rounded-default" style="width: {}%"></div></div>'
        '<span class="whitespace-nowrap">{} % ({} of {})</span></div>',
        job.processed,
        job.total,
        job.percent,
        job.percent,
        f"{job.processed:,}",
        f"{job.total:,}",
    )


@admin.register(ReattributionJob)
class ReattributionJobAdmin(TenantAdminMixin, ModelAdmin):
    """Jobs are started from the "Re-attribute a date range" form (this admin's add page) and never edited: their
    progress is the task's to write. A failed job can be resumed; it continues after its last committed chunk."""

    member_permissions = frozenset({"view", "add"})
    list_display = (
        "created_local", "date_range", "status_label", "progress", "changed_count", "created_by", "finished_local",
    )  # fmt: skip
    list_display_links = ("created_local",)
    list_filter = ("status", OrganizationFilter)
    list_select_related = ("organization", "created_by")
    ordering = ("-created_at",)
    empty_value_display = EMPTY
    actions = ("resume",)
    change_list_template = "admin/conversions/reattributionjob/change_list.html"
    change_form_template = "admin/conversions/reattributionjob/change_form.html"
    fields = (
        "organization", "date_range", "status_label", "progress", "changed_count", "error", "created_by",
        "created_local", "started_local", "finished_local",
    )  # fmt: skip
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Columns

    @admin.display(description="created at", ordering="created_at")
    def created_local(self, obj):
        return local_time_cell(obj.created_at, obj.organization.zone)

    @admin.display(description="started at")
    def started_local(self, obj):
        return local_time(obj.started_at, obj.organization.zone)

    @admin.display(description="finished at", ordering="finished_at")
    def finished_local(self, obj):
        return local_time_cell(obj.finished_at, obj.organization.zone)

    @admin.display(description="days (local, inclusive)", ordering="date_from")
    def date_range(self, obj):
        return nowrap(f"{obj.date_from} – {obj.date_to}")

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description="progress")
    def progress(self, obj):
        return progress_bar(obj)

    @admin.display(description="changed", ordering="changed")
    def changed_count(self, obj):
        return f"{obj.changed:,}"

    # Pages that reload themselves while a job is unfinished

    def changelist_view(self, request, extra_context=None):
        active = self.get_queryset(request).filter(status__in=ACTIVE_STATUSES).exists()
        extra_context = {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS if active else None}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        active = job is not None and job.status in ACTIVE_STATUSES
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": REFRESH_SECONDS if active else None,
            "show_save": False,
            "show_save_and_continue": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # "Re-attribute a date range": the add page

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        today = timezone.localdate(timezone=self._zone(request))
        initial = {"date_from": today - timedelta(days=DEFAULT_RANGE_DAYS - 1), "date_to": today}
        form = ReattributeRangeForm(request.POST or None, request=request, initial=initial)
        preview = None
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
            key = f"{organization.pk}|{date_from}|{date_to}"
            if "start" in request.POST and request.POST.get("previewed") == key:  # the count shown was this range's
                try:
                    job = reattribution_job_create(
                        organization=organization, date_from=date_from, date_to=date_to, created_by=request.user
                    )
                except ValidationError as error:
                    for field, messages_ in service_error_dict(error, form.fields).items():
                        form.add_error(field, messages_)
                else:
                    self.message_user(
                        request,
                        f"Re-attribution of {job.total:,} conversion(s) from {date_from} to {date_to} started.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:conversions_reattributionjob_change", args=[job.pk]))
            if not form.errors:
                preview = self._preview(organization, date_from, date_to)
        context = {
            **self.admin_site.each_context(request),
            "title": "Re-attribute a date range with the current defaults",
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "media": self.media + form.media,
            "max_days": REATTRIBUTION_JOB_MAX_DAYS,
        }
        return TemplateResponse(request, "admin/conversions/reattributionjob/start.html", context)

    def _zone(self, request):
        organization = single_organization(request)
        return organization.zone if organization is not None else timezone.get_default_timezone()

    def _preview(self, organization, date_from, date_to) -> dict:
        in_range = reattribution_conversions(organization=organization, date_from=date_from, date_to=date_to)
        defaults = organization_attribution_defaults(organization)
        windows = f"clicks {organization.click_window_days} days, opens {organization.open_window_days} days"
        return {
            "key": f"{organization.pk}|{date_from}|{date_to}",
            "organization": organization,
            "date_from": date_from,
            "date_to": date_to,
            "count": in_range.count(),
            "already": in_range.filter(**defaults).count(),
            "defaults": [_labelled("attribution_model", defaults["attribution_model"])] + [("Windows", windows)],
            "explicit": Conversion.objects.for_organization(organization)
            .filter(converted_date__gte=date_from, converted_date__lte=date_to)
            .count()
            - in_range.count(),
        }

    # Actions

    @admin.action(description="Resume selected failed jobs", permissions=["add"])
    def resume(self, request, queryset):
        failed = list(queryset.filter(status=ReattributionJob.Status.FAILED))
        for job in failed:
            reattribution_job_resume(job=job)
        skipped = queryset.count() - len(failed)
        self.message_user(
            request,
            f"{len(failed)} job(s) queued again; {skipped} not failed, left alone.",
            messages.SUCCESS if failed else messages.WARNING,
        )

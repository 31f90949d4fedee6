"""CSV import and export in the admin (django-import-export), writing through the services.

Every import is tied to one organization, chosen on the import form among the user's own. Each row is parsed
by the resource's widgets, then handed to a service (``write_row``), so an imported row obeys exactly the rules of
an API write; a service's ``ValidationError`` or ``ConflictError`` becomes that row's error in the preview.

The preview is django-import-export's dry run: the whole import runs in a transaction that is rolled back. It lists
every row of the file in order (``import_preview``): the valid ones as they would be stored (new, update, skip) and
the failing ones with each error on its row, under the column it is about. Nothing is written until the import is
confirmed, and an import with a failing row cannot be confirmed: the page says so, and the file is fixed and
uploaded again. (Importing only the valid rows would make the corrected file, uploaded again, repeat them: rows
without an ``order_id`` have nothing to be recognised by.) The confirmed import runs the file again and writes all
of it or, should a row fail by then (the data changed since the preview), nothing.
"""

import json
import uuid
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from import_export import resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ConfirmImportForm
from import_export.results import RowResult
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.widgets import UnfoldAdminSelectWidget

from .admin.mixins import copy_state
from .admin.scoping import organizations_for, single_organization
from .exceptions import ConflictError
from .tenancy import get_tenant_model

PARSE_ERRORS = (ValueError, TypeError, ArithmeticError)


class IsoDateTimeWidget(widgets.Widget):
    """ISO 8601 in and out. A time without an offset stays naive: the service reads it in the organization's zone."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        parsed = parse_datetime(str(value).strip())
        if parsed is None:
            raise ValueError("Enter an ISO 8601 date and time, e.g. 2024-05-01T14:30:00+02:00.")
        return parsed

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value is not None else ""


class JsonObjectWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"Not valid JSON: {error.msg}.") from error

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value, sort_keys=True) if value else ""


class TenantForeignKeyWidget(widgets.Widget):
    """An id column resolved among the import's organization's rows only; anything else 'does not exist'."""

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.organization = None

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return self.model.objects.for_organization(self.organization).get(pk=uuid.UUID(str(value).strip()))
        except (ValueError, self.model.DoesNotExist) as error:
            raise ValueError("Does not exist.") from error

    def render(self, value, obj=None, **kwargs):
        return str(value) if value is not None else ""


class ServiceResource(resources.ModelResource):
    """A resource whose rows are written by a service.

    Subclasses set ``service_columns`` (the columns that become service arguments, by column name; the service
    argument is the column name without a trailing ``_id`` for foreign keys) and implement ``find_existing`` and
    ``write_row``. Empty cells are left out so the service applies its defaults.
    """

    service_columns: tuple[str, ...] = ()

    class Meta:
        store_row_values = True  # the preview shows a failing row's cells as they are in the file
        report_skipped = True  # every row of the file is in the result, in order

    def __init__(self, organization=None, **kwargs):
        super().__init__(**kwargs)
        self.organization = organization
        for field in self.fields.values():
            if isinstance(field.widget, TenantForeignKeyWidget):
                field.widget.organization = organization
        self._row_import_type = None

    def find_existing(self, row: dict):
        """The stored row this import row is about (shown as the diff's 'before'), or ``None``."""
        return None

    def get_user_visible_fields(self):
        """The columns an import reads (listed on the import page): the written ones, not the read-only ones."""
        return [field for field in self.get_import_fields() if field.column_name in self.service_columns]

    def after_import(self, dataset, result, **kwargs):
        result.file_headers = [str(header) for header in (dataset.headers or [])]

    def write_row(self, instance, is_create: bool, values: dict):
        """Call the service; return ``(stored_row, import_type)`` with a ``RowResult.IMPORT_TYPE_*``."""
        raise NotImplementedError

    def get_or_init_instance(self, instance_loader, row):
        existing = self.find_existing(row) if self.organization is not None else None
        if existing is not None:
            return existing, False
        return self.init_instance(row), True

    def import_instance(self, instance, row, **kwargs):
        values, errors = {}, {}
        for field in self.get_import_fields():
            if field.column_name not in self.service_columns or field.column_name not in row:
                continue
            try:
                value = field.clean(row, **kwargs)
            except PARSE_ERRORS as error:
                errors[field.column_name] = ValidationError(str(error) or "Invalid value.")
                continue
            if value not in (None, ""):
                values[_service_argument(field.column_name)] = value
        instance._service_values = values
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        self._row_import_type = None

    def save_instance(self, instance, is_create, row, **kwargs):
        if self.organization is None:
            raise ValidationError("Choose the organization to import into.")
        try:
            stored, self._row_import_type = self.write_row(instance, is_create, instance._service_values)
        except ConflictError as error:
            raise ValidationError({self.conflict_column(): [error.message]}) from error
        except ValidationError as error:
            raise _column_errors(error) from error
        copy_state(stored, instance)

    def conflict_column(self) -> str:
        return "__all__"

    def after_import_row(self, row, row_result, **kwargs):
        if self._row_import_type is not None and row_result.import_type not in (
            RowResult.IMPORT_TYPE_ERROR,
            RowResult.IMPORT_TYPE_INVALID,
        ):
            row_result.import_type = self._row_import_type

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.for_organization(self.organization) if self.organization else queryset.none()


def _service_argument(column: str) -> str:
    own_ids = ("order_id", "client_contact_id", "external_id")  # a row's own identifiers, not references
    return column[:-3] if column.endswith("_id") and column not in own_ids else column


def _column_errors(error: ValidationError) -> ValidationError:
    """Service error keys are the API's names, which are also the CSV columns."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"__all__": error.messages})
    return ValidationError({key: messages for key, messages in error.message_dict.items()})


# --- Admin side -----------------------------------------------------------------------------------------------------


class OrganizationImportForm(ImportForm):
    organization = forms.ModelChoiceField(
        queryset=get_tenant_model().objects.none(), help_text="Rows are imported into it.",
        widget=UnfoldAdminSelectWidget,
    )  # fmt: skip
    field_order = ["organization", "resource", "import_file", "format"]


class OrganizationConfirmImportForm(ConfirmImportForm):
    organization = forms.ModelChoiceField(queryset=get_tenant_model().objects.none(), widget=forms.HiddenInput)


class TenantImportExportMixin(ImportExportMixin):
    """CSV import into one of the user's organizations, with a dry-run preview; CSV export of the current list.

    Import needs the add permission, export the view permission, both within the tenant scope of the admin.
    """

    import_form_class = OrganizationImportForm
    confirm_form_class = OrganizationConfirmImportForm
    export_form_class = ExportForm
    import_formats = [base_formats.CSV]
    export_formats = [base_formats.CSV]

    def has_import_permission(self, request):
        return self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def _scope_organization(self, request, form):
        field = form.fields["organization"]
        field.queryset = organizations_for(request)
        only = single_organization(request)
        if only is not None:
            field.initial = only.pk
            field.widget = forms.HiddenInput()
        else:
            # A superuser, or a member of several: one organization to choose from is chosen already.
            choices = list(field.queryset[:2])
            if len(choices) == 1:
                field.initial = choices[0].pk
                field.empty_label = None
        return form

    def create_import_form(self, request):
        return self._scope_organization(request, super().create_import_form(request))

    def create_confirm_form(self, request, import_form=None):
        return self._scope_organization(request, super().create_confirm_form(request, import_form))

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["organization"] = import_form.cleaned_data["organization"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", None) or {}
        return {"organization": cleaned.get("organization")}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_import_data_kwargs(self, **kwargs):
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        # A confirmed import writes the whole file or nothing (the preview is rolled back anyway).
        return {**kwargs, "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context and context.get("result") is not None:
            resource = self.get_import_resource_classes(request)[0]()
            context["import_preview"] = import_preview(context["result"], resource)
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            failed = len(result.invalid_rows) + len(result.error_rows)
            messages.error(
                request,
                f"Nothing was imported: {failed} row(s) failed when the import ran (the data changed since the "
                "preview). Upload the file again to see which.",
            )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        return super().process_result(result, request)

    def export_csv_response(self, queryset, filename: str):
        """The selected rows as a CSV download (the 'export selected' action)."""
        resource = self.get_export_resource_classes(None)[0]()
        response = HttpResponse(resource.export(queryset=queryset).csv, content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# --- The preview ----------------------------------------------------------------------------------------------------

PREVIEW_STATUS = {
    RowResult.IMPORT_TYPE_NEW: ("New", "success"),
    RowResult.IMPORT_TYPE_UPDATE: ("Update", "info"),
    RowResult.IMPORT_TYPE_SKIP: ("Skip", "warning"),
    RowResult.IMPORT_TYPE_DELETE: ("Delete", "danger"),
    RowResult.IMPORT_TYPE_INVALID: ("Error", "danger"),
    RowResult.IMPORT_TYPE_ERROR: ("Error", "danger"),
}


@dataclass
class PreviewCell:
    column: str
    value: str  # HTML: the diff of a valid row, the file's text of a failing one
    full: str  # the whole value as text (shown on hover)
    errors: list[str] = dataclass_field(default_factory=list)


@dataclass
class PreviewRow:
    number: int
    label: str
    variant: str
    cells: list[PreviewCell]
    failed: bool
    errors: list[str] = dataclass_field(default_factory=list)  # about the row, or a column the preview does not show

    @property
    def messages(self) -> list[tuple[str, str]]:
        """Every error of the row as ``(column, message)``, by column, then those of the row as a whole."""
        by_column = [(cell.column, error) for cell in self.cells for error in cell.errors]
        return by_column + [("", error) for error in self.errors]


@dataclass
class ImportPreview:
    columns: list[str]
    rows: list[PreviewRow]
    ignored_columns: list[str]
    failed: int
    totals: dict[str, int]


def import_preview(result, resource: ServiceResource) -> ImportPreview:
    """Every row of the file, in order, in the columns the import reads: a valid row as it would be stored, a
    failing one as it is in the file with each error under its column (or on the row)."""
    headers = getattr(result, "file_headers", None) or list(result.diff_headers)
    readable = [column for column in resource.service_columns if column in headers]
    ignored = [header for header in headers if header not in readable]
    diff_index = {name: index for index, name in enumerate(result.diff_headers)}
    rows = []
    for number, row_result in enumerate(result.rows, 1):
        label, variant = PREVIEW_STATUS.get(row_result.import_type, (row_result.import_type, "default"))
        values = row_result.row_values or {}
        cells, row_errors = [], []
        diff = row_result.diff if row_result.is_valid() else None
        for column in readable:
            raw = "" if values.get(column) is None else str(values.get(column))
            value = diff[diff_index[column]] if diff is not None and column in diff_index else raw
            cells.append(PreviewCell(column=column, value=value, full=raw or strip_tags(str(value))))
        if row_result.validation_error is not None:
            for key, errors in _error_dict(row_result.validation_error).items():
                if key in readable:
                    cells[readable.index(key)].errors.extend(errors)
                elif key == NON_FIELD_ERRORS:
                    row_errors.extend(errors)
                else:
                    row_errors.extend(f"{key}: {error}" for error in errors)
        row_errors.extend(str(error.error) for error in row_result.errors)
        failed = row_result.import_type in (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR)
        rows.append(
            PreviewRow(number=number, label=label, variant=variant, cells=cells, failed=failed, errors=row_errors)
        )
    failed = sum(1 for row in rows if row.failed)
    totals = {label: sum(1 for row in rows if row.label == label) for label, _ in PREVIEW_STATUS.values()}
    return ImportPreview(
        columns=readable,
        rows=rows,
        ignored_columns=ignored,
        failed=failed,
        totals={k: v for k, v in totals.items() if v},
    )


def _error_dict(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {key: [str(text) for text in texts] for key, texts in error.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(message) for message in error.messages]}

"""Dates and times on admin forms: shown and read in the organization's zone, labelled with it, exact.

A conversion's time decides its report day, so an admin form must never move it by being saved. Three things
make that true:

- The form is built, read back *and rendered* in the same zone (``render_in_zone``): a template response renders
  after the view returns, so a zone switched on only around the view would show UTC and read local time.
- Seconds and sub-seconds are shown (``ExactTimeWidget``), so what comes back is what was stored.
- A date-time the user did not edit keeps its stored instant (``keep_unedited_instants``): in the repeated hour
  of a DST change a local time names two instants, and re-reading it would pick one of them; an edited time that
  is ambiguous or falls in the DST gap is a form error (Django's own check), never a guess.
"""

from django import forms
from django.utils import timezone
from unfold.widgets import UnfoldAdminDateWidget, UnfoldAdminSplitDateTimeWidget, UnfoldAdminTimeWidget

TIME_INPUT_SIZE = 15  # "HH:MM:SS.ffffff"


def render_in_zone(zone, view):
    """Run ``view()`` and render its response with ``zone`` (or the default zone) active."""
    with timezone.override(zone or timezone.get_current_timezone()):
        response = view()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        return response


class ExactTimeWidget(UnfoldAdminTimeWidget):
    """A time input that shows seconds always and the fraction of a second when there is one."""

    supports_microseconds = True

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format)
        self.attrs["size"] = str(TIME_INPUT_SIZE)

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%H:%M:%S.%f").rstrip("0").rstrip(".")
        return super().format_value(value)


class ExactSplitDateTimeWidget(UnfoldAdminSplitDateTimeWidget):
    supports_microseconds = True  # Django strips them from a form's initial value otherwise

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets = [
            UnfoldAdminDateWidget(attrs={"placeholder": "Date"}),
            ExactTimeWidget(attrs={"placeholder": "Time"}),
        ]


def zoned_datetime_formfield(formfield: forms.Field) -> forms.Field:
    """The admin's date-time field with exact times and the active zone in its help text."""
    formfield.widget = ExactSplitDateTimeWidget()
    zone = timezone.get_current_timezone_name()
    note = f"Time zone: {zone}."
    formfield.help_text = f"{formfield.help_text} {note}".strip() if formfield.help_text else note
    return formfield


def keep_unedited_instants(form) -> None:
    """After a form's fields are cleaned: every date-time field whose submitted value equals what the form
    showed keeps its initial instant exactly, and any error re-reading it raised (an ambiguous hour) is dropped."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.SplitDateTimeField | forms.DateTimeField):
            continue
        bound = form[name]
        if name in form.initial and not bound._has_changed():
            form.cleaned_data[name] = form.get_initial_for_field(field, name)
            form._errors.pop(name, None)

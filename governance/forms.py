"""Forms for governance pages. They validate input; the services decide and write."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

from governance.models import TIME_ZONE_CHOICES, CadenceSchedule, Meeting, Risk
from governance.selectors import program_people
from governance.services.meetings import ActionItemDraft
from portal.access import Audience
from portal.forms import DateField, DateTimeField, LineField, TextField
from programs.models import Program

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]
NONEXISTENT_LOCAL_TIME = (
    "That local time does not exist on that day (the clocks go forward). Choose another."
)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        organisation = getattr(getattr(obj, "membership", None), "organisation", None)
        return f"{obj.display_name} ({organisation})" if organisation else obj.display_name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return PersonChoiceField.label_from_instance(self, obj)  # type: ignore[arg-type]


class AudienceField(forms.TypedChoiceField):
    """Who may read a record. Preselected to the sponsor, as a PM usually wants; a post that
    leaves it out keeps the record internal (fail closed)."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Visible to")
        super().__init__(
            choices=Audience.choices,
            initial=Audience.SPONSOR,
            required=False,
            empty_value=Audience.INTERNAL,
            **kwargs,
        )

    def has_changed(self, initial: Any, data: Any) -> bool:
        """An action row that names nobody and nothing is still blank, audience or not."""
        return bool(data) and super().has_changed(initial, data)


def _offer_people(form: forms.BaseForm, name: str, program: Program) -> None:
    """Limit a person field's choices to the people of this program."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = program_people(program)


class KickoffRecordForm(forms.Form):
    held_on = DateField(label="Held on", required=False, widget=DATE)
    attendees = PeopleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="People from both sides: the kick-off can only complete with both present.",
    )
    agenda = TextField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    decisions = TextField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "attendees", program)


class KickoffConfirmForm(forms.Form):
    item = forms.ChoiceField(choices=[("baseline", "Baseline")])
    agreed = forms.TypedChoiceField(
        choices=[("1", "Agreed"), ("0", "Withdrawn")], coerce=lambda v: v == "1"
    )


class CadenceForm(forms.ModelForm):
    attendees = PeopleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CadenceSchedule
        fields = [
            "title",
            "frequency",
            "weekday",
            "local_time",
            "time_zone",
            "duration_minutes",
            "starts_on",
            "attendees",
        ]
        labels = {
            "local_time": "Local time",
            "starts_on": "First week",
            "duration_minutes": "Minutes",
        }
        widgets = {
            "local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": DATE,
        }
        help_texts = {
            "local_time": "Meetings stay at this local time when the clocks change.",
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "attendees", program)


def _aware(value: datetime.datetime, zone_name: str) -> datetime.datetime:
    """Read a datetime typed into a form as wall-clock time in `zone_name`."""
    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
    zone = zoneinfo.ZoneInfo(zone_name)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise forms.ValidationError(NONEXISTENT_LOCAL_TIME)
    return aware


class MeetingForm(forms.Form):
    """A one-off meeting outside any cadence."""

    title = LineField(max_length=200)
    starts_at = DateTimeField(
        label="Starts (local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, initial="Europe/London")
    duration_minutes = forms.IntegerField(label="Minutes", min_value=15, max_value=480, initial=60)
    attendees = PeopleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "attendees", program)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("time_zone"):
            try:
                data["starts_at"] = _aware(data["starts_at"], data["time_zone"])
            except forms.ValidationError as exc:
                self.add_error("starts_at", exc)
        return data


class RescheduleForm(forms.Form):
    starts_at = DateTimeField(
        label="New start (meeting's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(label="Minutes", min_value=15, max_value=480)
    reason = LineField(required=False, max_length=300)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        self.meeting = meeting
        kwargs.setdefault(
            "initial",
            {
                "starts_at": meeting.starts_at.astimezone(
                    zoneinfo.ZoneInfo(meeting.time_zone)
                ).replace(tzinfo=None),
                "duration_minutes": meeting.duration_minutes,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_starts_at(self) -> datetime.datetime:
        return _aware(self.cleaned_data["starts_at"], self.meeting.time_zone)


class CancelForm(forms.Form):
    reason = LineField(required=False, max_length=300)


class WriteUpForm(forms.Form):
    present = PeopleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Present"
    )
    minutes = TextField(widget=forms.Textarea(attrs={"rows": 6}))
    minutes_audience = AudienceField(label="Minutes visible to")
    decisions = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    decisions_audience = AudienceField(label="Decisions visible to")

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "present", program)


class ActionItemForm(forms.Form):
    title = LineField(max_length=250)
    owner = PersonChoiceField(queryset=None)
    due_date = DateField(widget=DATE)
    audience = AudienceField()

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "owner", program)


class BaseActionRowFormSet(forms.BaseFormSet):
    """Action item rows of a write-up; a row left entirely blank is ignored."""

    def drafts(self) -> list[ActionItemDraft]:
        return [
            ActionItemDraft(
                title=form.cleaned_data["title"],
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
                audience=form.cleaned_data["audience"],
            )
            for form in self.forms
            if form.cleaned_data
        ]


ActionRowFormSet = forms.formset_factory(
    ActionItemForm, formset=BaseActionRowFormSet, extra=1, max_num=20, validate_max=True
)
ACTION_PREFIX = "actions"


class RiskForm(forms.ModelForm):
    """A risk's fields. Who may read it is chosen when it is added (`RiskCreateForm`) and
    widened only by the audited share step."""

    likelihood = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, help_text="1 rare - 5 almost certain"
    )
    impact = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, help_text="1 minor - 5 severe"
    )
    owner = PersonChoiceField(queryset=None)

    class Meta:
        model = Risk
        fields = [
            "title",
            "description",
            "likelihood",
            "impact",
            "mitigation",
            "contingency",
            "owner",
            "status",
            "review_date",
        ]
        labels = {"contingency": "Contingency scenario"}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "mitigation": forms.Textarea(attrs={"rows": 2}),
            "contingency": forms.Textarea(attrs={"rows": 2}),
            "review_date": DATE,
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_people(self, "owner", program)


class RiskCreateForm(RiskForm):
    audience = AudienceField()

    class Meta(RiskForm.Meta):
        fields = [*RiskForm.Meta.fields, "audience"]

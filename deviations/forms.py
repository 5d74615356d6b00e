"""Forms for deviations. They validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from deviations.models import CAPA, Deviation, RootCause
from portal.forms import DateField, DateTimeField, LineField, TextField
from portal.models import User
from programs.models import Milestone


class DeviationLogForm(forms.Form):
    title = LineField(max_length=200)
    classification = forms.ChoiceField(
        choices=Deviation.Classification.choices,
        help_text="Sets the sponsor's notification window; critical is announced at once.",
    )
    batches = LineField(
        max_length=400,
        required=False,
        label="Lots affected",
        help_text="Lot numbers of this program's batches, separated by commas.",
    )
    description = TextField(widget=forms.Textarea(attrs={"rows": 4}))
    occurred_at = DateTimeField(
        label="Occurred at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    aware_at = DateTimeField(
        label="Aware at",
        help_text="When the CDMO learnt of it: the notification clock starts here.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Deviation.Status.choices)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    no_capa_rationale = TextField(
        required=False,
        label="Rationale for closing without CAPA",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    password = forms.CharField(
        required=False,
        label="Password (electronic signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ImpactForm(forms.Form):
    """An edit of what the investigation learnt; always with a reason for the change."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    classification = forms.ChoiceField(choices=Deviation.Classification.choices)
    impact_product_quality = TextField(
        label="Product quality", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    impact_other_batches = TextField(
        label="Other batches affected", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    impact_timeline = TextField(
        label="Timeline", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    affected_milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(), required=False, label="Affected milestones"
    )
    batches = LineField(
        max_length=400,
        required=False,
        label="Lots affected",
        help_text="Lot numbers of this program's batches, separated by commas.",
    )
    impact_cost = TextField(label="Cost", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = TextField(label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, milestones: QuerySet[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["affected_milestones"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = milestones


class RootCauseForm(forms.Form):
    category = forms.ChoiceField(choices=RootCause.Category.choices)
    description = TextField(widget=forms.Textarea(attrs={"rows": 2}))


class CAPAForm(forms.Form):
    kind = forms.ChoiceField(choices=CAPA.Kind.choices)
    description = TextField(widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the end of the quality agreement's CAPA window.",
    )
    due_justification = TextField(
        required=False,
        label="Why later than the agreement's CAPA window",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owners


class CAPACompleteForm(forms.Form):
    capa = forms.IntegerField(widget=forms.HiddenInput)
    effectiveness_check = TextField(
        label="Effectiveness check", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionRequestForm(forms.Form):
    new_due = DateTimeField(
        label="New investigation due date",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionApproveForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    password = forms.CharField(
        label="Password (electronic signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

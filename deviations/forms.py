"""Forms for deviations. They validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from deviations.models import CAPA, Deviation, RootCause
from portal.models import User
from programs.models import Milestone


class DeviationLogForm(forms.Form):
    title = forms.CharField(max_length=200)
    classification = forms.ChoiceField(
        choices=Deviation.Classification.choices,
        help_text="Sets the sponsor's notification window; critical is announced at once.",
    )
    batch = forms.CharField(max_length=60, required=False, label="Batch / lot")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    occurred_at = forms.DateTimeField(
        label="Occurred at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    aware_at = forms.DateTimeField(
        label="Aware at",
        help_text="When the CDMO learnt of it: the notification clock starts here.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Deviation.Status.choices)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    no_capa_rationale = forms.CharField(
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
    impact_product_quality = forms.CharField(
        label="Product quality", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    impact_other_batches = forms.CharField(
        label="Other batches affected", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    impact_timeline = forms.CharField(
        label="Timeline", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    affected_milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(), required=False, label="Affected milestones"
    )
    impact_cost = forms.CharField(
        label="Cost", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, milestones: QuerySet[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["affected_milestones"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = milestones


class RootCauseForm(forms.Form):
    category = forms.ChoiceField(choices=RootCause.Category.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class CAPAForm(forms.Form):
    kind = forms.ChoiceField(choices=CAPA.Kind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the end of the quality agreement's CAPA window.",
    )
    due_justification = forms.CharField(
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
    effectiveness_check = forms.CharField(
        label="Effectiveness check", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExtensionRequestForm(forms.Form):
    new_due = forms.DateTimeField(
        label="New investigation due date",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionApproveForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    password = forms.CharField(
        label="Password (electronic signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

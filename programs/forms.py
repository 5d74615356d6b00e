"""Forms for the timeline and the cost page. They validate input; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from portal import bounds
from portal.access import Audience
from portal.forms import AmountField, DateField, LineField, TextField
from portal.models import User
from programs import kpi_catalogue
from programs.models import ChangeOrder, CostDriver, CostLine, Invoice, Milestone, Workstream
from programs.services.common import REASON_REQUIRED
from programs.services.costs import CO_COMMENT_REQUIRED, RATIONALE_REQUIRED
from programs.services.timeline import WORKSTREAM_DATES_ORDER


class DateInput(forms.DateInput):
    """A native date picker: it wants ISO dates, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _reason_field(*, required: bool, help_text: str, label: str = "Reason") -> forms.CharField:
    return TextField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
        error_messages={"required": REASON_REQUIRED},
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})"


class NameChoiceField(forms.ModelChoiceField):
    """Options labelled by name: the program is the page's, and `str()` would fetch it."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class WorkstreamForm(forms.Form):
    name = LineField(max_length=Workstream._meta.get_field("name").max_length)
    kind = forms.ChoiceField(choices=Workstream.Kind.choices, initial=Workstream.Kind.OTHER)
    cdmo_owner = PersonChoiceField(queryset=User.objects.none(), required=False)
    sponsor_owner = PersonChoiceField(queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(
        choices=Workstream.Status.choices, initial=Workstream.Status.NOT_STARTED
    )
    start_date = DateField(required=False, widget=DateInput)
    end_date = DateField(required=False, widget=DateInput)

    def __init__(
        self,
        *args: Any,
        cdmo_people: QuerySet[User],
        sponsor_people: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cdmo_owner"].queryset = cdmo_people  # type: ignore[attr-defined]
        self.fields["sponsor_owner"].queryset = sponsor_people  # type: ignore[attr-defined]
        self.fields["cdmo_owner"].label = "CDMO owner"
        self.fields["sponsor_owner"].help_text = "Someone at the sponsor; needed before kick-off."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", WORKSTREAM_DATES_ORDER)
        return data

    @classmethod
    def initial_for(cls, workstream: Workstream) -> dict[str, Any]:
        return {
            "name": workstream.name,
            "kind": workstream.kind,
            "cdmo_owner": workstream.cdmo_owner_id,
            "sponsor_owner": workstream.sponsor_owner_id,
            "status": workstream.status,
            "start_date": workstream.start_date,
            "end_date": workstream.end_date,
        }


class MilestoneForm(forms.Form):
    name = LineField(max_length=Milestone._meta.get_field("name").max_length)
    workstream = NameChoiceField(
        queryset=Workstream.objects.none(), required=False, empty_label="Program-wide"
    )
    baseline_date = DateField(
        widget=DateInput, help_text="The agreed date; the forecast starts here."
    )
    description = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, workstreams: QuerySet[Workstream], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workstream"].queryset = workstreams  # type: ignore[attr-defined]


class RescheduleForm(forms.Form):
    forecast_date = DateField(widget=DateInput, label="New forecast")
    reason = _reason_field(
        required=True, help_text="Why it moves; the sponsor sees this in the history."
    )


class RebaselineForm(forms.Form):
    baseline_date = DateField(widget=DateInput, label="New baseline")
    reason = _reason_field(
        required=False, help_text="Required once the kick-off has frozen the baselines."
    )


class CompleteForm(forms.Form):
    actual_date = DateField(widget=DateInput, label="Completed on")
    reason = _reason_field(required=False, help_text="Optional, for the record.", label="Note")


class BudgetForm(forms.Form):
    contract_value = AmountField(min_value=0)
    notes = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = _reason_field(
        required=False, help_text="Needed to change a contract value already set."
    )


class ChangeOrderForm(forms.Form):
    title = LineField(max_length=ChangeOrder._meta.get_field("title").max_length)
    rationale = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": RATIONALE_REQUIRED},
        help_text="Why the change is needed; the sponsor decides on this.",
    )
    amount = AmountField(help_text="Negative for a reduction.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (ChangeOrder.Status.APPROVED, "Approve"),
            (ChangeOrder.Status.REJECTED, "Reject"),
        ],
        widget=forms.RadioSelect,
    )
    comment = TextField(
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": CO_COMMENT_REQUIRED},
    )


class CostLineForm(forms.Form):
    driver = forms.ChoiceField(choices=CostDriver.choices)
    description = LineField(max_length=CostLine._meta.get_field("description").max_length)
    amount = AmountField(min_value=Decimal("0.01"))
    milestone = NameChoiceField(
        queryset=Milestone.objects.none(), required=False, empty_label="None"
    )
    audience = forms.ChoiceField(
        label="Who sees this line",
        choices=Audience.choices,
        initial=Audience.SPONSOR,
        required=False,
        widget=forms.RadioSelect,
        help_text="The sponsor's totals count every line; an internal line's detail stays "
        "with the CDMO until you share it.",
    )

    def __init__(self, *args: Any, milestones: QuerySet[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones  # type: ignore[attr-defined]

    def clean_audience(self) -> str:
        """A post without a choice keeps the line internal (fail closed)."""
        return self.cleaned_data.get("audience") or Audience.INTERNAL


class InvoiceForm(forms.Form):
    number = LineField(max_length=Invoice._meta.get_field("number").max_length)
    driver = forms.ChoiceField(choices=CostDriver.choices)
    amount = AmountField(min_value=Decimal("0.01"))
    issued_on = DateField(widget=DateInput)
    milestone = NameChoiceField(
        queryset=Milestone.objects.none(), required=False, empty_label="None"
    )

    def __init__(self, *args: Any, milestones: QuerySet[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones  # type: ignore[attr-defined]


class KpiTargetsForm(forms.Form):
    """A target per KPI, in its unit; an empty field removes the target. After the kick-off a
    change needs a reason (the service says so when it is missing)."""

    reason = _reason_field(
        required=False,
        help_text="Needed once the kick-off is complete: the targets are baseline data.",
    )

    def __init__(self, *args: Any, targets: dict[str, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial_targets = targets
        for definition in kpi_catalogue.CATALOGUE:
            limit = kpi_catalogue.unit_limit(definition.unit)
            self.fields[definition.key] = forms.DecimalField(
                label=definition.name,
                required=False,
                min_value=Decimal(0),
                max_value=limit,
                max_digits=bounds.AMOUNT_DIGITS,
                decimal_places=bounds.AMOUNT_PLACES,
                initial=targets.get(definition.key),
                help_text=f"In {definition.unit_label}, 0 to {limit}.",
                # Django formats these with the field's limit: a literal "%" is written "%%".
                error_messages={
                    "min_value": definition.target_problem(Decimal(-1)).replace("%", "%%"),
                    "max_value": definition.target_problem(limit + 1).replace("%", "%%"),
                },
            )
        self.order_fields([*(d.key for d in kpi_catalogue.CATALOGUE), "reason"])

    def targets(self) -> dict[str, Decimal | None]:
        """The fields that differ from the agreed targets (None: removed)."""
        return {
            d.key: self.cleaned_data.get(d.key)
            for d in kpi_catalogue.CATALOGUE
            if self.cleaned_data.get(d.key) != self.initial_targets.get(d.key)
        }


class BatchForm(forms.Form):
    """A new batch's plan (and its start, if it has started)."""

    lot_number = LineField(max_length=40, label="Lot number")
    product = LineField(max_length=200, required=False, help_text="Default: the program's.")
    planned_start = DateField(widget=DateInput())
    planned_release = DateField(widget=DateInput())
    quantity_committed = AmountField(label="Quantity committed", min_value=Decimal("0.01"))
    quantity_unit = LineField(max_length=20, initial="kg", label="Unit")
    actual_start = DateField(widget=DateInput(), required=False)


class BatchPlanForm(forms.Form):
    """A change to the plan of a batch QA has not decided, or its actual start."""

    product = LineField(max_length=200, required=False)
    planned_start = DateField(widget=DateInput())
    planned_release = DateField(widget=DateInput())
    quantity_committed = AmountField(label="Quantity committed", min_value=Decimal("0.01"))
    quantity_unit = LineField(max_length=20, label="Unit")
    actual_start = DateField(widget=DateInput(), required=False)
    reason = _reason_field(required=False, help_text="Why the plan changed (kept in the audit).")


class BatchReworkForm(forms.Form):
    reason = _reason_field(required=True, help_text="What was reworked or reprocessed, and why.")


class BatchDecisionForm(forms.Form):
    """QA's disposition, signed with the password."""

    decision = forms.ChoiceField(
        choices=[("released", "Release"), ("rejected", "Reject")], widget=forms.RadioSelect
    )
    decided_on = DateField(widget=DateInput(), label="Release or rejection day (site calendar)")
    reason = _reason_field(required=False, help_text="Required for a rejection.")
    password = forms.CharField(
        label="Password (electronic signature)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class BatchDeliveryForm(forms.Form):
    quantity_delivered = AmountField(label="Quantity delivered", min_value=Decimal("0"))
    over_delivery_agreed = forms.BooleanField(
        required=False, label="The sponsor agreed to take more than was committed"
    )

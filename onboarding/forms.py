"""Onboarding forms: bounded fields, help text where the CDMO administrator looks."""

from __future__ import annotations

from django import forms

from portal.bounds import MAX_WINDOW
from portal.clock import Unit
from portal.forms import DateTimeField, LineField
from programs.models import Program, ProgramMember

REASON_HELP = "Recorded in the audit trail with the change."


class OrganisationForm(forms.Form):
    name = LineField(max_length=200, help_text="The sponsor's name as its people know it.")
    slug = forms.SlugField(
        max_length=60,
        help_text="A short unique name: lower-case letters, digits and hyphens (e.g. helix).",
    )
    email_domains = LineField(
        max_length=500,
        required=False,
        help_text="Domains of the sponsor's people, separated by spaces or commas "
        "(e.g. helix.example). When set, invitations go only to these domains.",
    )
    mfa_required = forms.BooleanField(
        required=False,
        label="Two-factor authentication required",
        help_text="Every member of the sponsor must set up a second factor.",
    )
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)


class ProgramCreateForm(forms.Form):
    code = LineField(max_length=20, help_text="The program's short code (e.g. HLX-202).")
    name = LineField(max_length=200, help_text="The program's name.")
    phase = forms.ChoiceField(choices=Program.Phase.choices)
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)


class TeamMemberForm(forms.Form):
    user: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        label="Person",
        help_text="CDMO roles take CDMO people; sponsor roles take this program's sponsor's.",
    )
    role = forms.ChoiceField(
        choices=ProgramMember.Role.choices,
        help_text="A new dedicated PM hands over from the current one (the stream says so).",
    )
    rank = forms.ChoiceField(choices=[("", "—"), *ProgramMember.Rank.choices], required=False)
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)

    def __init__(self, *args: object, people: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]


class EndTenureForm(forms.Form):
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)


class AgreementVersionForm(forms.Form):
    """The next version of a quality agreement; the windows start from the current version's."""

    program = forms.ModelChoiceField(
        queryset=Program.objects.none(),
        required=False,
        help_text="Empty: the sponsor's default for all its programs; a program: its override.",
    )
    effective_from = DateTimeField(
        help_text="Clocks that start from this moment on use this version; it must come after "
        "the current version's. A moment in the future applies from then."
    )
    critical_notify = forms.IntegerField(min_value=1, max_value=MAX_WINDOW)
    critical_notify_unit = forms.ChoiceField(choices=Unit.choices)
    major_notify = forms.IntegerField(min_value=1, max_value=MAX_WINDOW)
    major_notify_unit = forms.ChoiceField(choices=Unit.choices)
    minor_notify = forms.IntegerField(min_value=1, max_value=MAX_WINDOW)
    minor_notify_unit = forms.ChoiceField(choices=Unit.choices)
    investigation = forms.IntegerField(min_value=1, max_value=MAX_WINDOW)
    investigation_unit = forms.ChoiceField(choices=Unit.choices)
    capa = forms.IntegerField(min_value=1, max_value=MAX_WINDOW, label="CAPA")
    capa_unit = forms.ChoiceField(choices=Unit.choices, label="CAPA unit")
    reason = LineField(
        max_length=500, help_text="Why the agreement changes: the amendment, the request."
    )

    def __init__(self, *args: object, programs: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]

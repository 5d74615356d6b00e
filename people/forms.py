"""Forms for invitations, a person's access and the access review. They validate input;
the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from people.models import AccessReviewDecision
from portal import access
from portal.forms import DateField, LineField
from portal.models import Membership, Organisation, User
from programs.models import Program

PASSWORDS_DIFFER = "The two passwords differ."


class _GrantFields(forms.Form):
    """Role, program grants and end date: the same fields to invite and to change a person."""

    role = forms.ChoiceField(
        help_text="A sponsor lead manages the organisation's people, tokens and webhooks and "
        "decides change orders; a viewer reads and comments."
    )
    all_programs = forms.BooleanField(
        label="Sees all programs",
        required=False,
        initial=True,
        help_text="Every program of the organisation, including programs added later. "
        "Untick to choose programs below.",
    )
    programs = forms.ModelMultipleChoiceField(
        queryset=Program.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The programs this person sees when 'sees all programs' is unticked.",
    )
    access_ends_on = DateField(
        label="Access ends on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the last day of access (the contract's end), site time.",
    )

    def __init__(self, *args: Any, actor: User, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        granted = access.grantable_roles(actor, organisation)
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [(v, label) for v, label in Membership.Role.choices if v in granted]
        programs = cast(forms.ModelMultipleChoiceField, self.fields["programs"])
        if organisation.kind == Organisation.Kind.SPONSOR:
            programs.queryset = Program.objects.filter(sponsor=organisation).order_by("code")
        else:
            del self.fields["programs"]
            del self.fields["all_programs"]


class InvitationForm(_GrantFields):
    email = forms.EmailField(
        max_length=254,
        help_text="The person's work email; the invitation link goes there and is valid for "
        "7 days.",
    )

    field_order = ["email", "role", "all_programs", "programs", "access_ends_on"]


class MembershipForm(_GrantFields):
    pass


class AcceptForm(forms.Form):
    display_name = LineField(
        label="Your name", max_length=150, help_text="As your colleagues and the CDMO see it."
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common or breached password, not like your "
        "name or email.",
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", PASSWORDS_DIFFER)
        return cleaned


class DecisionForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=AccessReviewDecision.Decision.choices)


class DeactivateForm(forms.Form):
    reason = LineField(
        max_length=500,
        required=False,
        help_text="Optional: why (recorded in the audit trail).",
    )

"""Forms for updates and comments. They validate input; the services decide."""

from typing import Any

from django import forms
from django.db.models import QuerySet

from comms.models import Comment, DigestSchedule, Timing, Update
from comms.services.conversations import EMPTY_COMMENT
from portal.access import Audience
from portal.forms import LineField, TextField
from programs.models import Event, Program


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["title", "body", "category", "significance", "audience"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "significance": "Critical updates are flagged on every open page of the sponsor.",
            "audience": "CDMO internal stays a draft until you share it with the sponsor.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model fails closed (internal); what a PM posts is usually meant for the sponsor.
        self.fields["audience"].initial = Audience.SPONSOR


class QuestionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Comment) -> str:
        return f"{obj.author.display_name}: {obj.body[:80]}"


class CommentForm(forms.Form):
    """A comment, a question, an internal note or an answer: which of them is the service's
    decision. Every field is accepted from everyone and the page shows each person only the
    fields their role can use, so a crafted post meets the service's rule and its message."""

    body = TextField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": EMPTY_COMMENT},
    )
    is_question = forms.BooleanField(
        label="This is a question for the CDMO team",
        required=False,
        help_text="It stays open until the team answers; you are notified when they do.",
    )
    audience = forms.ChoiceField(
        label="Who sees it",
        choices=Audience.choices,
        initial=Audience.SPONSOR,
        required=False,
        widget=forms.RadioSelect,
    )
    answer_to = QuestionChoiceField(
        label="In answer to",
        queryset=Comment.objects.none(),
        required=False,
        empty_label="Not an answer",
        help_text="Answering closes the question and tells the person who asked.",
    )

    def __init__(
        self,
        *args: Any,
        open_questions: QuerySet[Comment],
        draft: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer_to"].queryset = open_questions  # type: ignore[attr-defined]
        if draft:
            audience = self.fields["audience"]
            audience.initial = Audience.INTERNAL
            audience.disabled = True

    def clean_audience(self) -> str:
        return self.cleaned_data.get("audience") or Audience.SPONSOR


class HealthOverrideForm(forms.Form):
    health = forms.ChoiceField(
        choices=[("", "Follow the rule"), *Program.Health.choices],
        required=False,
        help_text="Leave on “Follow the rule” to clear an override.",
    )
    reason = LineField(
        max_length=500,
        help_text="Shown to the sponsor next to the health badge.",
    )


KIND_HELP = {
    "update": "Updates the CDMO posts or shares with you.",
    "milestone": "Milestones moved, re-baselined or completed.",
    "deviation": "Deviations logged, acknowledged, investigated, closed.",
    "comment": "Questions, answers and comments.",
    "cost": "Change orders proposed and decided, costs.",
    "meeting": "Meetings scheduled and their minutes.",
}


class NotificationPreferencesForm(forms.Form):
    """Per kind of event: when an email goes out. Critical events always go out at once."""

    hour = forms.TypedChoiceField(
        coerce=int,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        label="Digest hour",
        help_text="When your daily digest goes out, in your own time zone.",
    )
    weekday = forms.TypedChoiceField(
        coerce=int,
        choices=DigestSchedule.Weekday.choices,
        label="Weekly digest day",
        help_text="The day your weekly digest goes out, at the digest hour.",
    )
    digests_enabled = forms.BooleanField(
        required=False,
        label="Send digests",
        help_text="Untick to receive no digest emails (what is immediate still comes).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Event.Kind.choices:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                choices=[("", "Default"), *Timing.choices],
                required=False,
                label=label,
                help_text=KIND_HELP.get(kind, ""),
            )

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[f"kind_{kind}"] for kind in Event.Kind.values]

    def timings(self) -> dict[str, str]:
        """Each kind's timing; an empty one means the default of the event's significance."""
        return {kind: self.cleaned_data.get(f"kind_{kind}") or "" for kind in Event.Kind.values}

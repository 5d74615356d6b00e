"""Forms for updates."""

from django import forms

from comms.models import Update


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["title", "body", "category", "significance", "audience"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "significance": "Critical updates are flagged on every open page of the sponsor.",
            "audience": "CDMO internal stays a draft until you share it with the sponsor.",
        }

"""The admin site: every model is there for the superuser, and edits are audited."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from portal.models import AuditEntry, User

MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.fixture
def superuser_client(world) -> Client:
    root = User.objects.create_superuser("root@nb.example", "pw-root-123456", display_name="Root")
    client = Client()
    client.force_login(root)
    return client


def test_every_portal_model_is_in_the_admin():
    labels = {model._meta.label for model in MODELS}
    for expected in (
        "programs.Milestone",
        "governance.Meeting",
        "comms.Comment",
        "portal.AuditEntry",
        "programs.Program",
        "governance.Risk",
    ):
        assert expected in labels


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_each_changelist_opens(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200


def test_an_admin_edit_of_a_program_is_audited(superuser_client, world):
    url = reverse("admin:programs_program_change", args=[world.program.pk])
    form = superuser_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["name"] = "Helix mAb (renamed)"
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(model="programs.program", action="update")
    assert entry.changes["name"] == ["Helix mAb", "Helix mAb (renamed)"]
    assert entry.reason == "Changed in the admin site."


def test_records_with_services_are_read_only_in_the_admin(superuser_client, world):
    url = reverse("admin:comms_update_add")
    assert superuser_client.get(url).status_code == 403

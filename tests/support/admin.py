"""Driving the admin site's real forms: a superuser's client, and a form's POST data as the
browser would send it back unchanged (then a test changes the fields it is about)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory


def superuser_client() -> Client:
    root = UserFactory(email="root@nb.example", display_name="Root", is_superuser=True)
    root.is_staff = True
    root.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(root)
    return client


def admin_url(model: Any, view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _field_data(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        widget = getattr(field.widget, "widget", field.widget)  # the admin's related wrapper
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def form_data(page: Any) -> dict[str, Any]:
    """The add or change page's form and its inlines, filled as the page shows them (the
    password page calls its form `adminForm`)."""
    context = page.context
    data = _field_data((context.get("adminform") or context["adminForm"]).form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(_field_data(formset.management_form))
        for form in formset.forms:
            data.update(_field_data(form))
    return data


def post_form(client: Client, url: str, **changes: Any) -> Any:
    """Open the admin page at `url`, change `changes` (False unticks a box) and save; the
    answer must be the admin's redirect after a successful save."""
    data = {**form_data(client.get(url)), **changes}
    for name, value in changes.items():
        if value is False:
            del data[name]
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    return response


def _errors(response: Any) -> Any:
    if response.context is None:
        return response.content[:500]
    found = [response.context["form"].errors]
    found += [inline.formset.errors for inline in response.context.get("inline_admin_formsets", [])]
    return found

"""The admin site, for the CDMO's administrator.

Every add, change and delete made here is written to the audit trail, with the acting
administrator, field-level before/after and the request id (Django's own admin log is neither
append-only nor chained: it is not the audit trail). Three kinds of admin, and no fourth:

- `AuditedAdmin`: records outside any program (users with their groups and membership,
  organisations, permission groups) are saved here and audited in the global chain;
- admins of program records (programs/admin.py, deviations/admin.py) write through the change
  primitive or the record's service, into the program's chain and activity stream;
- `ReadOnlyAdmin`: records that change through the portal's services (updates, milestones,
  meetings, deviations …), whose permission checks, events and notifications an edit here
  would bypass.

Sign-ins to the admin site, refused ones and passwords set here are authentication events
(`portal.auth_events`), under the same sign-in throttle as the portal's own page.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import allauth.account.admin
import allauth.mfa.admin
import allauth.socialaccount.admin  # noqa: F401  (registers the social models, replaced below)
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

from portal import audit, auth_events
from portal.forms import ThrottledAdminLoginForm
from portal.models import (
    ApiToken,
    AuditEntry,
    Membership,
    Organisation,
    OrganisationSso,
    Signature,
    User,
)

ADMIN_REASON = "Changed in the admin site."
NOT_RECORDED = "(not recorded)"

admin.site.login_form = ThrottledAdminLoginForm


def acting_admin(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, don't touch: these records change through their services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """Adds, changes and deletes are audited in the global chain: the record's fields, its
    many-to-many fields (a user's groups) and the rows of its inlines (a user's membership).
    Nothing is deleted unless a subclass allows it. Fields named in `audit_secrets` (a password
    hash) are recorded as changed, never with their values."""

    audit_secrets: ClassVar[frozenset[str]] = frozenset()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit(self, request: HttpRequest, action: str, obj: models.Model, changes: dict) -> None:
        """Write one entry about `obj`, unless nothing changed."""
        if not changes:
            return
        hidden = {
            name: [NOT_RECORDED if old else old, NOT_RECORDED if new else new]
            for name, (old, new) in changes.items()
            if name in self.audit_secrets
        }
        audit.record(
            actor=acting_admin(request),
            action=action,
            instance=obj,
            changes={**changes, **hidden},
            reason=ADMIN_REASON,
        )

    def audit_saved(
        self, request: HttpRequest, obj: models.Model, before: dict[str, Any] | None
    ) -> None:
        """`obj` as saved, against `before` (its stored values; None: a new record)."""
        after = audit.snapshot(obj)
        if before is None:
            self.audit(request, AuditEntry.Action.CREATE, obj, _all_new(after))
        else:
            self.audit(request, AuditEntry.Action.UPDATE, obj, audit.diff(before, after))

    def audit_deleted(self, request: HttpRequest, obj: models.Model) -> None:
        """Before `obj` is deleted: its last values, its many-to-many links included."""
        last = {**audit.snapshot(obj), **_links(obj, _m2m_names(obj))}
        self.audit(request, AuditEntry.Action.DELETE, obj, {n: [v, None] for n, v in last.items()})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        self.audit_saved(request, obj, before)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The form's many-to-many fields, old → new ids, as one more entry about the record."""
        obj = form.instance
        names = [name for name in _m2m_names(obj) if name in form.cleaned_data]
        before = _links(obj, names) if change else {name: [] for name in names}
        super().save_related(request, form, formsets, change)
        self.audit(request, AuditEntry.Action.UPDATE, obj, audit.diff(before, _links(obj, names)))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """An inline's rows: each new, changed or deleted row is an entry of its own."""
        stored = formset.model._default_manager.filter(
            pk__in=[inline.instance.pk for inline in formset.initial_forms]
        )
        before = {row.pk: audit.snapshot(row) for row in stored}
        for inline in formset.deleted_forms:
            if inline.instance.pk is not None:
                self.audit_deleted(request, copy.copy(inline.instance))
        super().save_formset(request, form, formset, change)
        for row in formset.new_objects:
            self.audit_saved(request, row, None)
        for row, _ in formset.changed_objects:
            self.audit_saved(request, row, before[row.pk])

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self.audit_deleted(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """The changelist's bulk delete: one audited delete per record."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


def _all_new(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, value] for name, value in values.items()}


def _m2m_names(obj: models.Model) -> list[str]:
    return [field.name for field in obj._meta.many_to_many]


def _links(obj: models.Model, names: list[str]) -> dict[str, list[Any]]:
    """The ids each many-to-many field of `obj` links to, as stored."""
    return {name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names}


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.StackedInline):
    """A user's one membership: its organisation and role decide everything the user sees.
    Audited by the user's admin (`AuditedAdmin.save_formset`)."""

    model = Membership
    can_delete = False
    # Program grants are set on the people page (`people.services.members`), whose audit entry
    # names the programs granted; the admin shows whether the member sees all programs.
    exclude = ["programs"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """People, their access flags, groups and membership, all audited; a password set here is
    also an authentication event. The password hash is never written to the audit trail."""

    audit_secrets = frozenset({"password"})
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "title", "phone", "time_zone")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "display_name", "password1", "password2")}),)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's set-password page; a password it changes is audited in the same
        transaction (the form saves only when valid, so an unchanged hash means no change)."""
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    auth_events.password_changed(
                        request=request, user=user, by=acting_admin(request)
                    )
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, DjangoGroupAdmin):
    """Permission groups (admin-site permissions only: the portal's access is the membership's
    role). Deletable, and a deletion keeps the group's last permissions in the audit trail."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Read only: a sponsor lead creates and revokes tokens in the portal (audited there), an
    operator with `manage.py create_api_token`."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    search_fields = ["name", "prefix", "user__email"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read only: the database refuses changes to audit rows anyway."""

    list_display = ["at", "actor_label", "action", "model", "object_repr", "request_id"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "actor_label", "request_id"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    """Read only: signatures are given with a password in the portal; the database refuses edits."""

    list_display = ["signed_at", "printed_name", "meaning", "model", "object_repr", "program"]
    list_filter = ["meaning", "model"]
    search_fields = ["printed_name", "object_repr", "record_version"]
    list_select_related = ["program"]


# --- Single sign-on (docs/single-sign-on.md) -----------------------------------------------
# allauth's models, read only: providers change on the portal's single sign-on page (audited,
# the secret never shown again), links are made by signing in. allauth registers editable admins
# of its own, which would show and change a provider's secret without an audit entry; they are
# replaced here, after importing allauth's admin modules so that they have registered what is
# replaced (the portal's admin loads before allauth's).

for model in (SocialApp, SocialAccount, SocialToken, EmailAddress):
    admin.site.unregister(model)


@admin.register(OrganisationSso)
class OrganisationSsoAdmin(ReadOnlyAdmin):
    """Read only: CDMO administrators keep providers on the portal's single sign-on page."""

    list_display = ["organisation", "app", "required", "updated_at"]
    list_select_related = ["organisation", "app"]


@admin.register(SocialApp)
class SocialAppAdmin(ReadOnlyAdmin):
    """A provider's protocol settings, without its secret."""

    list_display = ["name", "provider", "provider_id", "client_id"]
    fields = ["name", "provider", "provider_id", "client_id", "settings"]


@admin.register(SocialAccount)
class SocialAccountAdmin(ReadOnlyAdmin):
    """Who is linked to which provider (made by signing in, audited then)."""

    list_display = ["user", "provider", "uid", "date_joined", "last_login"]
    list_select_related = ["user"]
    search_fields = ["user__email", "uid"]
    fields = ["user", "provider", "uid", "date_joined", "last_login"]


@admin.register(SocialToken)
class SocialTokenAdmin(ReadOnlyAdmin):
    """Empty: the portal does not store providers' tokens (SOCIALACCOUNT_STORE_TOKENS)."""

    list_display = ["account", "app", "expires_at"]
    fields = ["account", "app", "expires_at"]


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdmin):
    """allauth's record of an account's addresses; the account's email is the user's own."""

    list_display = ["email", "user", "primary", "verified"]
    list_select_related = ["user"]
    search_fields = ["email", "user__email"]


# --- Second factors (docs/accounts.md) ----------------------------------------------------
# allauth.mfa's admin would show and delete a factor's secret without an audit entry: read only
# here, and without the secret. People add and remove their own factors on the pages under
# /accounts/2fa/ (audited, portal.auth_events).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]

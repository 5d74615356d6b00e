"""The admin site, for the superuser. Edits made here are audited like any other change, and
records that have services (updates, milestones, meetings …) are read-only here: they change
through the portal, where permission checks, events and notifications happen."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models, transaction
from django.http import HttpRequest

from portal import audit
from portal.models import ApiToken, AuditEntry, Membership, Organisation, Signature, User

ADMIN_REASON = "Changed in the admin site."


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, don't touch: these records change through their services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _program_id(obj: models.Model) -> int | None:
    """The program whose audit chain an admin edit joins: the program itself, or the one the
    record belongs to (named by label: the core imports no app)."""
    if obj._meta.label_lower == "programs.program":
        return obj.pk
    return getattr(obj, "program_id", None)


class AuditedAdmin(admin.ModelAdmin):
    """Adds and changes are written to the audit trail; nothing is deleted from here."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        with transaction.atomic():
            if change:
                before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
                super().save_model(request, obj, form, change)
                audit.record_update(
                    actor=actor,
                    instance=obj,
                    before=before,
                    program_id=_program_id(obj),
                    reason=ADMIN_REASON,
                )
            else:
                super().save_model(request, obj, form, change)
                audit.record_create(
                    actor=actor, instance=obj, program_id=_program_id(obj), reason=ADMIN_REASON
                )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
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

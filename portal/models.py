"""Organisations, people, API tokens and the audit trail."""

from __future__ import annotations

import datetime
import hashlib
import secrets
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from portal import bounds

ROLE_OUTSIDE_ORGANISATION = (
    "{role} is not a role in a {kind} organisation: choose one of {roles}, or move the person "
    "to another organisation."
)
SITE_WIDE_QA_ONLY_FOR_QA = (
    "Only a member with the QA role can be QA across the site: choose the QA role, or leave "
    "this unticked."
)

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Organisation(models.Model):
    """The CDMO that runs the portal, or one of its sponsors (clients)."""

    class Kind(models.TextChoices):
        CDMO = "cdmo", "CDMO"
        SPONSOR = "sponsor", "Sponsor"

    name = models.CharField(max_length=200, unique=True, validators=bounds.LINE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    slug = models.SlugField(max_length=60, unique=True)
    email_domains = models.CharField(
        max_length=500,
        blank=True,
        validators=bounds.LINE,
        help_text="The email domains of this organisation's people, separated by spaces or "
        "commas (e.g. 'helix.example helix-bio.example'). When set, invitations go only to "
        "these domains, and the sign-in page finds the organisation's single sign-on by them.",
    )
    mfa_required = models.BooleanField(
        "two-factor authentication required",
        default=False,
        help_text="Every member must set up a second factor. CDMO staff and anyone who can "
        "sign must in any case.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domains(self) -> list[str]:
        """`email_domains` as a list, lower case, without a leading '@'."""
        parts = self.email_domains.replace(",", " ").split()
        return [part.lstrip("@").lower() for part in parts if part.lstrip("@")]

    def owns_email(self, email: str) -> bool:
        """Whether `email` is at one of the organisation's domains (any, when none are set)."""
        domain = email.rpartition("@")[2].lower()
        return not self.domains or domain in self.domains


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, validators=bounds.LINE)
    title = models.CharField(
        max_length=150,
        blank=True,
        help_text="Job title shown to sponsors.",
        validators=bounds.LINE,
    )
    phone = models.CharField(max_length=40, blank=True, validators=bounds.LINE)
    bio = models.TextField(
        blank=True,
        help_text="Background shown to sponsors on program pages.",
        validators=bounds.TEXT,
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now, validators=bounds.MOMENT)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["display_name"]

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Membership(models.Model):
    """A user's place in one organisation, and the role that decides what they may do."""

    class Role(models.TextChoices):
        SPONSOR_VIEWER = "viewer", "Sponsor viewer"
        SPONSOR_LEAD = "lead", "Sponsor lead"
        STAFF = "staff", "CDMO operations staff"
        QA = "qa", "CDMO quality assurance (QA)"
        PM = "pm", "Project manager"
        LEADERSHIP = "leadership", "CDMO leadership"

    SPONSOR_ROLES: ClassVar[frozenset[str]] = frozenset({Role.SPONSOR_VIEWER, Role.SPONSOR_LEAD})
    CDMO_ROLES: ClassVar[frozenset[str]] = frozenset(
        {Role.STAFF, Role.QA, Role.PM, Role.LEADERSHIP}
    )

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    site_wide_qa = models.BooleanField(
        "QA across the site",
        default=False,
        help_text="Only for the QA role: signs QA decisions (closures, cancellations, "
        "reopenings, extension approvals) on every program. Unticked, a QA member signs only "
        "on the programs where they are assigned as QA.",
    )
    access_ends_on = models.DateField(
        "access ends on",
        null=True,
        blank=True,
        validators=bounds.DATE,
        help_text="The last day this person may use the portal (the contract's end), in site "
        "time: from the next day, sign-in, sessions and API tokens stop. Empty: no end date.",
    )
    all_programs = models.BooleanField(
        "sees all programs",
        default=True,
        help_text="Only for a sponsor's people: sees every program of the sponsor, including "
        "programs added later. Unticked, the person sees only the programs granted below. CDMO "
        "people are never restricted by it.",
    )
    programs = models.ManyToManyField(
        "programs.Program",
        blank=True,
        related_name="granted_memberships",
        help_text="The programs a sponsor user sees when 'sees all programs' is unticked.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site_wide_qa=False) | models.Q(role="qa"),
                name="portal_membership_site_wide_qa_only_for_qa",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"

    def clean(self) -> None:
        """The role decides what a member sees, so it must belong to the organisation's side:
        a sponsor's member with a CDMO role would see every sponsor. QA across the site is a
        power of the QA role only."""
        if self.site_wide_qa and self.role != self.Role.QA:
            raise ValidationError({"site_wide_qa": SITE_WIDE_QA_ONLY_FOR_QA})
        if self.organisation_id is None or not self.role:
            return
        cdmo = self.organisation.kind == Organisation.Kind.CDMO
        allowed = self.CDMO_ROLES if cdmo else self.SPONSOR_ROLES
        if self.role not in allowed:
            labels = [str(label) for value, label in self.Role.choices if value in allowed]
            raise ValidationError(
                {
                    "role": ROLE_OUTSIDE_ORGANISATION.format(
                        role=self.get_role_display(),
                        kind=self.organisation.get_kind_display(),
                        roles=", ".join(labels),
                    )
                }
            )

    @property
    def is_cdmo(self) -> bool:
        return self.role in self.CDMO_ROLES

    @property
    def is_sponsor(self) -> bool:
        return self.role in self.SPONSOR_ROLES

    def granted_program_ids(self) -> frozenset[int] | None:
        """The programs this member may see, None for all. One query the first time for a
        restricted member (none when `programs` is prefetched), remembered on the instance."""
        if self.all_programs:
            return None
        cached = self.__dict__.get("_granted_program_ids")
        if cached is None:
            cached = frozenset(program.pk for program in self.programs.all())
            self.__dict__["_granted_program_ids"] = cached
        return cached


def default_token_expiry() -> datetime.datetime:
    """A new token's expiry when none is chosen: `ApiToken.DEFAULT_LIFETIME_DAYS` from now."""
    return timezone.now() + datetime.timedelta(days=ApiToken.DEFAULT_LIFETIME_DAYS)


class ApiToken(models.Model):
    """A REST client's credential. Only a hash of the key is stored; the key is shown once."""

    PREFIX_LENGTH = 8
    DEFAULT_LIFETIME_DAYS = 90
    MAX_LIFETIME_DAYS = 365

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100,
        help_text="What the token is for, e.g. 'LIMS sync'.",
        validators=bounds.LINE,
    )
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="First characters of the key.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    last_used_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    last_used_from = models.GenericIPAddressField(
        null=True, blank=True, help_text="The client address of the last use."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    expires_at = models.DateTimeField(
        default=default_token_expiry,
        validators=bounds.MOMENT,
        help_text="From this moment the token is refused (401). At most a year after creation.",
    )
    scope = models.CharField(
        max_length=10,
        choices=Scope.choices,
        default=Scope.READ_WRITE,
        help_text="Read only: GET requests only; any other method is refused (403).",
    )
    programs = models.ManyToManyField(
        "programs.Program",
        blank=True,
        related_name="+",
        help_text="When any are chosen, the token sees only these programs; none: every program "
        "its owner sees.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and timezone.now() < self.expires_at

    @property
    def is_read_only(self) -> bool:
        return self.scope == self.Scope.READ


class Delegation(models.Model):
    """A sponsor lead's change-order decisions, delegated to a named colleague of the same
    organisation for a period (both days included, site time). While it is in force the
    delegate decides change orders of the organisation's programs, and each decision records
    that it was taken on the lead's behalf. Ending it early stamps `ended_at`."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="delegations"
    )
    delegator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(
        validators=bounds.DATE, help_text="The first day the colleague may decide (site time)."
    )
    ends_on = models.DateField(
        validators=bounds.DATE, help_text="The last day the colleague may decide (site time)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="portal_delegation_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(delegate=models.F("delegator")),
                name="portal_delegation_to_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.delegate} decides change orders for {self.delegator}, "
            f"{self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y}"
        )


class AuditEntry(models.Model):
    """One change to one record: append only, and chained by keyed hash to the entry before it
    in its program's chain (or the global chain when it has no program; see `portal.audit`).

    The portal's runtime database role may only INSERT and SELECT here (`manage.py db_roles`),
    and the database refuses UPDATE and DELETE to anyone (see the migration's triggers);
    `manage.py verify_audit` recomputes every chain with the chain key, checks it against the
    checkpoints kept outside the database and reports the first broken link of each.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        ACCESS = "access", "Access"
        DOWNLOAD = "download", "Downloaded"
        SIGN = "sign", "Signed"
        SIGN_FAILED = "sign_fail", "Signature refused"
        SEAL = "seal", "Audit chain sealed"
        # Authentication events (portal.auth_events): global entries, never a program's.
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        LOGIN_FAILED = "login_fail", "Sign-in refused"
        LOCKOUT = "lockout", "Sign-in locked"
        PASSWORD = "password", "Password changed"
        TOKEN_REFUSED = "token_fail", "API token refused"
        SSO_LINK = "sso_link", "Single sign-on linked"
        # Account lifecycle (portal.identity, portal.throttle, portal.session_limits).
        RESET_REQUESTED = "reset_req", "Password reset requested"
        RESET = "reset", "Password reset"
        RESET_REFUSED = "reset_bad", "Password reset link refused"
        VERIFIED = "verified", "Email address verified"
        UNLOCK = "unlock", "Sign-in unlocked"
        SESSION_ENDED = "expired", "Session ended"
        # Multi-factor authentication (allauth.mfa, recorded by portal.auth_events).
        MFA_ADDED = "mfa_add", "Second factor added"
        MFA_REMOVED = "mfa_del", "Second factor removed"
        MFA_CODES = "mfa_codes", "Recovery codes regenerated"
        MFA_RECOVERY = "mfa_rcode", "Signed in with a recovery code"
        MFA_FAILED = "mfa_fail", "Second factor refused"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Who, as printed at the time.")
    action = models.CharField(max_length=10, choices=Action.choices)
    model = models.CharField(max_length=100, help_text="app_label.model")
    object_pk = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_constraint=True,
    )
    changes = models.JSONField(default=dict, help_text="{field: [before, after]}")
    reason = models.TextField(blank=True)
    request_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Generated by the portal."
    )
    # Nullable: added to an append-only table, a nullable column leaves every existing row (and,
    # on SQLite, the table with its triggers) untouched.
    client_request_id = models.CharField(  # noqa: DJ001
        max_length=64,
        null=True,
        blank=True,
        help_text="The X-Request-ID the client sent, if any: the client's label, never trusted "
        "as the request's identity.",
    )
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    sequence = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Position in its chain (1, 2, …); empty on legacy entries.",
    )
    # Nullable for the same reason as client_request_id; empty on entries hashed before keys.
    key_id = models.CharField(  # noqa: DJ001
        max_length=16,
        null=True,
        blank=True,
        editable=False,
        help_text="Which chain key signed the hash (a digest of the key); empty: unkeyed SHA-256.",
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["model", "object_pk"]),
            models.Index(
                fields=["id"],
                condition=models.Q(sequence__isnull=True),
                name="portal_audit_legacy_trunk",
            ),
        ]
        # Conditional, so that SQLite adds them as indexes instead of rebuilding the table
        # (a rebuild would drop the append-only triggers).
        constraints = [
            models.UniqueConstraint(
                fields=["program", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="portal_audit_one_entry_per_program_position",
            ),
            models.UniqueConstraint(
                fields=["sequence"],
                condition=models.Q(program__isnull=True),
                name="portal_audit_one_entry_per_global_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"


class Signature(models.Model):
    """An electronic signature on one version of one record (21 CFR 11.50, 11.70, 11.200).

    Given by re-entering the password (`portal.signatures.signature_sign`). It names the record
    by model label and primary key and stores the SHA-256 of the record's signed content at the
    moment of signing, with the version of the definition of that content (what its record type
    binds, docs/signatures.md), so a later change to what was signed shows the signature as
    superseded. Append only: the runtime database role may only INSERT and SELECT here
    (`manage.py db_roles`), and the database refuses UPDATE and DELETE (see the migrations).
    """

    class Meaning(models.TextChoices):
        AUTHORED = "authored", "Authored"
        REVIEWED = "reviewed", "Reviewed"
        APPROVED = "approved", "Approved"
        RESPONSIBLE = "responsible", "Responsible"

    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(max_length=150, help_text="The signer's name as printed.")
    signed_at = models.DateTimeField(default=timezone.now)
    meaning = models.CharField(max_length=12, choices=Meaning.choices)
    statement = models.TextField(blank=True, help_text="What the signer adds to the meaning.")
    model = models.CharField(max_length=100, help_text="app_label.model of the signed record")
    object_pk = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    record_version = models.CharField(max_length=64, help_text="SHA-256 of the signed content.")
    content_version = models.PositiveSmallIntegerField(
        default=1,
        help_text="Which definition of the record's signed content was hashed: 1 is the record's "
        "row as stored; a record type may define its own from 2 (portal.signatures).",
    )
    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["model", "object_pk"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meaning__in=["authored", "reviewed", "approved", "responsible"]),
                name="portal_signature_meaning_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(printed_name=""), name="portal_signature_printed_name"
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.signed_at:%Y-%m-%d %H:%M} UTC"
        return f"{self.get_meaning_display()} by {self.printed_name} at {when}"

    @property
    def short_version(self) -> str:
        return self.record_version[:12]


class SiteHoliday(models.Model):
    """A day the CDMO site does not work: not a business day for any window on the clock.

    Kept in the portal (a page for CDMO administrators, every change audited); the
    `SITE_HOLIDAYS` environment variable only seeds the table when it is first created.
    """

    day = models.DateField(unique=True, validators=bounds.DATE)
    name = models.CharField(
        max_length=100, help_text="e.g. 'Christmas Day'.", validators=bounds.LINE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


class OrganisationSso(models.Model):
    """A sponsor organisation's own OpenID Connect provider (docs/single-sign-on.md).

    The provider's settings (issuer, client id and secret) live in allauth's `SocialApp`, which
    performs the protocol; this row says whose provider it is and whether password sign-in is
    still allowed for the organisation's members. Kept by CDMO administrators through
    `portal.sso.services`, every change audited.
    """

    PROVIDER_PREFIX = "sso-"

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="sso")
    app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="organisation_sso"
    )
    required = models.BooleanField(
        "single sign-on mandatory",
        default=False,
        help_text="Members must sign in through the organisation's provider: password sign-in "
        "is refused to them. Electronic signatures still ask for the portal password.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organisation single sign-on"
        verbose_name_plural = "organisations' single sign-on"

    def __str__(self) -> str:
        return f"Single sign-on of {self.organisation}"

    @classmethod
    def provider_id_for(cls, organisation: Organisation) -> str:
        """The allauth provider id of an organisation's provider: also the path of its
        callback URL, `/accounts/oidc/<provider id>/login/callback/`."""
        return f"{cls.PROVIDER_PREFIX}{organisation.slug}"

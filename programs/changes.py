"""The one change primitive: every write to a program's records ends here.

A service checks its rules, then calls `create`, `update`, `link` (a many-to-many list),
`delete` or `log`. Each one, inside the service's transaction,

1. validates the row (`full_clean`) and saves it (only the fields that changed),
2. writes the audit entry (old → new, who, when, why, request id),
3. appends an Event to the program's activity stream, tied to the record by its model and
   primary key (never by matching URLs),
4. bumps the program's `version` once per transaction (what ETags and caches key on),
5. and registers one reaction per program per transaction that, after commit, publishes one
   live message with the transaction's events, asks comms to turn them into notifications
   (and webhook deliveries),
   asks comms once to re-evaluate the program's health, and asks comms to announce what
   should be announced. The events themselves are the durable hand-off: each is written with
   `fanned_out_at` empty, so if the broker is down at commit comms' sweep finds it later.

Lock order (DESIGN §3), the same for every writer so that writers never deadlock: the program
row first (`lock_program`), then the rows under it, the audit chain last and briefly. Writers on
different programs take different locks and never wait for each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction
from django.db.models import F

from portal import audit, live
from portal.access import Audience
from portal.models import AuditEntry, User
from portal.queue import enqueue_on_commit
from programs.models import Event, Program

ANNOUNCE_TASK = "comms.tasks.announce_event"
FAN_OUT_TASK = "comms.tasks.fan_out_events"
HEALTH_TASK = "comms.tasks.refresh_health"

M = TypeVar("M", bound=models.Model)

# Verb prefixes whose activity-stream kind is named differently.
_KIND_OF_PREFIX = {
    "budget": Event.Kind.COST,
    "invoice": Event.Kind.COST,
    "change_order": Event.Kind.COST,
    "cadence": Event.Kind.MEETING,
    "question": Event.Kind.COMMENT,
    "signature": Event.Kind.DEVIATION,
    "capa": Event.Kind.DEVIATION,
}


@dataclass(frozen=True)
class Note:
    """What the program's activity stream says about a change.

    `audience` defaults to the record's own audience when it has one, otherwise internal: an
    event reaches the sponsor only when someone decided it should (fail closed).
    """

    verb: str  # "<subject>.<what happened>", e.g. "milestone.rescheduled"
    summary: str
    audience: str | None = None
    significance: str = "info"
    detail: str = ""
    announce: bool = False  # comms also posts it as a program update (and notifies)
    url: str = ""  # where a reader of the history can look
    kind: str = ""  # derived from the verb's prefix when empty

    def event_kind(self) -> str:
        if self.kind:
            return self.kind
        prefix = self.verb.split(".", 1)[0]
        kind = _KIND_OF_PREFIX.get(prefix, prefix)
        if kind not in Event.Kind.values:
            raise ValueError(f"No activity-stream kind for the verb {self.verb!r}.")
        return str(kind)


@dataclass
class _Reaction:
    """The after-commit work of one program in one transaction. Registered with
    `transaction.on_commit` once; later changes in the same transaction add to it. A savepoint
    that rolls back drops it with everything it covered (Django discards its callbacks)."""

    program_id: int
    events: list[live.LiveEvent] = field(default_factory=list)
    announcements: list[int] = field(default_factory=list)
    refresh_health: bool = False

    def __call__(self) -> None:
        live.publish(self.events)
        if self.events:
            enqueue_on_commit(FAN_OUT_TASK, [event.id for event in self.events])
        for event_id in self.announcements:
            enqueue_on_commit(ANNOUNCE_TASK, event_id)
        if self.refresh_health:
            enqueue_on_commit(HEALTH_TASK, self.program_id)


def _reaction(program: Program) -> _Reaction:
    """This transaction's reaction for `program`, bumping the program's version the first time."""
    # Django keeps (savepoint ids, callback, robust) triples; the stubs say pairs. A reaction
    # registered inside a savepoint that has since been released is not reused: in a test's
    # never-committed transaction every request then counts as its own transaction, as it does
    # in production.
    active = set(connection.savepoint_ids)
    for entry in connection.run_on_commit:
        sids, callback = set(entry[0]), entry[1]
        if isinstance(callback, _Reaction) and callback.program_id == program.pk and sids <= active:
            return callback
    Program.objects.filter(pk=program.pk).update(version=F("version") + 1)
    reaction = _Reaction(program_id=program.pk)
    transaction.on_commit(reaction)
    return reaction


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Changes are recorded inside the service's transaction.")


def lock_program(program_id: int) -> Program:
    """Take the program's row lock: the first lock of every write (see the module docstring)."""
    _require_transaction()
    # FOR NO KEY UPDATE: it serialises the program's writers without blocking the foreign-key
    # checks of rows inserted under the program (those take FOR KEY SHARE).
    return Program.objects.select_for_update(no_key=True).get(pk=program_id)


def _audience_of(instance: models.Model, note: Note) -> str:
    if note.audience is not None:
        return note.audience
    return str(getattr(instance, "audience", Audience.INTERNAL))


def log(
    *,
    program: Program,
    actor: User | None,
    note: Note,
    subject: models.Model | None = None,
    subject_key: tuple[str, str] | None = None,
    react: bool = True,
) -> Event:
    """Append to the program's activity stream without a row change of its own (a reminder, a
    handover summary), or as the last step of `create`/`update`."""
    _require_transaction()
    audience = _audience_of(subject, note) if subject is not None else note.audience
    if subject is not None:
        subject_key = (subject._meta.label_lower, str(subject.pk))
    subject_type, subject_id = subject_key or ("", "")
    event = Event.objects.create(
        program=program,
        kind=note.event_kind(),
        verb=note.verb,
        summary=note.summary[:300],
        detail=note.detail,
        significance=note.significance,
        announce=note.announce and audience == Audience.SPONSOR,
        audience=audience or Audience.INTERNAL,
        actor=actor,
        url=note.url,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    reaction = _reaction(program)
    reaction.events.append(live.LiveEvent.of(event))
    if event.announce:
        reaction.announcements.append(event.id)
    reaction.refresh_health |= react
    return event


def touch(program: Program, *, react: bool = True) -> None:
    """Bump the program's version (and, with `react`, re-evaluate its health after commit) for
    a change that the stream does not report, such as a read receipt."""
    _require_transaction()
    _reaction(program).refresh_health |= react


def create(
    instance: M,
    *,
    actor: User | None,
    program: Program,
    note: Note | None = None,
    reason: str = "",
    validate: bool = True,
    react: bool = True,
) -> M:
    """Validate and insert `instance`, audit it, and tell the program's stream."""
    _require_transaction()
    if validate:
        instance.full_clean()
    _reaction(program)  # the program row before the audit chain, even without lock_program
    instance.save(force_insert=True)
    audit.record_create(actor=actor, instance=instance, program_id=program.pk, reason=reason)
    _tell(program=program, actor=actor, note=note, subject=instance, react=react)
    return instance


def _attnames(instance: models.Model, names: Iterable[str]) -> dict[str, str]:
    """Field name → attribute name (`owner` → `owner_id`), for snapshots."""
    return {name: instance._meta.get_field(name).attname for name in names}  # type: ignore[union-attr]


def update(
    instance: M,
    *,
    actor: User | None,
    program: Program,
    values: Mapping[str, Any],
    note: Note | None = None,
    reason: str = "",
    validate: bool = True,
    react: bool = True,
) -> AuditEntry | None:
    """Set `values` on `instance` (a row the caller has locked, under the program's lock),
    validate, save just those fields and audit old → new. Returns None, and writes nothing, when
    no value actually changed."""
    _require_transaction()
    attnames = _attnames(instance, values)
    before = audit.snapshot(instance, attnames.values())
    for name, value in values.items():
        setattr(instance, name, value)
    if not audit.diff(before, audit.snapshot(instance, attnames.values())):
        return None
    if validate:
        _validate_change(instance, written=values)
    _reaction(program)  # the program row before the audit chain, even without lock_program
    instance.save(update_fields=list(values))
    entry = audit.record_update(
        actor=actor, instance=instance, before=before, program_id=program.pk, reason=reason
    )
    _tell(program=program, actor=actor, note=note, subject=instance, react=react)
    return entry


def _validate_change(instance: models.Model, *, written: Iterable[str]) -> None:
    """`full_clean()`, with each field's own validators judging only the fields being written:
    a value stored before a bound existed (portal/bounds.py) is kept as it was and does not
    block a change to another field. The row's rules (`clean`, uniqueness, constraints) still
    see the whole row, as in `full_clean`, minus the fields that already failed."""
    unwritten = {f.name for f in instance._meta.fields} - set(written)
    errors: dict[str, Any] = {}
    try:
        instance.clean_fields(exclude=unwritten)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    failed = set(errors) - {NON_FIELD_ERRORS}
    for check in (instance.validate_unique, instance.validate_constraints):
        try:
            check(exclude=failed)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def link(
    instance: models.Model,
    *,
    actor: User | None,
    program: Program,
    field: str,
    related: Iterable[models.Model],
    reason: str = "",
    react: bool = True,
) -> bool:
    """Set the many-to-many `field` of `instance` to `related` and audit old → new ids as an
    update of `instance`. Returns whether the set changed (nothing is written otherwise)."""
    _require_transaction()
    manager = getattr(instance, field)
    before = sorted(manager.values_list("pk", flat=True))
    after = sorted({item.pk for item in related})
    if before == after:
        return False
    _reaction(program).refresh_health |= react
    manager.set(after)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=instance,
        changes={field: [before, after]},
        program_id=program.pk,
        reason=reason,
    )
    return True


def delete(
    instance: models.Model,
    *,
    actor: User | None,
    program: Program,
    note: Note | None = None,
    reason: str = "",
    react: bool = True,
) -> None:
    """Remove `instance`, keeping its last values in the audit trail."""
    _require_transaction()
    _reaction(program)  # the program row before the audit chain, even without lock_program
    last = audit.snapshot(instance)
    subject = (instance._meta.label_lower, str(instance.pk))
    audit.record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        instance=instance,
        changes={name: [value, None] for name, value in last.items()},
        program_id=program.pk,
        reason=reason,
    )
    audience = _audience_of(instance, note) if note is not None else Audience.INTERNAL
    instance.delete()
    if note is None:
        touch(program, react=react)
    else:
        log(
            program=program,
            actor=actor,
            note=dataclasses.replace(note, audience=audience),
            subject_key=subject,
            react=react,
        )


def _tell(
    *, program: Program, actor: User | None, note: Note | None, subject: models.Model, react: bool
) -> None:
    if note is None:
        touch(program, react=react)
    else:
        log(program=program, actor=actor, note=note, subject=subject, react=react)

"""What the deviation services share: their common refusals, the row lock with its version
check, the lock of a signed deviation, the electronic signature steps and the quality agreement
that sets every window."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from django.urls import reverse
from django.utils import timezone

from deviations.models import Deviation, QualityAgreement
from portal import access, clock, signatures
from portal.access import Audience
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import Signature, User
from programs import changes
from programs.models import Batch, Program

UNKNOWN_LOTS = "{program} has no batch {lots}: plan it on the program's Batches page first."


def lots_in(text: str) -> list[str]:
    """The lot numbers of a comma-separated list, as a person types it."""
    return [lot.strip() for lot in text.replace(";", ",").split(",") if lot.strip()]


def batches_named(program: Program, lots: Sequence[str]) -> list[Batch]:
    """The program's batches with these lot numbers (any case). A lot the program does not
    have, including another program's, is invalid input naming `batches`."""
    wanted = {lot.strip().lower(): lot.strip() for lot in lots if lot.strip()}
    found = (
        {
            batch.lot_number.lower(): batch
            for batch in Batch.objects.filter(program_id=program.pk).filter(
                lot_number__iregex=r"^(" + "|".join(re.escape(lot) for lot in wanted) + r")$"
            )
        }
        if wanted
        else {}
    )
    missing = [lot for key, lot in wanted.items() if key not in found]
    if missing:
        raise Invalid(
            UNKNOWN_LOTS.format(program=program.code, lots=", ".join(missing)), field="batches"
        )
    return sorted(found.values(), key=lambda batch: batch.lot_number)


STALE = "Someone else changed this deviation since you opened it. Reload and try again."
REASON_REQUIRED = "A reason for the change is required."
LOCKED = (
    "{reference} is {status} and signed: its record is locked and cannot change. QA can reopen "
    "it, with a reason and a new signature."
)
SIGNATURE_REQUIRED = "This step needs your electronic signature: re-enter your password."
TOKEN_CANNOT_SIGN = "An API token cannot sign. Sign in and sign in the portal."

SIGNIFICANCE: dict[str, str] = {
    Deviation.Classification.CRITICAL: "critical",
    Deviation.Classification.MAJOR: "notable",
    Deviation.Classification.MINOR: "info",
}


def agreement_for(program: Program, at: datetime.datetime | None = None) -> QualityAgreement:
    """The agreement in force at `at` (now by default; a clock passes the moment it started):
    the program's own override, else its sponsor's, else the defaults. Of each, the latest
    version whose effective moment is not after `at`, so a later version never moves a
    clock already running and a version effective in the future does not apply yet."""
    moment = at or timezone.now()
    agreements = QualityAgreement.objects.filter(
        sponsor_id=program.sponsor_id, effective_from__lte=moment
    ).order_by("-effective_from", "-version")
    chosen = (
        agreements.filter(program=program).first()
        or agreements.filter(program__isnull=True).first()
    )
    return chosen or QualityAgreement(sponsor_id=program.sponsor_id)


def last_site_day(due: datetime.datetime) -> datetime.date:
    """The last site day on which a window that closes at `due` is still open: a window that
    closes at midnight (the end of a business day) belongs to the day before."""
    return (due.astimezone(clock.site_zone()) - datetime.timedelta(microseconds=1)).date()


def detail_url(deviation: Deviation) -> str:
    return reverse("deviation-detail", args=[deviation.reference])


def note(
    deviation: Deviation,
    verb: str,
    summary: str,
    *,
    detail: str = "",
    significance: str = "info",
    announce: bool = False,
) -> changes.Note:
    """What the program's stream says about a step: deviations are shared with the sponsor
    under its quality agreement (docs/deviations.md), so every step is the sponsor's to read."""
    return changes.Note(
        verb=verb,
        summary=summary,
        audience=Audience.SPONSOR,
        significance=significance,
        detail=detail,
        announce=announce,
        url=detail_url(deviation),
    )


def lock_deviation(deviation: Deviation, expected_version: int | None = None) -> Deviation:
    """Lock the deviation's row (after the program's) and refuse if it moved on since the
    caller read it."""
    locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(STALE, field="version")
    return locked


def require_open(deviation: Deviation) -> None:
    """The lock of a signed deviation: closing and cancelling are signed, and from then on
    nothing of its signed content (`deviations.signed_content`) may change, by any service,
    until QA reopens it (a signed move of the lifecycle). Call it on the locked row."""
    if not deviation.is_open:
        raise Conflict(
            LOCKED.format(
                reference=deviation.reference, status=deviation.get_status_display().lower()
            )
        )


def require_signer(
    *,
    actor: User,
    action: access.Action,
    deviation: Deviation,
    meaning: str,
    attempted: bool,
    record: object = None,
    refused: str = "",
) -> None:
    """Refuse a signed step to someone who may not sign it (`portal.access`: not QA of the
    program, or barred on `record` by segregation of duties) with a 403, before the password
    is checked. An attempt that brought a password is audited as a refused signing attempt,
    like a wrong password; nothing else is written. `refused` is the message for a user
    without the capacity (default: the access module's)."""
    refusal = access.refusal(actor, action, deviation.program, record)
    if refusal is None:
        return
    if refused and refusal.code == NotAllowed.code:
        refusal = NotAllowed(refused)
    if attempted:
        signatures.signature_refused(
            signer=actor,
            record=deviation,
            meaning=meaning,
            why=f"Not allowed: {refusal.message}",
            program_id=deviation.program_id,
        )
    raise refusal


def verify_signer(
    *, actor: User, deviation: Deviation, password: str | None, meaning: str, via_token: bool
) -> str:
    """Check the signer before the service's transaction, so that a refused attempt's audit
    row commits even though nothing else does."""
    if via_token:
        raise NotAllowed(TOKEN_CANNOT_SIGN, field="password")
    if not password:
        raise Invalid(SIGNATURE_REQUIRED, field="password")
    signatures.signature_verify(
        signer=actor,
        password=password,
        meaning=meaning,
        record=deviation,
        program_id=deviation.program_id,
    )
    return password


def sign(
    *, actor: User, deviation: Deviation, password: str, meaning: str, statement: str
) -> Signature:
    return signatures.signature_sign(
        signer=actor,
        password=password,
        record=deviation,
        meaning=meaning,
        statement=statement,
        program_id=deviation.program_id,
    )

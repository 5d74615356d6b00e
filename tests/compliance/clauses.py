"""The regulatory clauses the portal addresses, each with the feature that meets it.

A test proves a clause by carrying `@pytest.mark.clause("<id>")` with an id from this table.
`python -m tests.compliance.traceability` writes docs/compliance/traceability.md from this table
and the markers; with `--check RESULTS.xml` it fails when a clause listed here has no passing
test in a JUnit XML report (CI runs it after the test suite).

Only clauses the software meets are listed. The procedural ones (training, written policies,
documentation control, change management, backups, periodic evaluation) are the operating
company's, and `PROCEDURAL` says so in the generated page instead of pretending otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    id: str
    requirement: str
    feature: str


PART_11 = "21 CFR Part 11"
ANNEX_11 = "EU GMP Annex 11"

CLAUSES: tuple[Clause, ...] = (
    Clause(
        "21 CFR 11.10(a)",
        "Validation of systems to ensure accuracy, reliability, consistent intended performance, "
        "and the ability to discern invalid or altered records.",
        "The audit trail is a keyed hash chain per program; `manage.py verify_audit` recomputes "
        "it against checkpoints kept outside the database and names the first altered, inserted "
        "or removed entry (docs/audit-trail.md). The test suite runs on every change in CI.",
    ),
    Clause(
        "21 CFR 11.10(b)",
        "Accurate and complete copies of records in human readable and electronic form.",
        "CSV exports of a record's audit trail (with its signatures) and of a program's history; "
        "the JSON API (`/api/v1/`, OpenAPI schema).",
    ),
    Clause(
        "21 CFR 11.10(c)",
        "Protection of records to enable their accurate and ready retrieval throughout the "
        "records retention period.",
        "Audit entries and signatures are append only: database triggers refuse UPDATE and "
        "DELETE to anyone, and the runtime database role may only INSERT and SELECT "
        "(`manage.py db_roles`).",
    ),
    Clause(
        "21 CFR 11.10(d)",
        "Limiting system access to authorized individuals.",
        "Sign-in; one access module (`portal/access.py`) for every page and API call, another "
        "sponsor's record a 404; access ends with deactivation or the membership's end date "
        "(`portal/account_state.py`), for sessions and API tokens alike; API tokens expire and "
        "may be read only or restricted to programs (docs/api-tokens.md).",
    ),
    Clause(
        "21 CFR 11.10(e)",
        "Secure, computer-generated, time-stamped audit trails recording operator entries and "
        "actions that create, modify or delete records; changes do not obscure prior values.",
        "Every service writes an AuditEntry (who, when in UTC, field-level before/after, reason, "
        "request id) through the one change primitive (docs/audit-trail.md).",
    ),
    Clause(
        "21 CFR 11.10(f)",
        "Operational system checks to enforce permitted sequencing of steps and events.",
        "The deviation lifecycle's transition table (a move not in it is a 409); closure only "
        "with every CAPA done; stale forms refused by version.",
    ),
    Clause(
        "21 CFR 11.10(g)",
        "Authority checks to ensure that only authorized individuals can use the system, "
        "electronically sign a record, or alter a record.",
        "The Action/Capacity table of `portal/access.py`; QA-only signed steps; segregation of "
        "duties (`BARS`); change-order decisions by the sponsor's lead or a recorded delegate; "
        "read-only API tokens.",
    ),
    Clause(
        "21 CFR 11.50",
        "Signed records show the printed name of the signer, the date and time of signing, "
        "and the meaning of the signature.",
        "`Signature` keeps the printed name, the time and the meaning; the manifestation is "
        "shown with the record (docs/signatures.md).",
    ),
    Clause(
        "21 CFR 11.70",
        "Signatures are linked to their records so that they cannot be excised, copied or "
        "transferred to falsify a record.",
        "A signature stores the SHA-256 of the record's signed content; any later change shows it "
        "superseded, and a signed deviation refuses changes without a new signature.",
    ),
    Clause(
        "21 CFR 11.100(a)",
        "Each electronic signature is unique to one individual and not reused by or reassigned "
        "to anyone else.",
        "A signature is given by its signer's own account (unique email) re-entering its "
        "password; an API token can never sign.",
    ),
    Clause(
        "21 CFR 11.200(a)",
        "Electronic signatures not based on biometrics employ at least two distinct "
        "identification components such as an identification code and password.",
        "Signing asks for the signer's password at each signing, whatever the sign-in method; "
        "wrong passwords are refused, counted and audited.",
    ),
    Clause(
        "21 CFR 11.300(b)",
        "Identification code and password issuances are periodically checked, recalled, or "
        "revised (e.g. to cover password aging).",
        "Membership access end dates; API tokens expire (at most a year) and are revoked by the "
        "sponsor lead, who sees their last use.",
    ),
    Clause(
        "21 CFR 11.300(d)",
        "Safeguards to prevent unauthorized use of passwords and/or identification codes, and "
        "to detect and report attempts at their unauthorized use.",
        "Sign-in and signing lockout after repeated failures (`portal/throttle.py`); every "
        "refused sign-in, lockout and refused API token is an audit entry.",
    ),
    Clause(
        "EU GMP Annex 11 §7.1",
        "Data are secured against damage; accessibility, readability and accuracy are ensured "
        "throughout the retention period.",
        "Append-only audit trail and signatures (database triggers, runtime role), verified by "
        "`manage.py verify_audit`.",
    ),
    Clause(
        "EU GMP Annex 11 §8.1",
        "Clear printed copies of electronically stored data can be obtained.",
        "CSV exports of audit trails and program history (formula-safe), printable pages.",
    ),
    Clause(
        "EU GMP Annex 11 §9",
        "An audit trail records all GMP-relevant changes and deletions, with the reason.",
        "AuditEntry on every change, with before/after and the reason required for changes to "
        "signed or baseline data.",
    ),
    Clause(
        "EU GMP Annex 11 §12.1",
        "Physical and/or logical controls restrict access to computerised systems to "
        "authorised persons.",
        "Sign-in, the access module and the permission matrix (every URL for every persona), "
        "API tokens with limits.",
    ),
    Clause(
        "EU GMP Annex 11 §12.3",
        "Creation, change, and cancellation of access authorisations are recorded.",
        "API token creation, revocation and refusal are audit entries; so are changes to "
        "memberships and QA powers made in the admin.",
    ),
    Clause(
        "EU GMP Annex 11 §12.4",
        "Systems record the identity of operators entering, changing, confirming or deleting "
        "data, including date and time.",
        "Every audit entry names its actor and time; decisions taken on behalf of someone "
        "record both people.",
    ),
    Clause(
        "EU GMP Annex 11 §14",
        "Electronic signatures have the same impact as hand-written ones, are permanently "
        "linked to their record, and include the time and date they were applied.",
        "Password-confirmed signatures with meaning and time, bound to the record's content "
        "hash (docs/signatures.md).",
    ),
)

PROCEDURAL: tuple[str, ...] = (
    "21 CFR 11.10(h) device checks, 11.10(i) training, 11.10(j) written policies, 11.10(k) "
    "control of system documentation, 11.100(b)-(c) identity verification and certification "
    "to the FDA, 11.300(a), (c), (e) issuance and device procedures: procedures of the "
    "operating company.",
    "EU GMP Annex 11 §1-§6 (risk management, personnel, suppliers, validation documentation, "
    "data, accuracy checks beyond the portal's own), §7.2 backups, §10 change management, §11 "
    "periodic evaluation, §13 incident management, §15-§17 batch release, business continuity "
    "and archiving: procedures and infrastructure of the operating company.",
)

IDS: frozenset[str] = frozenset(clause.id for clause in CLAUSES)

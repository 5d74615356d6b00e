"""Writes for deviations, one module per sub-domain: `reporting` (logging and the sponsor's
acknowledgement), `lifecycle` (the table of moves), `investigation` (impact and root causes),
`capa` and `extensions`. Callers import from the sub-module; this package re-exports nothing.

Every service asks `portal.access` whether the user may act, takes the program's lock first
(`programs.changes.lock_program`), then the deviation's row, and ends its write with the change
primitive (`programs.changes`), which audits it and tells the program's activity stream, with
the changed record as the event's subject."""

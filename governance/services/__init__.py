"""Writes for governance, one module per sub-domain: `kickoff`, `cadence`, `meetings`,
`actions`, `risks` and `feeds`. Callers import from the sub-module; this package re-exports
nothing.

Every service is an `atomic_service`: it checks permission with `portal.access`, locks the
program row first (`changes.lock_program`), then the rows under it, and writes through
`programs.changes`, which audits, tells the program's stream and reacts once after commit.
"""

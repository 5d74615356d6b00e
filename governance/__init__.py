"""Kick-off, cadence meetings, action items, risks and escalations (issue: Program governance)."""

"""Governance pages, one module per sub-domain: `kickoff`, `meetings`, `actions`, `risks` and
`calendar`. `governance/urls.py` names the views from the sub-modules; this package re-exports
nothing."""

"""Quality agreements, deviations, CAPA and electronic signatures (issue: Deviations)."""

"""Onboarding in the portal, for CDMO administrators: sponsor organisations, their programs, the
dedicated PM and the team on both sides, and the quality agreement as a versioned record."""
